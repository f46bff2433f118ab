"""`openchecks read FRONT --back BACK --declared AMOUNT` with the real readers (Tesseract, the MICR models,
OpenCV) on synthetic whole checks drawn here with fixed seeds: the keys the acceptance checks use and the
decisions the declared amount and the back make."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openchecks.cli import main
from openchecks.micr import recognize

from tests.fixtures.checks import synthetic_check

pytestmark = pytest.mark.accuracy

KEYS = {
    "micr",
    "routing",
    "account",
    "check_number",
    "status",
    "reasons",
    "confidence",
    "seconds",
    "amount",
    "amount_source",
    "amount_confidence",
    "quality",
    "back_quality",
    "endorsement",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not (recognize.TESSDATA / "e13b.traineddata").is_file():
        pytest.skip(f"needs the MICR models in {recognize.TESSDATA}: run `python -m infra.models install`")
    root = tmp_path_factory.mktemp("whole")
    out: dict[str, Any] = {}
    for name, seed, options in (
        ("good", 4, {}),
        ("white_back", 5, {}),
        ("unendorsed", 6, {"endorsement": None}),
        ("dark", 8, {"defect": "dark"}),
    ):
        check = synthetic_check(seed, **options)
        (root / f"{name}-front.jpg").write_bytes(check.front)
        (root / f"{name}-back.jpg").write_bytes(check.back)
        out[name] = (root / f"{name}-front.jpg", root / f"{name}-back.jpg", check)
    return out


def read(capsys: pytest.CaptureFixture[str], *args: str | Path) -> dict[str, Any]:
    assert main(["read", *map(str, args)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    result: dict[str, Any] = json.loads(lines[0])
    assert set(result) >= KEYS
    return result


def test_a_good_check_with_its_amount_and_back_is_accepted(
    files: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    front, back, check = files["good"]
    out = read(capsys, front, "--back", back, "--declared", check.declared)
    assert out["status"] == "accepted", out["reasons"]
    assert out["amount"] == check.declared and out["amount_source"] in ("courtesy", "legal", "both")
    assert 0 <= out["amount_confidence"] <= 1
    assert out["routing"] == check.routing and out["endorsement"]["restrictive"] is True
    assert set(out["quality"].values()) <= {"pass", "not_tested"}
    assert set(out["back_quality"]) == set(out["quality"])


def test_a_white_back_is_straightened_with_the_fronts_size(
    files: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Seed 5's back, alone, looks business size (and so under 150 dpi): it takes the front's size."""
    front, back, check = files["white_back"]
    out = read(capsys, front, "--back", back, "--declared", check.declared)
    assert out["geometry"]["back"]["size_in"] == out["geometry"]["front"]["size_in"] == [6.0, 2.75]
    assert out["back_quality"]["below_minimum_size"] == "pass"
    assert out["status"] == "accepted", out["reasons"]


def test_a_wrong_declared_amount_is_sent_to_review(
    files: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    front, back, check = files["good"]
    wrong = f"{float(check.declared) + 500:.2f}"
    out = read(capsys, front, "--back", back, "--declared", wrong)
    assert out["status"] == "needs_review" and "amount_mismatch" in out["reasons"]
    assert out["amount"] == check.declared


def test_without_back_or_declared_amount_those_decisions_are_not_made(
    files: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    front, _, check = files["good"]
    out = read(capsys, front)
    assert out["endorsement"] is None and out["back_quality"] is None
    assert out["status"] == "accepted", out["reasons"]
    assert out["amount"] == check.declared  # still read and printed, just not compared


def test_an_unendorsed_back_is_never_accepted(
    files: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    front, back, check = files["unendorsed"]
    out = read(capsys, front, "--back", back, "--declared", check.declared)
    assert out["status"] == "needs_review" and "endorsement_missing" in out["reasons"]
    assert out["endorsement"]["restrictive"] is False


def test_a_dark_photo_is_rejected_with_the_test_named(
    files: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    front, back, check = files["dark"]
    out = read(capsys, front, "--back", back, "--declared", check.declared)
    assert out["status"] == "rejected" and "too_light_or_too_dark" in out["reasons"]
    assert out["quality"]["too_light_or_too_dark"] == "fail" and out["routing"] is None


def test_a_bad_declared_amount_or_config_is_a_clear_usage_error(
    files: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    front, back, _ = files["good"]
    assert main(["read", str(front), "--declared", "ten dollars"]) == 2
    assert "--declared" in capsys.readouterr().err
    bad = tmp_path / "config.json"
    bad.write_text("[1, 2")
    assert main(["read", str(front), "--config", str(bad)]) == 2
    assert "configuration document" in capsys.readouterr().err
    assert main(["read", str(front), str(front), "--back", str(back)]) == 2
    assert "exactly one FRONT" in capsys.readouterr().err


def test_a_good_check_costs_one_eng_and_one_e13b_tesseract_start_up(
    files: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CPU per deposit: the amount and the endorsement share one Tesseract `eng` process and the MICR
    line one `e13b` process (each start-up costs about 0.07 s and 0.03 s of CPU; this line is read certain,
    so no verification reading follows), with the same decision as before."""
    from openchecks.check.read import read_whole_check

    front, back, check = files["good"]
    monkeypatch.setenv("OPENCHECKS_TESSERACT_CLI", "1")  # the command (libtesseract keeps its models loaded)
    runs: list[str] = []
    real = recognize.run_tesseract

    def counting(args: list[str], **kwargs: Any) -> None:
        runs.append(args[args.index("-l") + 1])
        real(args, **kwargs)

    monkeypatch.setattr(recognize, "run_tesseract", counting)
    reading = read_whole_check(front, back, check.declared)
    assert reading.decision.status == "accepted", reading.decision.reasons
    assert reading.endorsement and reading.endorsement["restrictive"] is True
    assert sorted(runs) == ["e13b", "eng"]


def test_a_warm_process_reads_a_good_check_with_no_model_load_and_the_commands_decision(
    files: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through libtesseract (openchecks.micr.tessapi) a warm container keeps the models loaded: however many
    checks it reads, it loads each model (`eng`, `e13b`) at most once per worker thread (the command loads
    both for every check: 8 loads for 4 checks), runs no `tesseract` command, and reads what the command
    reads."""
    from openchecks.check.read import read_whole_check
    from openchecks.micr import tessapi

    if not tessapi.available():
        pytest.skip("needs libtesseract")
    front, back, check = files["good"]
    monkeypatch.setenv("OPENCHECKS_TESSERACT_CLI", "1")
    by_command = read_whole_check(front, back, check.declared).to_dict()
    monkeypatch.delenv("OPENCHECKS_TESSERACT_CLI")
    runs: list[list[str]] = []
    monkeypatch.setattr(recognize, "run_tesseract", lambda args, **kwargs: runs.append(args))
    tessapi.close()  # a new container: nothing loaded
    loads = tessapi.stats()["loads"]
    readings = [read_whole_check(front, back, check.declared).to_dict() for _ in range(4)]
    assert 0 < tessapi.stats()["loads"] - loads <= 2 * tessapi.WORKERS and runs == []
    untimed = {k: v for k, v in (by_command["amount_read"] or {}).items() if k != "seconds"}
    for warm in readings:
        assert warm["status"] == "accepted", warm["reasons"]
        assert {k: v for k, v in (warm["amount_read"] or {}).items() if k != "seconds"} == untimed
        for name in ("micr", "routing", "account", "check_number", "confidence", "endorsement", "quality"):
            assert warm[name] == by_command[name], name
