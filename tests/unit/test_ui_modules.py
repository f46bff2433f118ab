"""The page's pure modules (validation, error sentences, the deposit model, chart data, token claims), run
under node exactly as the browser loads them (ES modules, no build step)."""

from __future__ import annotations

import base64
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
        f"import * as {name} from {json.dumps((UI / f'{name}.js').as_uri())};"
        for name in ("validate", "messages", "model", "opsdata", "session", "quality")
    )
    script = f"{imports}\nconst out = (() => {{ {body} }})();\nprocess.stdout.write(JSON.stringify(out));"
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_amount_validation() -> None:
    cases = [
        "1042",
        "1,042.5",
        "$ 12.34",
        "0.09",
        "",
        "12.",
        "10.999",
        "-5",
        "1e3",
        "0",
        "0.00",
        "١٢٣",
        "12,34",
        "10000000.00",
        "99999999999999999999",
    ]
    out = run_js(f"return {json.dumps(cases)}.map((c) => validate.validateAmount(c));")
    got = dict(zip(cases, out, strict=True))
    assert got["1042"] == {"ok": True, "value": "1042.00", "cents": 104200}
    assert got["1,042.5"]["value"] == "1042.50" and got["$ 12.34"]["value"] == "12.34"
    assert got["0.09"]["cents"] == 9
    assert got[""]["ok"] is False and got[""]["incomplete"] is True
    for unfinished in ("12.", "12,34"):  # may still become "12.50" or "12,345"
        assert got[unfinished]["ok"] is False and got[unfinished]["incomplete"] is True
    for bad in ("10.999", "-5", "1e3", "١٢٣"):
        assert (
            got[bad]["ok"] is False and got[bad]["incomplete"] is False and "digits" in got[bad]["message"]
        ), bad
    assert got["0"]["message"] == got["0.00"]["message"] == "The amount must be more than $0.00."
    assert (
        "too large" in got["10000000.00"]["message"] and "too large" in got["99999999999999999999"]["message"]
    )


def test_account_validation_and_file_checks() -> None:
    out = run_js("""
      const accounts = ['12345678', '1234-5678 90', '123', '12a4', '', '١٢٣٤٥', '1'.repeat(18)]
        .map(validate.validateAccount);
      const files = [
        null, {name: 'a.png', type: 'image/png', size: 0},
        {name: '<b>x</b>.pdf', type: 'application/pdf', size: 10},
        {name: 'big.jpg', type: 'image/jpeg', size: 30 * 1024 * 1024},
        {name: 'ok.jpg', type: 'image/jpeg', size: 1000},
        {name: 'unknown', type: '', size: 1000},
      ].map(validate.checkImageFile);
      const fit = [[1679, 776], [900, 3000], [800, 600]].map(([w, h]) => validate.fitWithin(w, h));
      const sizes = [[8000, 6000], [150, 90], [1600, 739]].map(([w, h]) => validate.checkImageSize(w, h));
      return {accounts, files, fit, sizes};
    """)
    accounts = out["accounts"]
    assert accounts[0] == {"ok": True, "value": "12345678"} and accounts[1] == {
        "ok": True,
        "value": "1234567890",
    }
    assert (
        accounts[2]["incomplete"] is True
        and accounts[3]["message"] == "The account number may contain digits only."
    )
    assert accounts[5]["ok"] is False and accounts[6]["incomplete"] is False
    files = out["files"]
    assert files[0] == "Choose a photo or scan of the check." and "is empty" in files[1]
    assert files[2] == '"<b>x</b>.pdf" is not an image. Choose a JPEG or PNG photo of the check.'
    assert "30.0 MB, over the 25 MB limit" in files[3]
    assert files[4] is None and files[5] is None  # no type: decoding decides
    assert out["fit"] == [
        {"width": 1600, "height": 739},
        {"width": 480, "height": 1600},
        {"width": 800, "height": 600},
    ]
    assert "48 megapixels" in out["sizes"][0] and "too small" in out["sizes"][1] and out["sizes"][2] is None


