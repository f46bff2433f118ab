"""The hostile-input corpus (tests/hostile) against the deployed deposit API on the local stack.

Every API case (tests/hostile/cases.py) must get its 4xx with a JSON `{"error", "code"}` and store nothing
(no deposit document, no object); every hostile file (tests/hostile/generate.py) uploaded through the
presigned URL must be refused by the confirm call with its 4xx and leave neither the object nor the draft
deposit behind, unless it really is a decodable image (polyglots, odd EXIF), in which case it is processed
to a final status and the archive copies carry none of the hidden payload. Afterwards the platform and
the pipeline still serve: a normal deposit goes through.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.app import (
    FINAL,
    App,
    deploy_app,
    endorsed_back,
    require_models,
    undeploy_app,
    unique_email,
)
from tests.fixtures.oidc import oidc_env
from tests.fixtures.stack import LocalStack
from tests.hostile.cases import CASES, NO_BODY, ApiCase, Provider, auth_header
from tests.hostile.generate import FILES, PAYLOAD_MARKERS, FileCase, generate


@pytest.fixture(scope="module")
def app(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """openchecks deployed on the session stack for this module, trusting the stack's OpenID Provider
    (as ./deploy.sh local deploys it), so the `oidc_*` cases reach the verifier."""
    require_models()
    deployed = deploy_app(stack, tmp_path_factory.mktemp("app"), extra_env=oidc_env(stack))
    try:
        yield deployed
    finally:
        undeploy_app(deployed)


def _provider(app: App) -> Provider:
    from infra.services import oidc as local_oidc

    stack = app.stack
    keys = stack.data_dir / "oidc" / "signing_keys.json"
    return Provider(local_oidc.issuer(stack.ports["oidc"]), local_oidc.AUDIENCE, str(keys))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def drafts(app: App) -> Iterator[dict[str, dict[str, Any]]]:
    """A `received` deposit of alice ({own}) and one of bob ({other}); the cases must not change them."""
    own = app.create(app.headers("alice@example.com"))
    other = app.create(app.headers("bob@example.com"))
    docs = app.docs_for([own["id"], other["id"]])
    yield {"own": docs[own["id"]] or {}, "other": docs[other["id"]] or {}}


def _store_counts(app: App) -> tuple[int, int, int]:
    return len(app.deposit_docs()), len(app.objects(app.incoming)), len(app.objects(app.archive))


def _send(app: App, case: ApiCase, drafts: dict[str, dict[str, Any]]) -> requests.Response:
    path = case.path.replace("{own}", drafts["own"]["_id"]).replace("{other}", drafts["other"]["_id"])
    headers = auth_header(case.auth, app.secret, _provider(app) if case.auth.startswith("oidc_") else None)
    data: bytes | None = None
    if case.body is not NO_BODY:
        data = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
        headers = {**headers, "Content-Type": case.content_type}
    return requests.request(case.method, app.api + path, headers=headers, data=data, timeout=60)


def _assert_clear_error(resp: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, f"{resp.status_code} {resp.text[:300]}"
    assert resp.headers.get("Content-Type", "").startswith("application/json")
    body: dict[str, Any] = resp.json()
    assert body.get("code") == code, body
    assert isinstance(body.get("error"), str) and len(body["error"]) >= 15, body
    return body


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_api_case(app: App, drafts: dict[str, dict[str, Any]], case: ApiCase) -> None:
    before = _store_counts(app)
    resp = _send(app, case, drafts)
    assert resp.status_code < 500, resp.text
    if case.check == "ok":
        # The provider's own, valid token: the API answers (alice's provider account owns nothing yet).
        assert resp.status_code == case.status and resp.json()["deposits"] == [], resp.text
        assert _store_counts(app) == before
        return
    if case.check == "extra_fields_ignored":
        assert resp.status_code == case.status, resp.text
        created = resp.json()
        doc = app.docs_for([created["id"]])[created["id"]]
        assert doc is not None and created["id"] != "dep-0123456789abcdef0123456789abcdef"
        # None of the injected fields was taken: the server decides status, owner, id and reading.
        assert (
            doc["status"] == "received" and doc["email"] == "alice@example.com" and doc["type"] == "deposit"
        )
        assert doc["attempts"] == 0 and "reading" not in doc
        after = _store_counts(app)
        assert after == (before[0] + 1, before[1], before[2])
        return
    _assert_clear_error(resp, case.status, case.code)
    assert _store_counts(app) == before, "a refused request stored something"


def test_the_cases_changed_no_existing_deposit(app: App, drafts: dict[str, dict[str, Any]]) -> None:
    docs = app.docs_for([drafts["own"]["_id"], drafts["other"]["_id"]])
    for name in ("own", "other"):
        current = docs[drafts[name]["_id"]]
        assert current is not None and current["_rev"] == drafts[name]["_rev"], current


def _archive_bytes(app: App, doc: dict[str, Any]) -> list[bytes]:
    from infra.services.s3 import s3_client

    client = s3_client(app.stack.s3_url)
    archive = doc.get("archive") or {}
    return [
        client.get_object(Bucket=archive["bucket"], Key=archive[name])["Body"].read()
        for name in ("large", "small")
        if archive.get(name)
    ]


@pytest.mark.parametrize("case", FILES, ids=[c.name for c in FILES])
def test_hostile_file(app: App, corpus: dict[str, Path], case: FileCase) -> None:
    headers = app.headers(unique_email("files"))
    created = app.create(headers, case.content_type)
    deposit_id = created["id"]
    data = corpus[case.name].read_bytes()
    # S3 cannot judge the bytes: the presigned PUT succeeds whatever they are.
    assert app.upload(created, data).status_code == 200
    assert app.upload(created, endorsed_back(), "back").status_code == 200
    key = f"{deposit_id}/front."
    resp = app.confirm(headers, deposit_id)
    if case.status >= 400:
        _assert_clear_error(resp, case.status, case.code)
        assert app.docs_for([deposit_id])[deposit_id] is None, "the refused draft deposit was kept"
        assert not [k for k in app.objects(app.incoming) if k.startswith(key)], "the refused upload was kept"
        assert not [k for k in app.objects(app.archive) if k.startswith(deposit_id)]
        return
    assert resp.status_code == case.status, resp.text
    doc = app.settle([deposit_id], timeout=150, sweep_after=30)[deposit_id]
    assert doc is not None and doc["status"] in FINAL, doc
    assert doc["status"] != "failed", doc
    copies = _archive_bytes(app, doc)
    assert copies, f"no archive copies for a decodable image: {doc}"
    for copy in copies:
        assert copy[:2] == b"\xff\xd8"
        assert not [m for m in PAYLOAD_MARKERS if m in copy], "the hidden payload reached the archive copy"
        assert b"D" * 1000 not in copy, "the 30 KB EXIF field reached the archive copy"


def test_replayed_presigned_url_after_confirm(app: App, corpus: dict[str, Path]) -> None:
    """The presigned URL stays valid until it expires, so S3 takes a second PUT after the confirm. The
    deposit must not be processed twice nor take the replayed bytes as its image."""
    headers = app.headers(unique_email("replay"))
    created = app.create(headers, "image/jpeg")
    deposit_id = created["id"]
    original = corpus["jpeg-comment.jpg"].read_bytes()
    assert app.upload(created, original).status_code == 200
    assert app.upload(created, endorsed_back(), "back").status_code == 200
    assert app.confirm(headers, deposit_id).status_code == 202
    doc = app.settle([deposit_id], timeout=150, sweep_after=30)[deposit_id]
    assert doc is not None and doc["status"] in FINAL
    recorded = doc["image"]["etag"]
    replay = app.upload(created, corpus["page.html"].read_bytes())
    assert replay.status_code == 200  # S3 cannot refuse a signed URL before it expires
    again = app.confirm(headers, deposit_id)
    assert again.status_code == 200 and again.json()["queued"] is False, again.text
    time.sleep(2)
    after = app.docs_for([deposit_id])[deposit_id]
    assert after is not None and after["_rev"] == doc["_rev"], "the replay changed the deposit"
    assert after["image"]["etag"] == recorded
    for copy in _archive_bytes(app, after):
        assert b"<script" not in copy and copy[:2] == b"\xff\xd8"


def test_the_platform_and_pipeline_still_serve(app: App) -> None:
    from tests.fixtures.checks import synthetic_check

    assert app.stack.wait_up()["running"]
    check = synthetic_check(5)  # its plain white back is straightened with the front's size
    headers = app.headers(unique_email("after"))
    deposit_id = app.deposit(headers, check.front, "image/jpeg", check.declared, back=check.back)
    doc = app.settle([deposit_id], timeout=150, sweep_after=30)[deposit_id]
    assert doc is not None and doc["status"] in ("accepted", "needs_review"), doc
    assert doc["reading"].get("routing"), doc["reading"]
