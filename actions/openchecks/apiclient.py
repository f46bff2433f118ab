"""A client of the public deposit API, used by `openchecks deposit` and `openchecks deposits`.

It does what the web page does: create a deposit, PUT the image to the presigned URL, confirm the upload,
then poll the deposit until it reaches a final status. Where it points:

- the API: `--api URL`, else `OPENCHECKS_API`, else `APIHOST` (+ `OPENCHECKS_NAMESPACE`, default `guest`)
  with the web action path, else the local stack (`http://127.0.0.1:3233`, or the port in
  `OPENCHECKS_WHISK_PORT`, as infra/ports.py reads it for the stack);
- the token: `--token`, else `OPENCHECKS_TOKEN`, else (local stack only) one minted for `--email` with the
  stack's own secret (`.data/secrets/token_secret`, made by `./deploy.sh local`).

Every call is safe to repeat, so a connection failure, a 429 or a 5xx is retried with capped exponential
backoff for up to `retry_s` seconds (default 60): a deposit is created with an `Idempotency-Key` (a random
UUID per deposit, the same on every retry), so a retried create never makes a second draft; the upload PUTs
the same bytes to the same key; a confirmation of a deposit already confirmed changes nothing.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from openchecks import tokens

FINAL_STATUSES = frozenset({"accepted", "needs_review", "duplicate", "rejected", "failed"})
WEB_PATH = "/api/v1/web/{namespace}/openchecks/api"
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


# Answers worth another try: too many requests, and the server side failing (but for "not implemented").
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
FIRST_DELAY_S = 0.25
MAX_DELAY_S = 4.0


class DepositApiError(RuntimeError):
    """The API (or the upload) refused a request; the message is the API's sentence."""

    def __init__(self, status: int, message: str, code: str = "") -> None:
        super().__init__(f"{message} (HTTP {status}{', ' + code if code else ''})")
        self.status = status
        self.code = code


def local_apihost() -> str:
    """The local stack's API host (see the module docstring). CLI side only: a deployed action carries
    openchecks/ but not infra/, and no action calls this."""
    from infra import ports

    try:
        return ports.configured_url("whisk")
    except ValueError as exc:
        raise DepositApiError(0, str(exc), "bad_port") from None


def api_url(explicit: str | None = None) -> str:
    """The deposit API's base URL (see the module docstring)."""
    if explicit:
        return explicit.rstrip("/")
    if os.environ.get("OPENCHECKS_API"):
        return os.environ["OPENCHECKS_API"].rstrip("/")
    host = os.environ.get("APIHOST") or local_apihost()
    if "://" not in host:
        host = "https://" + host
    namespace = os.environ.get("OPENCHECKS_NAMESPACE", "guest")
    return host.rstrip("/") + WEB_PATH.format(namespace=namespace)


def local_secret_path() -> Path:
    base = os.environ.get("OPENCHECKS_DATA")
    root = Path(base) if base else Path(__file__).resolve().parents[2] / ".data"
    return root / "secrets" / "token_secret"


def resolve_token(explicit: str | None, email: str, role: str, api: str) -> str:
    """The bearer token to use; mints one with the local stack's secret when pointed at the local stack."""
    if explicit:
        return explicit
    if os.environ.get("OPENCHECKS_TOKEN"):
        return os.environ["OPENCHECKS_TOKEN"]
    secret_file = local_secret_path()
    if api.startswith(local_apihost()) and secret_file.is_file():
        return tokens.mint(email, role, 3600, secret_file.read_text().strip())
    raise DepositApiError(
        401, "No token: pass --token or set OPENCHECKS_TOKEN (the local stack mints its own)", "no_token"
    )


def _code_of(resp: requests.Response) -> str:
    try:
        doc = resp.json()
    except ValueError:
        return ""
    return str(doc.get("code", "")) if isinstance(doc, dict) else ""


def _content_type(path: Path) -> str:
    content_type = CONTENT_TYPES.get(path.suffix.lower())
    if content_type is None:
        raise DepositApiError(415, f"{path.name}: use a JPEG, PNG or TIFF image", "unsupported_type")
    return content_type


