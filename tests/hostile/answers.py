"""The hostile corpus for what web actions disclose: requests a stranger (no credentials) sends to learn
which container answered. Each is (method, path below `/api/v1/web/<ns>/<package>/`, expected status);
`ALLOWED` are the only headers an answer may carry (OpenWhisk's `x-openwhisk-activation-id` among them).
"""

from __future__ import annotations

# Headers an answer may carry: the action's own, CORS, framing, and OpenWhisk's activation id.
ALLOWED = {
    "content-type",
    "content-length",
    "connection",
    "cache-control",
    "x-content-type-options",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "x-openwhisk-activation-id",
    # the ui action's hardening
    "content-security-policy",
    "referrer-policy",
    "x-frame-options",
    "cross-origin-opener-policy",
    "etag",
    "location",
    "allow",
    "vary",
}

REQUESTS: tuple[tuple[str, str, int], ...] = (
    ("GET", "api/deposits", 401),  # no token
    ("GET", "api/me", 401),
    ("POST", "api/deposits", 401),
    ("GET", "api.json/deposits", 200),  # the whole result as JSON: still nothing that names the container
    ("GET", "ui/", 200),
    ("GET", "ui/nothing.js", 404),
    ("GET", "ui", 302),
)