def test_api_errors_become_sentences() -> None:
    cases = [
        [400, {"error": "The account number must be 4 to 17 digits.", "code": "invalid_account"}],
        [
            401,
            {
                "error": "The sign-in token has expired; sign in again to get a new one.",
                "code": "token_expired",
            },
        ],
        [404, {"error": "There is no deposit with that id for your account.", "code": "deposit_not_found"}],
        [500, {"error": "Traceback (most recent call last): ...", "code": "internal"}],
        [400, {"error": '{"nested": "json"}'}],
        [502, None],
        [503, {"error": "x", "code": "service_unavailable"}],
        [422, "not an object"],
        [418, {}],
        [413, {"error": "<img src=x onerror=alert(1)>"}],
    ]
    out = run_js(f"return {json.dumps(cases)}.map(([s, p]) => messages.sentenceFor(s, p));")
    assert out[0] == "The account number must be 4 to 17 digits."
    assert out[1] == "The sign-in token has expired; sign in again to get a new one."
    assert out[2] == "There is no deposit with that id for your account."
    assert out[3] == "Something went wrong on our side. Try again in a minute."
    assert out[4].startswith("The deposit service could not accept that request")
    assert out[5] == "The deposit service is having trouble right now. Try again in a minute."
    assert out[6].startswith("The deposit service is busy")
    assert out[7] == "The deposit breaks one of the bank’s rules."
    assert "unexpected status (418)" in out[8]
    assert out[9] == "That file is too large. Take a smaller photo."
    for sentence in out:
        assert "{" not in sentence and "Traceback" not in sentence and "<" not in sentence


def test_deposit_model_reads_the_api_document() -> None:
    doc = {
        "id": "dep-1",
        "status": "needs_review",
        "amount": "1042.00",
        "amount_cents": 104200,
        "to_account": "12345678",
        "reading": {
            "micr": "⑆063100277⑆ 003661702511⑈ 1278",
            "routing": "063100277",
            "account": "003661702511",
            "check_number": "1278",
            "confidence": 91.5,
        },
        "corrected": {"check_number": "1279"},
        "reasons": ["low_confidence", "brand_new_reason"],
        "history": [
            {"status": "received", "at": "2026-01-01T00:00:00Z", "by": "a@x.com"},
            {
                "status": "needs_review",
                "at": "2026-01-01T00:00:05Z",
                "by": "pipeline",
                "reason": "low_confidence",
            },
        ],
        "steps": {
            "record-deposit": {
                "ms": 12.5,
                "cold": False,
                "cache": {"config": "hit", "clients": "hit"},
                "at": "2026-01-01T00:00:05Z",
            },
            "fetch-image": {
                "ms": 120,
                "cold": True,
                "cache": {"config": "miss", "clients": "miss", "image": "miss"},
                "at": "2026-01-01T00:00:02Z",
            },
            "ocr-check": {
                "ms": 400.2,
                "cold": False,
                "cache": {"image": "hit"},
                "at": "2026-01-01T00:00:03Z",
            },
            "parse-check": {"ms": 3, "cold": False, "cache": {}, "at": "2026-01-01T00:00:04Z"},
        },
        "images": {
            "large": "http://127.0.0.1:4568/a/l.jpg?sig=1",
            "small": "http://127.0.0.1:4568/a/s.jpg",
            "original": "javascript:alert(1)",
        },
    }
    out = run_js(f"""
      const doc = {json.dumps(doc)};
      return {{
        micr: model.micrOf(doc), amount: model.amountOf(doc), steps: model.stepsOf(doc),
        images: model.imagesOf(doc), history: model.historyOf(doc),
        reasons: model.reasonsOf(doc).map(messages.reasonText), label: messages.statusLabel('needs_review'),
        empty: model.stepsOf({{}}), noImages: model.imagesOf({{}}),
      }};
    """)
    assert out["micr"]["routing"] == "063100277" and out["micr"]["check_number"] == "1279"
    assert out["micr"]["line"].startswith("⑆063100277⑆") and out["micr"]["corrected"] == ["check_number"]
    assert out["amount"] == "1042.00"
    steps = out["steps"]
    assert [s["name"] for s in steps] == ["fetch-image", "ocr-check", "parse-check", "record-deposit"]
    assert [s["offset"] for s in steps] == [0, 120, 520.2, 523.2]
    assert steps[0]["cold"] is True and steps[1]["cache"] == {"image": "hit"}
    assert out["images"]["thumb"].endswith("/s.jpg") and out["images"]["large"].endswith("sig=1")
    assert out["images"]["original"] == "" and out["noImages"]["large"] == ""
    assert out["history"][1]["note"] == "low_confidence"
    assert out["reasons"] == [
        "Some characters of the check’s number line were hard to read.",
        "brand new reason",
    ]
    assert out["label"] == "Needs review" and out["empty"] == []