@dataclass
class DepositClient:
    api: str
    token: str
    timeout: float = 30.0
    retry_s: float = 60.0

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        # What was retried, one line each ("POST /deposits: 503 database_unavailable"): for reports and tests.
        self.retries: list[str] = []

    def _send(self, what: str, send: Callable[[], requests.Response]) -> requests.Response:
        """`send()` again after a connection failure or a retryable status, until `retry_s` has passed;
        the last answer (or the last connection failure) goes to the caller."""
        give_up = time.monotonic() + self.retry_s
        delay = FIRST_DELAY_S
        while True:
            try:
                resp = send()
                if resp.status_code not in RETRY_STATUSES:
                    return resp
                reason = f"{resp.status_code} {_code_of(resp)}".strip()
            except requests.RequestException as exc:
                if time.monotonic() + delay > give_up:
                    raise
                reason = type(exc).__name__
            else:
                if time.monotonic() + delay > give_up:
                    return resp
            self.retries.append(f"{what}: {reason}")
            time.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, MAX_DELAY_S)

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            resp = self._send(
                f"{method} {path}",
                lambda: self.session.request(
                    method, self.api + path, json=body, headers=headers, timeout=self.timeout
                ),
            )
        except requests.RequestException as exc:
            message = f"The deposit API at {self.api} does not answer: {exc}"
            raise DepositApiError(0, message, "unreachable") from exc
        try:
            doc = resp.json()
        except ValueError:
            doc = {"error": resp.text[:200] or resp.reason}
        if resp.status_code >= 400 or not isinstance(doc, dict):
            err = doc if isinstance(doc, dict) else {}
            message, code = str(err.get("error", "unexpected answer")), str(err.get("code", ""))
            raise DepositApiError(resp.status_code, message, code)
        return doc

    def create(
        self,
        to_account: str,
        amount: str,
        content_type: str,
        back_content_type: str | None = None,
        idempotency_key: str | None = None,
        size: int | None = None,
        back_size: int | None = None,
    ) -> dict[str, Any]:
        """Create a draft; every retry sends the same Idempotency-Key (a new UUID unless one is given). With
        the sides' sizes, the upload URLs are signed for exactly those lengths."""
        body: dict[str, Any] = {"to_account": to_account, "amount": amount, "content_type": content_type}
        if back_content_type:
            body["back_content_type"] = back_content_type
        for name, value in (("size", size), ("back_size", back_size)):
            if value is not None:
                body[name] = value
        key = idempotency_key or str(uuid.uuid4())
        return self._call("POST", "/deposits", body, headers={"Idempotency-Key": key})

    def upload(self, created: dict[str, Any], image: bytes, side: str = "front") -> None:
        """PUT one side's bytes to its presigned URL (`upload_url`, or `back_upload_url` for the back)."""
        prefix = "back_" if side == "back" else ""
        headers = {str(k): str(v) for k, v in (created.get(f"{prefix}upload_headers") or {}).items()}
        url = str(created[f"{prefix}upload_url"])
        try:
            resp = self._send(
                f"PUT {side}", lambda: requests.put(url, data=image, headers=headers, timeout=self.timeout)
            )
        except requests.RequestException as exc:
            raise DepositApiError(0, f"The upload to object storage failed: {exc}", "upload_failed") from exc
        if resp.status_code >= 300:
            raise DepositApiError(resp.status_code, "Object storage refused the upload", "upload_refused")

    def confirm(self, deposit_id: str) -> dict[str, Any]:
        return self._call("POST", f"/deposits/{deposit_id}/uploaded")

    def get(self, deposit_id: str) -> dict[str, Any]:
        return self._call("GET", f"/deposits/{deposit_id}")

    def list(self, status: str | None = None) -> list[dict[str, Any]]:
        query = f"?status={status}" if status else ""
        deposits = self._call("GET", f"/deposits{query}").get("deposits") or []
        return [d for d in deposits if isinstance(d, dict)]

    def wait(self, deposit_id: str, timeout_s: float = 120.0, interval_s: float = 0.5) -> dict[str, Any]:
        """Poll until the deposit has a final status; raise DepositApiError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            doc = self.get(deposit_id)
            if doc.get("status") in FINAL_STATUSES:
                return doc
            if time.monotonic() > deadline:
                raise DepositApiError(
                    408,
                    f"Deposit {deposit_id} is still {doc.get('status')} after {timeout_s:.0f} s",
                    "still_processing",
                )
            time.sleep(interval_s)

    def deposit(
        self,
        image_path: Path,
        to_account: str,
        amount: str,
        wait: bool,
        timeout_s: float = 120.0,
        back_path: Path | None = None,
    ) -> dict[str, Any]:
        """Create, upload (front, and back when given) and confirm one deposit; with `wait`, return its
        final document."""
        content_type = _content_type(image_path)
        back_type = _content_type(back_path) if back_path is not None else None
        image = image_path.read_bytes()
        back = back_path.read_bytes() if back_path is not None else None
        created = self.create(
            to_account,
            amount,
            content_type,
            back_type,
            size=len(image),
            back_size=len(back) if back is not None else None,
        )
        self.upload(created, image)
        if back is not None:
            self.upload(created, back, "back")
        confirmed = self.confirm(str(created["id"]))
        if not wait:
            return dict(confirmed.get("deposit") or confirmed)
        return self.wait(str(created["id"]), timeout_s=timeout_s)
