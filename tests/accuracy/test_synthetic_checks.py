"""Synthetic checks (`openchecks.micr.synth`) read back by the MICR reader with the real Tesseract and models:
a fixed seed, so a change in the drawing or the reader that costs fields or acceptances shows here. The
benchmark reads many more (bench/bench_ocr.py --synthetic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openchecks.micr import recognize
from openchecks.micr.reader import read_check
from openchecks.micr.synth import generate


def test_round_trip_through_the_reader(tmp_path: Path) -> None:
    """Measured on this seed: 20/20 fields exact, 15 of 18 valid checks accepted, no wrong acceptance."""
    if not (recognize.TESSDATA / "e13b.traineddata").is_file():
        pytest.skip(f"needs the MICR models in {recognize.TESSDATA}: run `python -m infra.models install`")
    paths = generate(tmp_path, 20, seed=7)
    exact = accepted = wrong = 0
    for path in paths:
        truth = json.loads(path.with_suffix(".json").read_text())
        reading = read_check(path, truth["declared_amount"])
        same = (reading.routing, reading.account, reading.check_number) == (
            truth["routing"],
            truth["account"],
            truth["check_number"],
        )
        exact += same
        if reading.accepted:
            accepted += 1
            wrong += not same or truth["expect"] != "accept"
    assert wrong == 0, "a wrong number was accepted"
    assert exact >= 18, f"only {exact}/20 synthetic checks read exactly"
    assert accepted >= 12, f"only {accepted} synthetic checks accepted"