def test_ops_chart_data() -> None:
    activations = [
        {
            "name": "guest/openchecks/ocr-check",
            "start": 1000,
            "duration": 900,
            "annotations": [{"key": "initTime", "value": 300}],
            "response": {"result": {"_meta": {"cold": True, "cache": {"image": "miss"}}}},
        },
        {"name": "ocr-check", "start": 2000, "duration": 100, "cold": False, "cache": {"image": "hit"}},
        {"name": "ocr-check", "start": 3000, "duration": 300, "cold": False, "cache": {"image": "hit"}},
        {
            "action": "fetch-image",
            "start": 3000,
            "duration": 50,
            "cold": False,
            "cache": {"config": "hit", "x": "n/a"},
        },
        {"name": "broken"},
        "not a record",
    ]
    out = run_js(f"""
      const acts = {json.dumps(activations)}.map(opsdata.normaliseActivation).filter(Boolean);
      const deposits = ['accepted', 'accepted', 'failed', 'received'].map((status) => ({{status}}));
      const counts = {{duplicate: 2, accepted: 1, failed: 0}};
      const step = {{ms: 5, cold: true, cache: {{image: 'hit'}}, at: '2026-01-01T00:00:00Z'}};
      return {{
        n: acts.length, first: acts[0], latency: opsdata.latencyByAction(acts),
        ratio: opsdata.cacheHitRatio(acts, 2), statuses: opsdata.depositsPerStatus(deposits),
        counted: opsdata.depositsPerStatus([], counts),
        fromDeposits: opsdata.activationsFromDeposits([{{steps: {{'ocr-check': step}}}}]),
      }};
    """)
    assert out["n"] == 4
    assert out["first"] == {
        "name": "ocr-check",
        "duration": 900,
        "start": 1000,
        "cold": True,
        "cache": {"image": "miss"},
    }
    latency = {row["label"]: row for row in out["latency"]}
    assert latency["ocr-check"]["values"] == {"cold": 900, "warm": 200} and latency["ocr-check"][
        "counts"
    ] == {"cold": 1, "warm": 2}
    assert latency["fetch-image"]["values"] == {"cold": None, "warm": 50}
    assert out["ratio"] == [{"t": 1000, "y": 0, "n": 1}, {"t": 2000, "y": 1, "n": 3}]
    assert out["statuses"] == [
        {"label": "received", "value": 1},
        {"label": "accepted", "value": 2},
        {"label": "failed", "value": 1},
    ]
    assert out["counted"] == [{"label": "accepted", "value": 1}, {"label": "duplicate", "value": 2}]
    assert out["fromDeposits"] == [
        {"name": "ocr-check", "duration": 5, "start": 1767225600000, "cold": True, "cache": {"image": "hit"}}
    ]


def test_token_claims_are_read_but_never_trusted_blindly() -> None:
    def token(claims: Any, signature: str = "c2ln") -> str:
        return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + signature

    good = token({"email": "ann@example.com", "role": "reviewer", "exp": 2000})
    cases = [
        good,
        token({"email": "ann@example.com", "role": "admin", "exp": 2000}),
        token({"email": "a@b.c", "role": "customer", "exp": 500}),
        "no-dot-here",
        "a.b.c",
        "",
        "%%%.sig",
        token(["not", "an", "object"]),
        token({"email": "ü@example.com", "role": "customer", "exp": 2000}),
    ]
    out = run_js(f"return {json.dumps(cases)}.map((t) => session.checkToken(t, 1000));")
    assert out[0] == {
        "ok": True,
        "token": good,
        "claims": {"email": "ann@example.com", "role": "reviewer", "exp": 2000},
    }
    assert out[1]["ok"] is False and "not a sign-in token" in out[1]["message"]
    assert out[2] == {"ok": False, "message": "That token has expired. Ask for a new one."}
    for bad in out[3:8]:
        assert bad["ok"] is False
    assert out[5]["message"] == "Paste the sign-in token you were given."
    assert out[8]["claims"]["email"] == "ü@example.com"


def test_every_module_but_the_entry_point_loads() -> None:
    """Syntax and imports of every module (app.js needs a page: the browser tests load it)."""
    names = sorted(p.relative_to(UI).as_posix() for p in UI.rglob("*.js") if p.name != "app.js")
    assert "views/review.js" in names and "charts.js" in names
    urls = json.dumps([(UI / name).as_uri() for name in names])
    if shutil.which("node") is None:
        pytest.skip("needs node on PATH")
    script = (
        f"const urls = {urls};\n"
        "const out = {};\n"
        "for (const url of urls) {\n"
        "  out[url.split('/ui/')[1]] = Object.keys(await import(url)).sort();\n"
        "}\n"
        "process.stdout.write(JSON.stringify(out));"
    )
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    exports = json.loads(proc.stdout)
    assert exports["views/review.js"] == ["renderReview", "renderReviewQueue"]
    assert exports["views/ops.js"] == ["renderOps"] and "timeline" in exports["charts.js"]


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


