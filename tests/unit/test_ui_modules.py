"""The page's quality metrics held to the server's formulas: the one test of ui/ that needs Python (numpy
computes the reference). The page's other unit tests are JavaScript, run by `node --test tests/ui/`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

UI = Path(__file__).resolve().parents[2] / "ui"


def run_js(body: str) -> Any:
    """Run an ES module body that imports the page's modules as M.<name> and `return`s a JSON value."""
    if shutil.which("node") is None:
        pytest.skip("needs node on PATH")
    imports = "\n".join(
        f"import * as {name} from {json.dumps((UI / f'{name}.js').as_uri())};" for name in ("quality",)
    )
    script = f"{imports}\nconst out = (() => {{ {body} }})();\nprocess.stdout.write(JSON.stringify(out));"
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


BROWSER_THRESHOLDS = {
    "metric_width": 600,
    "region": {"width": 0.6, "height": 0.5},
    "grey": [0.299, 0.587, 0.114],
    "min_width": 640,
    "min_height": 480,
    "max_pixels": 40_000_000,
    "max_side": 12_000,
    "min_paper_level": 100.0,
    "paper_percentile": 90,
    "ink_percentile": 0.5,
    "clipped_level": 250,
    "max_clipped": 0.6,
    "max_ink_level": 200.0,
    "min_focus": 10.0,
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}


def _reference_metrics(grey: Any) -> dict[str, float]:
    """The server's formulas (openchecks.check.quality's docstring) in numpy, to hold the page to them."""
    import numpy as np

    paper, ink = (float(v) for v in np.percentile(grey, [90, 0.5]))
    padded = np.pad(grey.astype(np.float64), 1, mode="edge")
    lap = padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:] - 4 * padded[1:-1, 1:-1]
    return {
        "paper_level": paper,
        "ink_level": ink,
        "clipped": float((grey >= 250).mean()),
        "focus": float(lap.std() / (paper - ink + 1.0) * 100.0),
    }


def test_browser_quality_metrics_are_the_servers_formulas() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    grey = np.clip(rng.normal(170, 40, (37, 53)), 0, 255).astype(np.uint8)
    grey[10:20, 5:40] = 20  # some ink
    out = run_js(
        f"""
        const grey = Uint8Array.from({json.dumps(grey.ravel().tolist())});
        const t = {json.dumps(BROWSER_THRESHOLDS)};
        const e = quality.exposure(grey, t);
        return {{...e, focus: quality.focusMetric(grey, 53, 37, e.paper_level, e.ink_level, t.laplacian),
                 rgb: Array.from(quality.greyOf([10, 200, 30, 255, 255, 255, 255, 255], t.grey))}};
        """
    )
    want = _reference_metrics(grey)
    for name, value in want.items():
        assert out[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
    assert out["rgb"] == [round(0.299 * 10 + 0.587 * 200 + 0.114 * 30), 255]
