"""Security review as tests, on the session stack with manifest.yaml deployed (distinctive secrets).

- Only the owner and reviewers read a deposit or its image URLs; nobody without a token reads anything.
- Presigned URLs are short-lived (X-Amz-Expires at most the configured seconds) and scoped: the SigV4
  signature is recomputed here, so a URL for key A provably does not authorise key B or another content
  type. (The local s3rver does not check signatures, see ../shared/reference/local-services.md; real COS
  does, which is why the signature itself is what the test verifies.) An expired URL is refused.
- Web actions check tokens in one place: every API route refuses a request without a token, and the token
  check appears once in the action code.
- Secrets (token secret, SMTP password) are absent from the activation records (docs=true, logs included),
  from the stack's logs and from what the UI serves.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

from infra.services.process import free_port
from tests.fixtures.app import FINAL, App, deploy_app, require_models, undeploy_app, unique_email
from tests.fixtures.stack import LocalStack

REPO = Path(__file__).resolve().parents[2]
TOKEN_SECRET = "sec-suite-token-secret-Zq8vN3xK7wP2"
SMTP_PASSWORD = "sec-suite-smtp-password-Hd93kLq"
SECRETS = (TOKEN_SECRET, SMTP_PASSWORD)
S3_SECRET = "S3RVER"  # s3rver accepts only this pair; the signature check below uses it


@pytest.fixture(scope="module")
def secure_app(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    require_models()
    extra = {
        # A port where nothing listens: notifications fail fast, exercising the error path for leaks.
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
        "SMTP_USERNAME": "openchecks",
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "SMTP_FROM": "openchecks@example.com",
    }
    app = deploy_app(stack, tmp_path_factory.mktemp("secure-app"), secret=TOKEN_SECRET, extra_env=extra)
    try:
        yield app
    finally:
        undeploy_app(app)


def _check_jpeg(seed: int) -> tuple[bytes, str]:
    """A clean synthetic check from `seed` on, the first whose amount is within the default item limit."""
    from openchecks.config import AppConfig
    from openchecks.micr.synth import make_check

    while True:
        picture, truth = make_check(random.Random(seed), review_rate=0.0, photo_rate=0.0)
        if float(truth.declared_amount) * 100 <= AppConfig().max_item_cents:
            break
        seed += 1  # synth draws up to $99,999; over $50,000 the API refuses the deposit (over_item_limit)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=90)
    return buf.getvalue(), truth.declared_amount


@pytest.fixture(scope="module")
def processed(secure_app: App) -> dict[str, Any]:
    """One deposit of a customer, processed to its final status (with archive copies)."""
    owner = unique_email("owner")
    data, amount = _check_jpeg(time.time_ns())
    deposit_id = secure_app.deposit(secure_app.headers(owner), data, "image/jpeg", amount)
    doc = secure_app.settle([deposit_id], timeout=150, sweep_after=30)[deposit_id]
    assert doc is not None and doc["status"] in FINAL and doc.get("archive"), doc
    return {"id": deposit_id, "owner": owner}


# ---------------------------------------------------------------------------------- who reads what


def test_only_the_owner_and_reviewers_read_a_deposit(secure_app: App, processed: dict[str, Any]) -> None:
    app, deposit_id = secure_app, processed["id"]
    owner = app.headers(processed["owner"])
    stranger = app.headers(unique_email("stranger"))
    reviewer = app.headers("rita@bank.example", "reviewer")

    mine = app.call("GET", f"/deposits/{deposit_id}", owner)
    assert mine.status_code == 200
    assert set(mine.json()["images"]) == {
        *("large", "small", "original", "front"),
        *("back_large", "back_small", "back_original", "back"),
    }
    assert app.call("GET", f"/deposits/{deposit_id}", reviewer).status_code == 200
    theirs = app.call("GET", f"/deposits/{deposit_id}", stranger)
    assert theirs.status_code == 404 and theirs.json()["code"] == "deposit_not_found"
    assert "images" not in theirs.json() and processed["owner"] not in theirs.text
    assert app.call("GET", f"/deposits/{deposit_id}").status_code == 401

    listed = app.call("GET", "/deposits", stranger).json()["deposits"]
    assert deposit_id not in {d["id"] for d in listed}
    assert deposit_id in {d["id"] for d in app.call("GET", "/deposits", owner).json()["deposits"]}
    everyone = app.call("GET", "/deposits?limit=200", reviewer).json()["deposits"]
    assert deposit_id in {d["id"] for d in everyone}
    # A customer's listing never carries the original upload's URL, and no image URL of anyone else.
    for item in app.call("GET", "/deposits", owner).json()["deposits"]:
        assert "original" not in item["images"] and "back_original" not in item["images"]
        urls = [v["url"] if isinstance(v, dict) else v for v in item["images"].values()]
        assert all(item["id"] in url for url in urls)


def test_the_buckets_are_not_made_public() -> None:
    # Local s3rver serves anonymous GETs whatever the ACL; on COS the buckets stay private unless code asks.
    for path in (REPO / "actions" / "openchecks").glob("*.py"):
        text = path.read_text()
        assert "public-read" not in text and "ACL=" not in text, path


# ------------------------------------------------------------------------------------ presigned URLs


def _signing_key(secret: str, date: str, region: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sigv4_valid(url: str, method: str, headers: dict[str, str], secret: str = S3_SECRET) -> bool:
    """Whether the query-string SigV4 signature of `url` authorises this request (as S3/COS checks it)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = query.pop("X-Amz-Signature", "")
    signed = query["X-Amz-SignedHeaders"].split(";")
    all_headers = {k.lower(): v.strip() for k, v in headers.items()}
    all_headers["host"] = parts.netloc
    if any(name not in all_headers for name in signed):
        return False
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    canonical = "\n".join(
        [
            method,
            quote(parts.path, safe="/-_.~"),
            canonical_query,
            "".join(f"{name}:{all_headers[name]}\n" for name in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    _key_id, date, region, _service, _term = query["X-Amz-Credential"].split("/")
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            query["X-Amz-Date"],
            f"{date}/{region}/s3/aws4_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    expected = hmac.new(_signing_key(secret, date, region), to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_presigned_upload_urls_are_short_lived_and_scoped(secure_app: App) -> None:
    from openchecks.config import Settings

    app = secure_app
    headers = app.headers(unique_email("presign"))
    first = app.create(headers, "image/png")
    second = app.create(headers, "image/png")
    ttl = Settings().upload_url_ttl_seconds
    query = dict(parse_qsl(urlsplit(first["upload_url"]).query))
    assert int(query["X-Amz-Expires"]) <= ttl and first["expires_in"] <= ttl
    assert set(query["X-Amz-SignedHeaders"].split(";")) >= {"host", "content-type"}
    assert urlsplit(first["upload_url"]).path.endswith(f"/{first['id']}/front.png")

    url = first["upload_url"]
    assert sigv4_valid(url, "PUT", first["upload_headers"])  # the verifier agrees with the signer
    other_key = url.replace(first["id"], second["id"])
    assert not sigv4_valid(other_key, "PUT", first["upload_headers"]), "a URL for key A authorises key B"
    assert not sigv4_valid(url, "PUT", {"Content-Type": "text/html"}), "the content type is not bound"
    assert not sigv4_valid(url, "GET", first["upload_headers"]), "an upload URL also reads"
    longer = url.replace(f"X-Amz-Expires={query['X-Amz-Expires']}", "X-Amz-Expires=604800")
    assert not sigv4_valid(longer, "PUT", first["upload_headers"]), "the expiry can be stretched"


def test_an_expired_presigned_url_is_refused(secure_app: App) -> None:
    from openchecks.runtime import ActionContext

    params = {
        "cos_endpoint": secure_app.stack.s3_url,
        "cos_access_key_id": "S3RVER",
        "cos_secret_access_key": "S3RVER",
    }
    storage = ActionContext(params, "security-test").storage()
    url = storage.presigned_put(secure_app.incoming, "dep-" + "e" * 32 + "/front.png", "image/png", 1)
    time.sleep(2.5)
    resp = requests.put(url, data=b"late", headers={"Content-Type": "image/png"}, timeout=30)
    assert resp.status_code == 403, resp.text


def test_image_urls_are_short_lived_and_scoped(secure_app: App, processed: dict[str, Any]) -> None:
    from openchecks.config import Settings

    body = secure_app.call(
        "GET", f"/deposits/{processed['id']}", secure_app.headers(processed["owner"])
    ).json()
    ttl = Settings().image_url_ttl_seconds
    urls = [v["url"] if isinstance(v, dict) else v for v in body["images"].values()]
    assert len(urls) == 8
    for url in urls:
        query = dict(parse_qsl(urlsplit(url).query))
        assert int(query["X-Amz-Expires"]) <= ttl
        assert processed["id"] in urlsplit(url).path
        assert sigv4_valid(url, "GET", {})
        assert not sigv4_valid(url.replace(processed["id"], "dep-" + "f" * 32), "GET", {})
        assert not sigv4_valid(url, "PUT", {}), "an image URL also writes"


# ---------------------------------------------------------------------------------- one token check


def _route_paths() -> list[tuple[str, str]]:
    """(method, concrete path) for every route the API declares."""
    from openchecks.api import Api

    out = []
    for method, pattern, _name in Api.ROUTES:
        path = pattern.pattern.strip("^$").replace("([^/]+)", "dep-" + "a" * 32)
        out.append((method.upper(), path))
    return out


def test_every_api_route_refuses_a_missing_token(secure_app: App) -> None:
    routes = _route_paths()
    assert len(routes) >= 6
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Token abc"}):
            resp = secure_app.call(method, path, headers, json={} if method == "POST" else None)
            assert resp.status_code == 401, (method, path, resp.text)
            assert resp.json()["code"] == "token_missing"

    # The token is checked in one place: Api.handle, before any route runs, through oidc.authenticate, the one
    # caller of both verifiers (the HMAC tokens' and the identity provider's).
    def calls(pattern: str) -> list[tuple[str, str]]:
        return [
            (path.name, line.strip())
            for path in sorted((REPO / "actions").rglob("*.py"))
            for line in path.read_text().splitlines()
            if re.search(pattern, line) and not line.strip().startswith(("def ", "#", '"'))
        ]

    assert [c[0] for c in calls(r"\boidc\.authenticate\(")] == ["api.py"], calls(r"oidc\.authenticate\(")
    assert [c[0] for c in calls(r"\btokens\.verify\(|\bverify\(tokens")] == ["oidc.py"]
    assert [c[0] for c in calls(r"(?<![\w.])verify\(token, config")] == ["oidc.py"]


# --------------------------------------------------------------------------------------- no secrets


def _grep(text: str) -> list[str]:
    found = [s for s in SECRETS if s in text]
    found += [
        m.group(0)
        for m in re.finditer(r'"(token_secret|smtp_password|cos_secret_access_key)"\s*:\s*"[^"*]', text)
    ]
    return found


def _documents(value: Any) -> list[str]:
    """Ids of stored deposit documents (a `_rev` with a `history`) anywhere in a JSON value."""
    found: list[str] = []
    if isinstance(value, dict):
        if "_rev" in value and "history" in value:
            found.append(str(value.get("_id")))
        for inner in value.values():
            found += _documents(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _documents(inner)
    return found


def test_activation_records_hold_no_deposit_document(secure_app: App, processed: dict[str, Any]) -> None:
    """Issue 13: records keep what their reader needs. No record holds a stored deposit document (the
    notification rule's sequence through the catalog's `read` action used to), and no record but the api's
    own answers holds a signed URL."""
    app = secure_app
    deadline = time.monotonic() + 60
    while True:
        records = app.activations(app.deployed_ms)
        names = {r["name"] for r in records}
        if "notify-customer" in names or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert {"api", "fetch-image", "ocr-check", "record-deposit", "notify-customer"} <= names, names
    for record in records:
        result = (record.get("response") or {}).get("result")
        assert _documents(result) == [], (
            f"activation {record['name']} {record['activationId']} holds a deposit"
        )
        if record["name"] != "api":
            assert "X-Amz-Signature" not in json.dumps(result), f"{record['name']} keeps a signed URL"


def test_secrets_are_absent_from_activations_logs_and_ui(secure_app: App, processed: dict[str, Any]) -> None:
    app = secure_app
    # Error paths too: a refused token, a bad body, a notification whose SMTP server is down.
    app.call("GET", "/deposits", {"Authorization": "Bearer forged.token"})
    app.call("POST", "/deposits", app.headers(unique_email("leak")), data=b"{not json")
    time.sleep(3)
    records = app.activations(app.deployed_ms)
    assert len(records) > 10
    names = {r["name"] for r in records}
    assert {"api", "fetch-image", "ocr-check", "record-deposit"} <= names, names
    for record in records:
        leaks = _grep(json.dumps(record))
        assert not leaks, f"activation {record['name']} {record['activationId']} leaks {leaks}"
    for log in sorted((app.stack.data_dir / "logs").glob("*.log")):
        assert not _grep(log.read_text(errors="replace")), f"{log} leaks a secret"
    for path in sorted((REPO / "ui").rglob("*")):
        if path.is_file():
            assert not _grep(path.read_text(errors="replace")), path
    # What the deployed UI action serves (it runs with the package parameters, secrets included).
    page = requests.get(f"{app.stack.api_host}/api/v1/web/guest/openchecks/ui/", timeout=60)
    if page.status_code == 200:
        served = [page.text]
        for asset in re.findall(r'(?:src|href)="([^"#:]+)"', page.text):
            served.append(
                requests.get(f"{app.stack.api_host}/api/v1/web/guest/openchecks/ui/{asset}", timeout=60).text
            )
        for text in served:
            assert not _grep(text), "the UI serves a secret"
            assert SMTP_PASSWORD not in text and TOKEN_SECRET not in text
