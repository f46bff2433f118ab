"""Accuracy on the shared real data: the five sample checks, and a fixed sample of MICR line crops.

The whole line set runs in bench/bench_ocr.py; here every 10th line keeps the test well under a minute.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openchecks.micr.reader import read_check
from openchecks.micr.recognize import recognize_line
from openchecks.micr.scoring import LineScore
from PIL import Image

from tests.conftest import require_shared_data, require_shared_models

CHECKS = ["silesia-1278.png", "stock-annotated-2815.jpg", "wells-cashiers.jpg", "photo-central-bank.jpg"]
CHECKS += ["singapore-cheque.jpg"]


@pytest.fixture(scope="module")
def data() -> Path:
    require_shared_models()
    return require_shared_data()


@pytest.mark.parametrize("name", CHECKS)
def test_sample_check(data: Path, name: str) -> None:
    truth = json.loads((data / "checks" / "truth.json").read_text())[name]
    reading = read_check(data / "checks" / name, truth["declared_amount"])
    if truth["expect"] == "accept":
        assert (reading.routing, reading.account, reading.check_number) == (
            truth["routing"],
            truth["account"],
            truth["check_number"],
        )
        assert reading.status == "accepted", reading.reasons
        assert reading.reasons == []
    else:
        assert reading.status == "needs_review"
        assert reading.reasons, "a review needs at least one reason"
    json.dumps(reading.to_dict())


def _read(path: Path) -> str:
    with Image.open(path) as image:
        image.load()
        return recognize_line(image).text


def test_micr_line_sample_accuracy(data: Path) -> None:
    truth: dict[str, str] = json.loads((data / "micr-lines" / "truth.json").read_text())
    names = sorted(truth)[::10]
    with ThreadPoolExecutor(max_workers=2) as pool:
        reads = list(pool.map(_read, [data / "micr-lines" / n for n in names]))
    score = LineScore()
    for name, read in zip(names, reads, strict=True):
        score.add(truth[name], read)
    assert score.lines == 116
    assert score.exact_rate >= 0.95, f"exact lines {score.exact_rate:.2%}"
    assert score.cer <= 0.01, f"character error rate {score.cer:.3%}"
    assert score.routing_rate >= 0.99, f"routing fields {score.routing_rate:.2%} of {score.routing_total}"
