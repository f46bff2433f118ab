"""The upload's size limited in the presigned request itself (issue 13, "The rest"): a client that declares
each side's size (the page and the CLI do) gets upload URLs that sign that Content-Length, so object storage
refuses a body of any other length; a declared size over the limit is refused before anything is signed.
The signature is checked here as S3/COS checks it (tests/integration/test_security.py's verifier), because
the local s3rver checks no signatures at all: the last test pins that, which is why the size is also checked
when the upload is confirmed and a refused upload is deleted (test_refused_uploads.py)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.hostile.frontdoor import DECLARED_SIZES
from tests.integration.test_api_idempotency import BODY, deposits_of, web
from tests.integration.test_pipeline_support import (
    BACK,
    app_params,
    call_api,
    png_bytes,
    provisioned,
    token,
)
from tests.integration.test_security import sigv4_valid

FRONT = png_bytes()


@pytest.fixture
def app(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    return provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))


def sized() -> dict[str, Any]:
    return {**BODY, "back_content_type": "image/png", "size": len(FRONT), "back_size": len(BACK)}


def test_declared_sizes_are_signed_into_the_upload_urls(app: dict[str, Any]) -> None:
    alice, key = token("alice@example.com"), str(uuid.uuid4())
    created = web(app, "/deposits", alice, sized(), key)["body"]
    for prefix, data in (("", FRONT), ("back_", BACK)):
        url, headers = created[f"{prefix}upload_url"], created[f"{prefix}upload_headers"]
        signed = dict(parse_qsl(urlsplit(url).query))["X-Amz-SignedHeaders"].split(";")
        assert "content-length" in signed and headers["Content-Length"] == str(len(data))
        assert sigv4_valid(url, "PUT", headers)
        for other in (len(data) + 1, len(data) - 1, 100 * 1024 * 1024):
            assert not sigv4_valid(url, "PUT", {**headers, "Content-Length": str(other)}), other
        assert requests.put(url, data=data, headers=headers, timeout=30).status_code == 200
    # A replay signs the same lengths; another size with the same key is another request.
    again = web(app, "/deposits", alice, sized(), key)["body"]
    assert again["upload_headers"]["Content-Length"] == str(len(FRONT))
    assert web(app, "/deposits", alice, {**sized(), "size": len(FRONT) + 1}, key)["statusCode"] == 409
    status, confirmed = call_api(app, "post", f"/deposits/{created['id']}/uploaded", alice)
    assert status == 202, confirmed


@pytest.mark.parametrize("name,field,value,status,code", DECLARED_SIZES, ids=[c[0] for c in DECLARED_SIZES])
def test_a_declared_size_out_of_bounds_is_refused(
    app: dict[str, Any], name: str, field: str, value: Any, status: int, code: str
) -> None:
    email = f"{name}-{uuid.uuid4().hex[:6]}@example.com"
    answer = web(app, "/deposits", token(email), {**sized(), field: value})
    assert (answer["statusCode"], answer["body"].get("code")) == (status, code), answer["body"]
    assert deposits_of(app, email) == []


def test_without_declared_sizes_the_urls_sign_no_length(app: dict[str, Any]) -> None:
    created = web(app, "/deposits", token("bob@example.com"), BODY)["body"]
    signed = dict(parse_qsl(urlsplit(created["upload_url"]).query))["X-Amz-SignedHeaders"].split(";")
    assert "content-length" not in signed and "Content-Length" not in created["upload_headers"]


def test_the_local_s3rver_does_not_enforce_the_signed_length(app: dict[str, Any]) -> None:
    """What real COS refuses (a body longer than the signed Content-Length) s3rver stores: the local stack
    relies on the check at confirmation, never on this."""
    created = web(app, "/deposits", token("carol@example.com"), sized())["body"]
    longer = FRONT + b"\0" * 1024
    resp = requests.put(created["upload_url"], data=longer, headers={"Content-Type": "image/png"}, timeout=30)
    assert resp.status_code == 200
    assert not sigv4_valid(
        created["upload_url"], "PUT", {"Content-Type": "image/png", "Content-Length": str(len(longer))}
    )