def test_browser_quality_refuses_dark_blurred_and_small_photos_with_one_sentence_each() -> None:
    out = run_js(
        "const t = " + json.dumps(BROWSER_THRESHOLDS) + ";\n"
        """
        let seed = 12345;
        const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
        const [w, hgt] = [600, 275];
        const sharp = new Uint8Array(w * hgt).map(() => (rand() < 0.08 ? 30 : 235));
        const dark = sharp.map((v) => v >> 2);
        // A blurred photo: light paper and grey ink smeared into a smooth gradient, no edge left.
        const flat = new Uint8Array(w * hgt).map((_, i) => Math.round(60 + (170 * (i % w)) / w));
        const run = (g, pw = 1600, ph = 1200) => quality.assessGrey(pw, ph, g, w, hgt, t);
        return {sharp: run(sharp), dark: run(dark), flat: run(flat), small: run(sharp, 500, 300),
                flatBack: quality.assessGrey(1600, 1200, flat, w, hgt, t, {focus: false}),
                region: quality.measuredRegion(1600, 1200, t),
                usable: [t, {}, null].map(quality.usableThresholds)};
        """
    )
    assert out["sharp"]["failed"] == [] and out["sharp"]["results"]["out_of_focus"] == "pass"
    assert out["dark"]["failed"] == ["too_light_or_too_dark"]
    assert out["dark"]["messages"] == ["The photo is too dark: take it in better light."]
    assert out["dark"]["results"]["out_of_focus"] == "not_tested"
    assert out["flat"]["failed"] == ["out_of_focus"] and "blurred" in out["flat"]["messages"][0]
    assert out["flatBack"]["failed"] == [] and out["flatBack"]["results"]["out_of_focus"] == "not_tested"
    assert out["small"]["failed"] == ["below_minimum_size"]
    assert out["region"] == {"x": 320, "y": 300, "width": 960, "height": 600, "gw": 600, "gh": 375}
    assert out["usable"] == [True, False, False]


def test_whole_check_model_shows_amount_read_quality_and_endorsement() -> None:
    doc = {
        "amount_cents": 150000,
        "amount_read": {"amount": "1042.00", "cents": 104200, "source": "both", "confidence": 0.93},
        "quality": {"out_of_focus": "pass", "partial_image": "fail", "custom_test": "not_tested"},
        "back_quality": {"partial_image": "pass"},
        "endorsement": {"present": True, "restrictive": True, "text": "For mobile deposit only"},
        "messages": ["The amount you entered, $1,500.00, does not match the amount on the check."],
        "images": {
            "large": "https://s3.example/l.jpg",
            "back_large": "https://s3.example/bl.jpg",
            "front": {"bucket": "b", "key": "k", "url": "https://s3.example/f.jpg"},
            "back": {"bucket": "b", "key": "k2", "url": "https://s3.example/b.jpg"},
        },
    }
    out = run_js(
        f"const doc = {json.dumps(doc)};"
        " return {whole: model.wholeCheckOf(doc), images: model.imagesOf(doc),"
        " none: model.wholeCheckOf({}), reason: messages.reasonText('back_out_of_focus'),"
        " unread: messages.reasonText('amount_unread')};"
    )
    whole = out["whole"]
    assert whole["amountRead"] == "1042.00" and whole["amountMatches"] is False
    assert whole["amountSource"] == "both" and whole["amountConfidence"] == 0.93
    assert [r["test"] for r in whole["quality"]] == ["partial_image", "out_of_focus", "custom_test"]
    assert whole["endorsement"] == {"present": True, "restrictive": True, "text": "For mobile deposit only"}
    assert whole["messages"] == doc["messages"]
    assert out["images"]["large"] == "https://s3.example/l.jpg"
    assert out["images"]["back_large"] == "https://s3.example/bl.jpg"
    assert out["none"]["amountRead"] == "" and out["none"]["endorsement"] is None
    assert out["reason"].startswith("Back of the check:") and "read" in out["unread"]
