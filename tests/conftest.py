"""Shared test configuration: tier markers by directory, and where ../shared is."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OPENCHECKS_SHARED", REPO.parent / "shared"))
SHARED_DATA = SHARED / "data"
SHARED_MODELS = Path(os.environ.get("OPENCHECKS_MODELS_DIR", SHARED / "models"))

_TIERS = {"unit": "unit", "accuracy": "accuracy", "integration": "integration", "browser": "browser"}
# Under pytest-xdist (infra/test.sh: two workers, each running whole files) the longest files start first, so
# that no worker is left running one of them alone at the end (figures: README, "Tests").
_LONGEST_FIRST = (
    "tests/integration/test_faults.py",
    "tests/browser/test_ui_stack.py",
    "tests/integration/test_feeds.py",
    # the unit tier's longest (its readers on rendered checks), so that `-m unit` also ends together
    "tests/unit/test_check_quality.py",
    "tests/unit/test_check_endorsement.py",
    "tests/unit/test_check_geometry.py",
    "tests/unit/test_micr_recognize.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with its tier, taken from the folder it lives in; on an xdist worker, put the longest
    files first (a stable sort: every other test keeps its place)."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(REPO).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in _TIERS:
            item.add_marker(getattr(pytest.mark, _TIERS[parts[1]]))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {path: index for index, path in enumerate(_LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(Path(str(item.fspath)).relative_to(REPO).as_posix(), len(rank)))


def require_shared_data() -> Path:
    """Return ../shared/data, or skip the calling test with a clear message."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared data directory {SHARED_DATA} (absent on this checkout)")
    return SHARED_DATA


def require_shared_models() -> Path:
    """Return the MICR model directory, or skip the calling test with a clear message."""
    if not (SHARED_MODELS / "e13b.traineddata").is_file():
        pytest.skip(f"needs the Tesseract MICR models in {SHARED_MODELS} (set OPENCHECKS_MODELS_DIR)")
    return SHARED_MODELS


needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs the tesseract binary")


def require_fonts(style: str, split: str) -> list[Path]:
    """The synthetic checks' `style` fonts of `split` (openchecks.micr.synth.FONTS), or skip the calling test
    with a clear message where they are not all installed."""
    from openchecks.micr.synth import FONTS, fonts

    found = fonts(style, split)
    if len(found) < len(FONTS[style][split]):
        pytest.skip(f"needs the {style} {split} fonts: install infra/apt-dev-packages.txt")
    return found


# Fixtures live one module per part of the system (the platform, the local services, the whole stack).
pytest_plugins = [
    "tests.fixtures.whisk",
    "tests.fixtures.services",
    "tests.fixtures.stack",
    "tests.fixtures.app",
]
