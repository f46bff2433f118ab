"""The page's retries (ui/retry.js, ui/api.js) under node, as the browser loads them: what is retried, with
which backoff, and that a retried create carries one Idempotency-Key."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.unit.test_ui_modules import UI


def run_async(body: str) -> Any:
    """Run an async ES module body with `retry` and `api` imported; it `return`s a JSON value."""
    if shutil.which("node") is None:
        pytest.skip("needs node on PATH")
    script = (
        "globalThis.document = { baseURI: 'http://127.0.0.1:3233/api/v1/web/guest/openchecks/ui/' };\n"
        "const store = new Map();\n"
        "globalThis.sessionStorage = { getItem: (k) => store.get(k) ?? null,"
        " setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) };\n"
        f"const retry = await import({json.dumps((UI / 'retry.js').as_uri())});\n"
        f"const api = (await import({json.dumps((UI / 'api.js').as_uri())})).api;\n"
        f"const out = await (async () => {{ {body} }})();\n"
        "process.stdout.write(JSON.stringify(out));"
    )
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_what_is_retryable() -> None:
    out = run_async(
        "return [0, 200, 400, 401, 403, 404, 409, 422, 429, 500, 501, 502, 503, 504].map(retry.retryable);"
    )
    assert out == [True, False, False, False, False, False, False, False, True, True, False, True, True, True]


def test_backoff_is_capped_and_stops_at_the_deadline() -> None:
    out = run_async(
        """
        let clock = 0; const pauses = []; let tries = 0;
        const fail = () => { tries += 1; const e = new Error('down'); e.status = 503; throw e; };
        let last = null;
        try {
          await retry.withRetries(fail, { deadlineMs: 30000, now: () => clock, random: () => 1,
            sleep: async (ms) => { pauses.push(ms); clock += ms; } });
        } catch (e) { last = e.status; }
        const refused = { n: 0 };
        try {
          const no = () => { refused.n += 1; const e = new Error('no'); e.status = 409; throw e; };
          await retry.withRetries(no, { sleep: async () => {} });
        } catch (e) { refused.status = e.status; }
        return { pauses, tries, last, refused };
        """
    )
    assert out["last"] == 503 and out["tries"] == len(out["pauses"]) + 1
    assert out["pauses"][:5] == [250, 500, 1000, 2000, 4000] and max(out["pauses"]) == 4000
    assert sum(out["pauses"]) <= 30000
    assert out["refused"] == {"n": 1, "status": 409}


def test_a_create_is_retried_with_one_idempotency_key_and_a_review_is_not() -> None:
    out = run_async(
        """
        const seen = []; let script = [503, 502, 201, 503];
        globalThis.fetch = async (url, init) => {
          seen.push({ method: init.method, url, key: init.headers['Idempotency-Key'] ?? null });
          const status = script.length ? script.shift() : 200;
          return { ok: status < 400, status, json: async () => ({ id: 'dep-x', code: 'c' + status }) };
        };
        const created = await api.createDeposit({ to_account: '12345678', amount: '1.00' });
        let review = null;
        try { await api.review('dep-x', { action: 'approve' }); } catch (e) { review = e.status; }
        const other = await api.createDeposit({ to_account: '12345678', amount: '1.00' });
        return { created, review, other, seen };
        """
    )
    creates = [s for s in out["seen"] if s["url"].endswith("/deposits")]
    assert out["created"]["id"] == "dep-x" and out["review"] == 503
    assert len(creates) == 4 and creates[0]["key"] and len({c["key"] for c in creates[:3]}) == 1
    assert creates[3]["key"] != creates[0]["key"]  # the next deposit, a new key
    assert sum(1 for s in out["seen"] if s["url"].endswith("/review")) == 1
