"""`openchecks read`: one JSON line per image, clear errors for bad files, no tracebacks."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from openchecks.cli import main
from openchecks.micr import recognize
from openchecks.micr.synth import draw_check, micr_line, random_routing


@pytest.fixture(scope="module")
def check_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    rng = random.Random(2)
    routing = random_routing(rng)
    image = draw_check(rng, micr_line(rng, routing, "20045678", "4402", None), "4402", "10.00", 200)
    path = tmp_path_factory.mktemp("cli") / "check.png"
    image.save(path)
    return path, routing


def require_models() -> None:
    if not (recognize.TESSDATA / "e13b.traineddata").is_file():
        pytest.skip(f"needs the MICR models in {recognize.TESSDATA}: run `python -m infra.models install`")


def test_read_prints_one_json_line_per_image(
    check_image: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    require_models()
    path, routing = check_image
    assert main(["read", str(path), str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    result = json.loads(lines[0])
    expected_keys = {
        "micr",
        "routing",
        "account",
        "check_number",
        "status",
        "reasons",
        "confidence",
        "seconds",
    }
    assert expected_keys <= set(result)
    assert result["routing"] == routing
    assert result["status"] in ("accepted", "needs_review")
    assert result["seconds"] > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"", "the file is empty"), (b"not an image at all", "not a readable image")],
)
def test_bad_files_exit_non_zero_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.png"
    if content is not None:
        path.write_bytes(content)
    assert main(["read", str(path)]) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_a_truncated_image_is_reported(
    tmp_path: Path, check_image: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(check_image[0].read_bytes()[:2000])
    assert main(["read", str(truncated)]) == 1
    assert "could not be decoded" in capsys.readouterr().err


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "openchecks"
    if not script.is_file():
        pytest.skip(f"the console script is not installed beside {sys.executable}")
    proc = subprocess.run(
        [str(script), "read", str(tmp_path / "missing.jpg")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr
