"""`read_check`: inputs it takes, errors it raises, and the JSON it returns."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from openchecks.micr import reader, recognize
from openchecks.micr.reader import CheckImageError, decide_reading, load_image, read_check
from openchecks.micr.synth import draw_check, micr_line, random_routing
from PIL import Image


def require_models() -> None:
    if not (recognize.TESSDATA / "e13b.traineddata").is_file():
        pytest.skip(f"needs the MICR models in {recognize.TESSDATA}: run `python -m infra.models install`")


def test_reads_a_pil_image_and_returns_json_ready_data() -> None:
    require_models()
    rng = random.Random(12)
    routing = random_routing(rng)
    image = draw_check(rng, micr_line(rng, routing, "7730011", "2051", None), "2051", "5.00", 200)
    reading = read_check(image, "5.00")
    data = json.loads(json.dumps(reading.to_dict()))
    assert data["routing"] == routing
    assert data["status"] in ("accepted", "needs_review")
    assert isinstance(data["reasons"], list)
    assert 0 <= data["confidence"] <= 100
    assert len(reading.confidences) == len(reading.micr or "")


def test_a_page_without_a_micr_line_goes_to_review() -> None:
    require_models()
    reading = read_check(Image.new("RGB", (1200, 550), (240, 240, 235)))
    assert reading.status == "needs_review"
    assert reading.reasons == ["no_micr_line_found"]
    assert reading.micr is None


def test_pixel_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (300, 200), 255).save(path)
    monkeypatch.setattr(reader, "MAX_PIXELS", 50_000)
    with pytest.raises(CheckImageError, match="over 50000 pixels"):
        load_image(path)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = Image.new("RGB", (300, 100), (255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: the upright picture is 100 x 300
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif)
    assert load_image(path).size == (100, 300)


def test_a_directory_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(CheckImageError, match="no such file"):
        load_image(tmp_path)


def test_a_reading_passed_between_actions_decides_the_same() -> None:
    require_models()
    rng = random.Random(12)
    routing = random_routing(rng)
    image = draw_check(rng, micr_line(rng, routing, "7730011", "2051", None), "2051", "5.00", 200)
    data = json.loads(json.dumps(read_check(image, "5.00").to_dict()))
    fields, decision = decide_reading(
        data["micr"], data["confidences"], "5.00", data["engine"], data["reasons"]
    )
    assert fields is not None and fields.routing == routing
    assert decision.status == data["status"]
    assert set(decision.reasons) == set(data["reasons"])


def test_reading_reasons_survive_a_re_decision() -> None:
    line = "A063100277A 003661702511C 1278"
    _, decision = decide_reading(line, [99.0] * len(line), None, "e13b", ["readings_disagree"])
    assert decision.status == "needs_review"
    assert decision.reasons == ["readings_disagree"]
    _, clean = decide_reading(line, [99.0] * len(line), None, "e13b", [])
    assert clean.status == "accepted"
    _, nothing = decide_reading(None, [], None)
    assert nothing.reasons == ["no_micr_line_found"]


def _accepted_attempt(text: str) -> reader._Attempt:
    recognition = recognize.Recognition(text, tuple(99.0 for _ in text), 0.0, "e13b")
    fields = reader.parse_micr_line(text)
    decision = reader.decide(fields, recognition.confidences, None, 90.0)
    assert decision.status == "accepted", decision
    return reader._Attempt(0, Image.new("L", (10, 10)), recognition, fields, decision)


@pytest.mark.parametrize(
    ("verifications", "status"),
    [
        (["⑆063100277⑆003661702511⑈1278", "⑆063100277⑆003661702511⑈1278"], "accepted"),
        # a verification that lost a symbol says nothing about the digits; the other one confirms
        (["2063100277⑆003661702511⑈1278", "⑆063100277⑆003661702511⑈1278"], "accepted"),
        # one confident reading of other digits is enough to stop an acceptance
        (["⑆063100277⑆003661702517⑈1278", "⑆063100277⑆003661702511⑈1278"], "needs_review"),
        (["2063100277⑆003661702511⑈1278", "⑆063100277⑆003661702517⑈1278"], "needs_review"),
        # the first reading that keeps every field decides: a later one is not consulted
        (["⑆063100277⑆003661702511⑈1278", "⑆063100277⑆003661702517⑈1278"], "accepted"),
        # nothing confirms the first reading
        (["2063100277⑆003661702511⑈1278", "88460684⑆69808"], "needs_review"),
    ],
)
def test_verification_readings_confirm_or_stop_an_acceptance(verifications: list[str], status: str) -> None:
    attempt = _accepted_attempt("⑆063100277⑆003661702511⑈1278")
    readings = [recognize.Recognition(t, tuple(99.0 for _ in t), 0.0, "e13b") for t in verifications]
    verified = reader._verify(attempt, readings)
    assert verified.decision.status == status
    assert ("readings_disagree" in verified.decision.reasons) == (status == "needs_review")


def test_a_certain_line_costs_one_tesseract_run_and_an_uncertain_one_its_verification(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An accepted check read from its best band with every digit at CERTAIN_CONFIDENCE (set to 95 here: this
    line reads at 98.77 or more): one Tesseract run and no verification reading; with the bar out of reach:
    the line, then the wide-margin reading that confirms it (the 48 px one is not read)."""
    require_models()
    rng = random.Random(12)
    routing = random_routing(rng)
    image = draw_check(rng, micr_line(rng, routing, "7730011", "2051", None), "2051", "5.00", 200)
    monkeypatch.setenv("OPENCHECKS_TESSERACT_CLI", "1")  # the command: one run per reading, to count
    runs: list[list[str]] = []
    real = recognize.run_tesseract

    def counting(args: list[str], **kwargs: object) -> None:
        runs.append(args)
        real(args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recognize, "run_tesseract", counting)
    monkeypatch.setattr(reader, "CERTAIN_CONFIDENCE", 95.0)
    reading = read_check(image, "5.00")
    assert reading.status == "accepted", reading.reasons
    assert reading.routing == routing
    assert min(reading.field_confidence.values()) >= 95.0
    assert len(runs) == 1
    runs.clear()
    monkeypatch.setattr(reader, "CERTAIN_CONFIDENCE", 101.0)
    again = read_check(image, "5.00")
    assert (again.status, again.routing, again.micr) == ("accepted", routing, reading.micr)
    assert len(runs) == 2


def test_only_an_accepted_e13b_reading_with_every_scored_digit_at_the_bar_is_certain() -> None:
    text = "⑆063100277⑆003661702511⑈1278"
    bar = reader.CERTAIN_CONFIDENCE
    attempt = _accepted_attempt(text)

    def with_reading(confidences: list[float], engine: str = "e13b") -> reader._Attempt:
        recognition = recognize.Recognition(text, tuple(confidences), 0.0, engine)
        return reader._Attempt(0, attempt.band, recognition, attempt.fields, attempt.decision)

    assert reader._certain(attempt)
    # one account digit just under the bar: verified as before
    low = [99.0] * len(text)
    low[text.index("3661")] = bar - 0.01
    assert not reader._certain(with_reading(low))
    # the symbols do not count, only the digits of routing, account and check number
    assert reader._certain(with_reading([99.0 if ch.isdigit() else 10.0 for ch in text]))
    # the legacy engine's confidences are on another scale: always verified
    assert not reader._certain(with_reading([99.0] * len(text), "mcr2"))
    # a reading that is not accepted is never certain
    review = reader.Decision("needs_review", ["routing_checksum_failed"])
    assert not reader._certain(reader._Attempt(0, attempt.band, attempt.recognition, attempt.fields, review))
