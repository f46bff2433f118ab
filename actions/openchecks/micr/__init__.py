"""Reading checks: find, recognise and parse the MICR E-13B line, and decide accepted / needs_review.

Public entry points: `reader.read_check` (image -> `CheckReading`, used by the actions and `openchecks read`),
`reader.decide_reading` (re-decide a reading passed between actions), `parse.parse_micr_line`,
`decide.decide`, `aba.routing_checksum_ok`; `synth` draws synthetic checks with ground truth.
"""
