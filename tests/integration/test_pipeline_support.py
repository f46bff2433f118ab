"""Support for the pipeline integration tests (this module holds no tests): settings for fresh
databases and buckets on the test servers, provisioned, plus helpers to drive the deposit API and the
steps in-process."""

from __future__ import annotations

import io
import uuid
from typing import Any

import requests
from openchecks import tokens
from openchecks.api import handle_web
from openchecks.provision import provision
from openchecks.runtime import ActionContext
from PIL import Image

SECRET = "integration-test-secret-0123456789"


def app_params(couchdb_url: str, s3_url: str, cache_dir: str) -> dict[str, Any]:
    """Package parameters for a fresh, isolated set of databases and buckets."""
    tag = uuid.uuid4().hex[:8]
    return {
        "cloudant_url": couchdb_url,
        "cos_endpoint": s3_url,
        "cos_access_key_id": "S3RVER",
        "cos_secret_access_key": "S3RVER",
        "bucket_incoming": f"in-{tag}",
        "bucket_archive": f"arch-{tag}",
        "deposits_db": f"deposits-{tag}",
        "claims_db": f"claims-{tag}",
        "notifications_db": f"notes-{tag}",
        "config_db": f"config-{tag}",
        "token_secret": SECRET,
        "image_cache_dir": cache_dir,
        "config_ttl_seconds": 60,
    }


def provisioned(params: dict[str, Any]) -> dict[str, Any]:
    from openchecks.config import Settings

    provision(Settings.from_params(params, environ={}))
    return params


def token(email: str, role: str = "customer", ttl: int = 3600) -> str:
    return tokens.mint(email, role, ttl, SECRET)


def call_api(
    params: dict[str, Any],
    method: str,
    path: str,
    tok: str | None,
    body: Any = None,
    query: str = "",
    fired: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """One web-action call the way the platform makes it for a raw-http action (`headers` besides the
    token, lower-case names as OpenWhisk passes them)."""
    import base64
    import json

    args = dict(params)
    args.update(
        {
            "__ow_method": method,
            "__ow_path": path,
            "__ow_query": query,
            "__ow_headers": {**({"authorization": f"Bearer {tok}"} if tok else {}), **(headers or {})},
        }
    )
    if body is not None:
        args["__ow_body"] = base64.b64encode(json.dumps(body).encode()).decode()

    def fire(name: str, payload: Any) -> str:
        if fired is not None:
            fired.append({"trigger": name, **payload})
        return "0" * 32

    result = handle_web(args, ActionContext(args, "api"), fire=fire)
    return int(result["statusCode"]), result["body"]


def png_bytes(width: int = 640, height: int = 280, color: tuple[int, int, int] = (240, 240, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def upload(create_body: dict[str, Any], data: bytes, side: str = "front") -> requests.Response:
    """PUT the bytes to the side's presigned URL with the headers the API asked for."""
    prefix = "back_" if side == "back" else ""
    return requests.put(
        create_body[f"{prefix}upload_url"],
        data=data,
        headers=create_body[f"{prefix}upload_headers"],
        timeout=30,
    )


def action(name: str) -> Any:
    """The `main` of actions/<name>/__main__.py, the code the platform runs."""
    import importlib

    return importlib.import_module(f"{name}.__main__").main


SEQUENCE = ("fetch_image", "ocr_check", "parse_check", "record_deposit")
ENDORSED = {"present": True, "restrictive": True, "text": "For mobile deposit only", "confidence": 0.9}


def good_read(reading: dict[str, Any], declared_cents: Any) -> dict[str, Any]:
    """What ocr-check passes on for a good check whose MICR line reads as `reading`: the declared amount
    read on it and a restrictive endorsement on its back."""
    cents = declared_cents if isinstance(declared_cents, int) else None
    amount = None
    if cents is not None:
        amount = {"amount": f"{cents // 100}.{cents % 100:02d}", "cents": cents, "source": "both"}
        amount["confidence"] = 0.99
    return {"reading": reading, "amount_read": amount, "endorsement": dict(ENDORSED)}


def run_sequence(
    params: dict[str, Any],
    payload: dict[str, Any],
    reading: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run process-check the way the platform does: each step gets the package parameters under the
    previous step's result, and an `error` stops the chain. With `reading`, ocr-check is replaced by a good
    check's read with that MICR reading (`good_read`; for tests about what happens after the read)."""
    result = dict(payload)
    for step in SEQUENCE:
        args = {**params, **(overrides or {}).get(step, {}), **result}
        if step == "ocr_check" and reading is not None:
            if not (result.get("outcome") or result.get("skip")):  # as ocr-check passes those through
                result = {**result, **good_read(reading, result.get("declared_cents"))}
            continue
        result = action(step)(args)
        if "error" in result:
            return result
    return result


BACK = png_bytes(color=(235, 235, 230))


def deposit(
    params: dict[str, Any],
    tok: str,
    data: bytes,
    amount: str = "1042.00",
    content_type: str = "image/png",
    back: bytes | None = BACK,
    back_content_type: str = "image/png",
) -> dict[str, Any]:
    """Create a deposit, upload `data` (and `back` unless None), confirm it; returns the trigger payload the
    API fired."""
    fired: list[dict[str, Any]] = []
    status, body = call_api(
        params,
        "post",
        "/deposits",
        tok,
        {
            "to_account": "12345678",
            "amount": amount,
            "content_type": content_type,
            "back_content_type": back_content_type,
        },
    )
    assert status == 201, body
    assert upload(body, data).status_code == 200
    if back is not None:
        assert upload(body, back, "back").status_code == 200
    status, confirmed = call_api(params, "post", f"/deposits/{body['id']}/uploaded", tok, fired=fired)
    assert status == 202, confirmed
    assert fired and fired[0]["deposit_id"] == body["id"]
    payload = dict(fired[0])
    payload.pop("trigger")
    return payload


def get_doc(params: dict[str, Any], deposit_id: str) -> dict[str, Any]:
    """The stored deposit document, straight from the database."""
    resp = requests.get(f"{params['cloudant_url']}/{params['deposits_db']}/{deposit_id}", timeout=10)
    resp.raise_for_status()
    doc: dict[str, Any] = resp.json()
    return doc


def set_config(params: dict[str, Any], **values: Any) -> None:
    """Change the configuration document (tests use config_ttl_seconds=0 to see it at once)."""
    url = f"{params['cloudant_url']}/{params['config_db']}/config"
    doc = requests.get(url, timeout=10).json()
    doc.update(values)
    requests.put(url, json=doc, timeout=10).raise_for_status()


def require_micr_models() -> None:
    """Skip the calling test when the MICR models are not installed (python -m infra.models install)."""
    import pytest

    from infra.models import TESSDATA

    if not (TESSDATA / "e13b.traineddata").is_file():
        pytest.skip(f"needs the MICR models in {TESSDATA} (run python -m infra.models install)")
