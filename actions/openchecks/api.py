"""The deposit API: pure request -> response handlers, checked in one place.

Routes (every one needs `Authorization: Bearer <token>`: an `openchecks.tokens` HMAC token or, when
`oidc_issuer` is configured, the identity provider's token; see `openchecks.oidc`):

    GET  /me                        -> 200 {"email", "account", "role", "expires"} (account: what deposits
                                            are filed under; the provider's `sub` for its tokens)
    GET  /capture                   -> 200 {"require_back", "max_bytes", "quality": the thresholds the page
                                            applies to a chosen photo before upload}
    POST /deposits                  {"to_account", "amount", "content_type"?, "back_content_type"?,
                                     "size"?, "back_size"?: each side's bytes; given, the upload URL signs
                                     that Content-Length and a size over the limit is refused at once}
                                    [header Idempotency-Key: the same key replays the first answer; see
                                    openchecks.idempotency]
                                    -> 201 {"id", "status", "upload_url", "upload_method", "upload_headers",
                                            "back_upload_url", "back_upload_method", "back_upload_headers",
                                            "require_back", "expires", "expires_in", "deposit"}
    POST /deposits/{id}/uploaded    -> 202 {"id", "status": "processing", "queued", "deposit"} (both sides
                                            validated; the back is required unless require_back is false)
    GET  /deposits/{id}             -> 200 deposit (owner: `customer_view`, without internal fields;
                                            reviewer: everything), with presigned "images" URLs
    GET  /ops/activations[?limit=N] -> 200 {"activations": [{name, start, duration, cold, init_ms, wait_ms,
                                            cache, status}]} of the package's actions (reviewer only)
    GET  /deposits[?status=S&limit=N]  -> 200 {"deposits": [...]} (customer: own; reviewer: all; each with
                                            the thumbnail's URL only)
    POST /deposits/{id}/review      {"action": "approve"|"reject"|"correct"|"override"|"retry", "fields"?,
                                     "reason"?} -> 200 deposit (reviewer only, never on their own deposit:
                                    403 own_deposit; a `duplicate` is only rejected, or accepted by
                                    "override" with a reason once the deposit it duplicates is rejected;
                                    approve and override recheck the daily limit; retry: a `failed`
                                    deposit runs again)
    POST /exports                   -> 202 {"id", "activation_id"}: export-cash-letter runs now (reviewer)
    GET  /exports[?limit=N]         -> 200 {"exports": [export + "download_url" once written]} (reviewer)
    GET  /exports/{id}              -> 200 export + "download_url" (reviewer; see openchecks.export)

Every 2xx body also carries `_meta` (cold start, cache flags, ms) of the api activation; errors carry only
their sentence and code.

Cloudant and COS failures that a retry may cure (refused, reset, 429, 5xx) are retried with capped exponential
backoff within one deadline per request (`openchecks.retry.API_DEADLINE_S`) before the answer is 503.

Every error is `{"error": "<sentence a person can act on>", "code": "<machine code>"}` with a 4xx status
(503 when a backing service is down). `handle` is the only place that authenticates and maps errors.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import json
import os
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from openchecks import idempotency, images, oidc, retry, tokens
from openchecks.deposits import mark_uploaded, retry_failed, review
from openchecks.documents import (
    RECEIVED,
    STATUSES,
    DepositDoc,
    ImageBlock,
    as_status,
    iso,
    new_deposit,
    parse_iso,
    public_view,
    utc_now,
)
from openchecks.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    OpenChecksError,
    TooLarge,
    Unprocessable,
)
from openchecks.fields import check_deposit_id, parse_account, parse_amount, parse_content_type
from openchecks.ledger import release_deposit
from openchecks.runtime import ActionContext, log

MAX_BODY_BYTES = 64 * 1024
BODY_KEYS = (
    "to_account",
    "amount",
    "content_type",
    "back_content_type",
    "size",
    "back_size",
    "action",
    "fields",
    "reason",
)
QUERY_KEYS = ("status", "limit")
JSON_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Access-Control-Allow-Origin": "*",
}


@dataclass
class Request:
    """An HTTP request as the handlers see it: lower-case method, path below the action, headers, query
    (strings) and the JSON body (an object, or None when there was none)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def to_web(self, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The web-action result (`statusCode`, `headers`, `body`). `_meta` goes on 2xx answers only: an
        error's reader needs its sentence and code, nothing about the activation."""
        body = dict(self.body)
        if meta is not None and self.status < 400:
            body["_meta"] = dict(meta)
        return {"statusCode": self.status, "headers": {**JSON_HEADERS, **self.headers}, "body": body}


def _decode_body(raw: Any) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    if len(raw) > MAX_BODY_BYTES * 2:
        raise TooLarge("The request body is too large; it must be under 64 KB.", code="body_too_large")
    text = raw
    stripped = raw.strip()
    if stripped and stripped[0] not in '{["' and not stripped[0].isdigit():
        try:  # raw-http web actions deliver JSON bodies base64-encoded
            text = base64.b64decode(stripped, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            text = raw
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise TooLarge("The request body is too large; it must be under 64 KB.", code="body_too_large")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # deeply nested arrays exhaust the parser's stack
        raise BadRequest("The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(value, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    return value


def request_from_args(args: Mapping[str, Any]) -> Request:
    """Build a Request from web-action arguments (raw-http or not)."""
    method = str(args.get("__ow_method", "get")).lower()
    path = "/" + str(args.get("__ow_path", "") or "").strip("/")
    raw_headers = args.get("__ow_headers") or {}
    headers = (
        {str(k).lower(): str(v) for k, v in raw_headers.items()} if isinstance(raw_headers, dict) else {}
    )
    query: dict[str, str] = {}
    if isinstance(args.get("__ow_query"), str):
        query = {k: v for k, v in parse_qsl(args["__ow_query"], keep_blank_values=True) if k in QUERY_KEYS}
    if "__ow_body" in args:
        body = _decode_body(args.get("__ow_body"))
    else:
        # Non-raw web actions merge body and query fields into the arguments: take only the API's own keys.
        body = {k: args[k] for k in BODY_KEYS if k in args} or None
        for k in QUERY_KEYS:
            if k in args and k not in query:
                query[k] = str(args[k])
    return Request(method=method, path=path, headers=headers, query=query, body=body)


Handler = Callable[["Api", Request, tokens.Claims, list[str]], Response]


class Api:
    """The deposit API over one ActionContext (services are created lazily, after authentication)."""

    def __init__(
        self, ctx: ActionContext, fire: Callable[[str, Mapping[str, Any]], str | None] | None = None
    ) -> None:
        self.ctx = ctx
        if fire is None:
            from openchecks.whisk import fire_trigger

            fire = fire_trigger
        self.fire = fire

    # ------------------------------------------------------------------------------------ dispatching

    def handle(self, request: Request) -> Response:
        """Authenticate, route, run; every error becomes a JSON error response here and only here."""
        try:
            claims = oidc.authenticate(request.headers, self.ctx.settings)
            handler, params = self.route(request)
            # A database or object store restarting is ridden out within one deadline for the request.
            with retry.within(retry.API_DEADLINE_S):
                return handler(self, request, claims, params)
        except OpenChecksError as exc:
            if exc.status >= 500:
                log(f"api {request.method} {request.path[:80]}: {exc.code}: {exc.message}")
            return Response(exc.status, exc.to_body())
        except Exception as exc:
            log(f"api {request.method} {request.path[:80]}: unexpected {type(exc).__name__}")
            return Response(
                500,
                {
                    "error": "The deposit service failed unexpectedly; try again in a minute.",
                    "code": "internal",
                },
            )

    ROUTES: list[tuple[str, re.Pattern[str], str]] = [
        ("get", re.compile(r"^/me$"), "me"),
        ("get", re.compile(r"^/capture$"), "capture"),
        ("post", re.compile(r"^/deposits$"), "create"),
        ("get", re.compile(r"^/deposits$"), "list"),
        ("post", re.compile(r"^/deposits/([^/]+)/uploaded$"), "uploaded"),
        ("get", re.compile(r"^/deposits/([^/]+)$"), "get"),
        ("post", re.compile(r"^/deposits/([^/]+)/review$"), "review"),
        ("get", re.compile(r"^/ops/activations$"), "ops_activations"),
        ("post", re.compile(r"^/exports$"), "export_start"),
        ("get", re.compile(r"^/exports$"), "export_list"),
        ("get", re.compile(r"^/exports/([^/]+)$"), "export_get"),
    ]

    def route(self, request: Request) -> tuple[Handler, list[str]]:
        allowed: list[str] = []
        for method, pattern, name in self.ROUTES:
            match = pattern.match(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed.append(method.upper())
                continue
            handler: Handler = getattr(Api, f"do_{name}")
            return handler, list(match.groups())
        if allowed:
            raise OpenChecksError(
                f"{request.method.upper()} is not allowed here; use {', '.join(allowed)}.",
                code="method_not_allowed",
                status=405,
            )
        raise NotFound(
            f"There is no API route {request.path[:80]!r}; see the API documentation.", code="no_such_route"
        )

    # --------------------------------------------------------------------------------------- helpers

    def _owned(self, deposit_id: str, claims: tokens.Claims, allow_reviewer: bool = True) -> DepositDoc:
        check_deposit_id(deposit_id)
        doc = self.ctx.store().get(deposit_id)
        if doc.get("email") != claims.email and not (allow_reviewer and claims.is_reviewer):
            # Same answer as a missing deposit: another customer's ids reveal nothing.
            raise NotFound("There is no deposit with that id for your account.", code="deposit_not_found")
        return doc

    def _with_images(
        self, doc: Mapping[str, Any], claims: tokens.Claims, listing: bool = False
    ) -> dict[str, Any]:
        """The deposit as `claims` may see it (`customer_view` unless a reviewer), with signed image URLs:
        every image for one deposit; in a list only the thumbnail the list shows (`small`), so a list of
        200 deposits signs 200 URLs, not 1,600."""
        view = public_view(doc, reviewer=claims.is_reviewer)
        if not claims.is_reviewer:
            view = customer_view(view, claims.email)
        storage = self.ctx.storage()
        ttl = self.ctx.settings.image_url_ttl_seconds
        urls: dict[str, str] = {}
        archive = doc.get("archive") or {}
        for name in ("small",) if listing else ("large", "small", "back_large", "back_small"):
            if archive.get(name):
                urls[name] = storage.presigned_get(
                    str(archive.get("bucket", self.ctx.settings.bucket_archive)), str(archive[name]), ttl
                )
        if listing:
            view["images"] = urls
            return view
        for name, field_name in (("original", "image"), ("back_original", "back_image")):
            image = doc.get(field_name) or {}
            if image.get("etag") and image.get("key"):
                urls[name] = storage.presigned_get(str(image.get("bucket")), str(image["key"]), ttl)
        stored: dict[str, Any] = {}
        for side, block in (doc.get("images") or {}).items():
            # The straightened sides the archive keeps (what the X9 export reads), with a signed URL; where
            # they are stored is for reviewers only.
            if side in ("front", "back") and isinstance(block, Mapping) and block.get("key"):
                names: tuple[str, ...] = ("dpi", "width", "height", "content_type")
                if claims.is_reviewer:
                    names = ("bucket", "key", *names)
                stored[side] = {
                    **{k: block[k] for k in names if k in block},
                    "url": storage.presigned_get(str(block["bucket"]), str(block["key"]), ttl),
                }
        view["images"] = {**urls, **stored}
        return view

    # -------------------------------------------------------------------------------------- handlers

    def do_me(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        return Response(
            200,
            {
                "email": claims.shown or claims.email,
                "account": claims.email,
                "role": claims.role,
                "expires": claims.exp,
            },
        )

    def do_capture(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        """What the web page needs before an upload: whether the back is required and the quality
        thresholds it applies to a chosen photo (the same ones the pipeline applies)."""
        import importlib

        thresholds = importlib.import_module("openchecks.check.quality").QualityThresholds
        config = self.ctx.app_config()
        return Response(
            200,
            {
                "require_back": config.require_back,
                "max_bytes": images.MAX_IMAGE_BYTES,
                "quality": thresholds.from_config(config.quality).browser(),
            },
        )

    def do_create(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        body = request.body
        key = idempotency.key_from(request.headers)
        if body is None:
            raise BadRequest("Send a JSON body with to_account and amount.", code="missing_body")
        to_account = parse_account(body.get("to_account"))
        amount_cents = parse_amount(body.get("amount"))
        content_type = parse_content_type(body.get("content_type"))
        back_content_type = parse_content_type(body.get("back_content_type") or content_type)
        size = parse_size(body.get("size"))
        back_size = parse_size(body.get("back_size"), "back_")
        asked = idempotency.fingerprint(
            {"to": to_account, "cents": amount_cents, "type": content_type, "back": back_content_type}
            | ({"size": size, "back_size": back_size} if size or back_size else {})
        )
        deposit_id = idempotency.deposit_id_for(claims.email, key) if key else None
        store = self.ctx.store()
        if deposit_id is not None:
            try:
                return self._replay(store.get(deposit_id), claims.email, asked)
            except NotFound:
                pass  # the key is new (or its draft was refused and deleted): create
        config = self.ctx.app_config()
        if amount_cents > config.max_item_cents:
            raise Unprocessable(
                f"A single check can be at most ${config.max_item_cents / 100:,.2f}; this one "
                f"is ${amount_cents / 100:,.2f}.",
                code="over_item_limit",
            )
        now = utc_now()
        settings = self.ctx.settings
        doc = new_deposit(
            claims.email,
            to_account,
            amount_cents,
            content_type,
            settings.bucket_incoming,
            now,
            deposit_id=deposit_id,
            back_content_type=back_content_type,
            contact_email=claims.shown,
        )
        if key is not None:
            doc["idempotency"] = {"fingerprint": asked}
        if size is not None:
            doc["image"]["signed_size"] = size
        if back_size is not None:
            doc["back_image"]["signed_size"] = back_size
        ttl = settings.upload_url_ttl_seconds
        doc["upload_expires"] = iso(now + timedelta(seconds=ttl))
        try:
            stored = self._create_within_limit(doc, config.max_daily_cents)
        except Conflict:
            existing = store.get(doc["_id"])
            if deposit_id is not None:
                # A concurrent request with the same key created it first: answer as it did.
                return self._replay(existing, claims.email, asked)
            if (existing.get("email"), existing.get("created")) != (doc["email"], doc["created"]):
                raise
            stored = existing  # our own write, retried after its answer was lost (openchecks.retry)
        return Response(201, self._created(stored, ttl, config.require_back))

    def _created(self, doc: Mapping[str, Any], ttl: int, require_back: bool) -> dict[str, Any]:
        """The 201 answer for a `received` deposit: upload URLs for both sides valid for `ttl` seconds (none
        once the deposit has moved on: its images are uploaded)."""
        bucket = self.ctx.settings.bucket_incoming
        front, back = doc["image"], doc["back_image"]
        url = back_url = None
        if doc["status"] == RECEIVED:
            storage = self.ctx.storage()
            url = storage.presigned_put(
                bucket, front["key"], front["content_type"], ttl, front.get("signed_size")
            )
            back_url = storage.presigned_put(
                bucket, back["key"], back["content_type"], ttl, back.get("signed_size")
            )
        return {
            "id": doc["_id"],
            "status": doc["status"],
            "upload_url": url,
            "upload_method": "PUT",
            "upload_headers": _upload_headers(front),
            "back_upload_url": back_url,
            "back_upload_method": "PUT",
            "back_upload_headers": _upload_headers(back),
            "require_back": require_back,
            "expires": doc["upload_expires"],
            "expires_in": ttl,
            "max_bytes": images.MAX_IMAGE_BYTES,
            "deposit": customer_view(public_view(doc), str(doc["email"])),
        }

    def _replay(self, doc: Mapping[str, Any], email: str, asked: str) -> Response:
        """The answer to a repeated `POST /deposits` with the same Idempotency-Key (openchecks.idempotency):
        the first answer again, its upload URLs signed again until the first answer's expiry."""
        idempotency.check_same(doc, email, asked)
        left = int((parse_iso(str(doc["upload_expires"])) - utc_now()).total_seconds())
        body = self._created(doc, max(1, left), self.ctx.app_config().require_back)
        return Response(201, body, {"Idempotent-Replayed": "true"})

    def _create_within_limit(self, doc: DepositDoc, limit_cents: int) -> DepositDoc:
        """Hold the amount in the customer's ledger for the day (compare-and-set: concurrent requests cannot
        pass the limit together), then store the draft; the hold goes again when the draft is not stored."""
        from openchecks.ledger import Ledger

        store = self.ctx.store()
        ledger = Ledger(store)
        held = ledger.reserve(doc["email"], doc["day"], doc["_id"], doc["amount_cents"], limit_cents)
        if held == "over_limit":
            raise Unprocessable(
                f"Today's deposits would exceed your daily limit of ${limit_cents / 100:,.2f} (deposits "
                "waiting for review count too); try again tomorrow.",
                code="over_daily_limit",
            )
        try:
            return store.create(doc)
        except Conflict:
            # A deposit with this id exists (the same key's other request, or our own retried write): the
            # hold is that deposit's.
            raise
        except Exception:
            if held != "held":
                raise  # a concurrent request with the same Idempotency-Key holds it
            try:
                ledger.release(doc["email"], doc["day"], doc["_id"])
            except OpenChecksError as exc:  # the database is down: the hold stays until the day ends
                log(f"api {doc['_id']}: hold not released: {exc.code}")
            raise

    def do_uploaded(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        doc = self._owned(params[0], claims, allow_reviewer=False)
        if doc["status"] != RECEIVED:
            return Response(
                200,
                {
                    "id": doc["_id"],
                    "status": doc["status"],
                    "queued": False,
                    "deposit": customer_view(public_view(doc), claims.email),
                },
            )
        storage = self.ctx.storage()
        image = doc["image"]
        back = doc.get("back_image") or {}

        def refuse() -> None:
            # Nothing is kept from a refused upload: neither the objects nor the draft deposit.
            storage.delete(image["bucket"], image["key"])
            if back.get("key"):
                storage.delete(back["bucket"], back["key"])
            self.ctx.store().delete(doc["_id"])
            release_deposit(self.ctx.store(), doc)

        # Each side is one GET (its ETag, size and bytes in one answer; no HEAD first). The back is read and
        # decoded in a second thread while the front is (the S3 read and the JPEG decoder release the GIL);
        # the answers keep their order: a missing front first, then the front's error, then a missing back,
        # then the back's error. Only reads run early: nothing is written before both ended.
        with ThreadPoolExecutor(max_workers=1) as reader:
            back_read: Future[ImageBlock | None] | None = None
            if back.get("key"):
                # In this request's context: its retry deadline (openchecks.retry) holds in the thread too.
                back_read = reader.submit(contextvars.copy_context().run, self._validated, back, "back_")
            try:
                uploaded = self._validated(image)
            except OpenChecksError as exc:
                if exc.status < 500:
                    if back_read is not None:
                        wait([back_read])
                    refuse()
                raise
            if uploaded is None:
                raise Conflict(
                    "The image has not arrived yet: PUT it to the upload_url first, then confirm.",
                    code="upload_missing",
                )
            try:
                back_uploaded = back_read.result() if back_read is not None else None
            except OpenChecksError as exc:
                if exc.status < 500:
                    refuse()
                raise
            if back_uploaded is None and self.ctx.app_config().require_back:
                raise Conflict(
                    "The back of the check has not arrived yet: PUT a photo of the endorsed back to the "
                    "back_upload_url first, then confirm.",
                    code="back_upload_missing",
                )
        doc, changed = mark_uploaded(
            self.ctx.store(), doc["_id"], uploaded, claims.email, back_image=back_uploaded, current=doc
        )
        # Only the confirmation that moved the deposit to `processing` starts the pipeline: concurrent or
        # repeated confirmations answer with its state and start nothing.
        queued = self._start(doc) if changed else False
        return Response(
            202,
            {
                "id": doc["_id"],
                "status": doc["status"],
                "queued": queued,
                "deposit": customer_view(public_view(doc), claims.email),
            },
        )

    def _validated(self, image: Mapping[str, Any], prefix: str = "") -> ImageBlock | None:
        """Read and check one uploaded side (size, type, pixel count, a full decode): None when it has not
        been uploaded; raises with the side named."""
        try:
            read = self.ctx.storage().read(image["bucket"], image["key"], images.MAX_IMAGE_BYTES)
            if read is None:
                return None
            info, data = read
            images.check_size(info.size)
            checked = images.validate_image(data)
        except OpenChecksError as exc:
            if prefix and exc.status < 500:
                exc.message = f"The back of the check: {exc.message}"
                exc.code = prefix + exc.code
            raise
        return {
            "etag": info.etag,
            "size": info.size,
            "format": checked.format,
            "content_type": checked.content_type,
            "width": checked.width,
            "height": checked.height,
        }

    def _start(self, doc: Mapping[str, Any]) -> bool:
        """Fire check-uploaded for a `processing` deposit; False when OpenWhisk did not take it (the deposit
        stays `processing` and find-new-checks re-runs it, so nobody needs to retry by hand)."""
        try:
            self.fire(
                self.ctx.settings.trigger_name, {"deposit_id": doc["_id"], "attempt": doc.get("attempts", 1)}
            )
        except OpenChecksError as exc:
            log(f"api {doc['_id']}: trigger not fired: {exc.code}")
            return False
        return True

    def do_get(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        doc = self._owned(params[0], claims)
        return Response(200, self._with_images(doc, claims))

    def do_list(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        asked = request.query.get("status") or None
        status = as_status(asked)
        if asked is not None and status is None:
            raise BadRequest(
                f"Unknown status {asked[:40]!r}; use one of {', '.join(STATUSES)}.", code="invalid_status"
            )
        limit_text = request.query.get("limit") or "50"
        if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= 200:
            raise BadRequest("limit must be a whole number from 1 to 200.", code="invalid_limit")
        email = None if claims.is_reviewer else claims.email
        docs = self.ctx.store().list_for(email, status, int(limit_text))
        return Response(200, {"deposits": [self._with_images(d, claims, listing=True) for d in docs]})

    def do_ops_activations(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        if not claims.is_reviewer:
            raise Forbidden("Only a reviewer can see the operations charts.", code="reviewer_only")
        limit_text = request.query.get("limit") or "200"
        if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= 200:
            raise BadRequest("limit must be a whole number from 1 to 200.", code="invalid_limit")
        from openchecks.whisk import list_activations

        records = list_activations(int(limit_text))
        # This action's own package (`/ns/openchecks/api` -> openchecks): the charts show its actions only.
        parts = [p for p in os.environ.get("__OW_ACTION_NAME", "").split("/") if p]
        package = parts[-2] if len(parts) >= 3 else "openchecks"
        summaries = [activation_summary(r, package) for r in records]
        return Response(200, {"activations": [s for s in summaries if s is not None]})

    def do_review(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        if not claims.is_reviewer:
            raise Forbidden("Only a reviewer can approve, reject or correct deposits.", code="reviewer_only")
        check_deposit_id(params[0])
        body = request.body or {}
        if body.get("action") == "retry":
            doc = retry_failed(self.ctx.store(), params[0], claims.email, body.get("reason"))
            self._start(doc)
            return Response(200, self._with_images(doc, claims))
        doc = review(
            self.ctx.store(),
            params[0],
            body.get("action"),
            body.get("fields"),
            body.get("reason"),
            claims.email,
            config=self.ctx.app_config(),
        )
        return Response(200, self._with_images(doc, claims))

    # ---------------------------------------------------------------------------- X9 cash letter exports

    def _exports(self, claims: tokens.Claims) -> Any:
        if not claims.is_reviewer:
            raise Forbidden("Only a reviewer can see or start cash letter exports.", code="reviewer_only")
        from openchecks.export import ExportStore

        return ExportStore(self.ctx.store().client, self.ctx.settings.exports_db)

    def _export_view(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        from openchecks.export import public_export

        view = public_export(doc)
        if doc.get("state") in ("written", "done") and doc.get("key"):
            view["download_url"] = self.ctx.storage().presigned_get(
                str(doc.get("bucket") or self.ctx.settings.bucket_exports),
                str(doc["key"]),
                self.ctx.settings.image_url_ttl_seconds,
            )
        return view

    def do_export_start(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        self._exports(claims)
        from openchecks.export import new_export_id
        from openchecks.whisk import invoke_async, sibling_action

        export_id = new_export_id()
        try:
            activation = invoke_async(
                sibling_action("export-cash-letter"),
                {"trigger": "manual", "by": claims.email, "export_id": export_id},
            )
        except OpenChecksError as exc:
            raise OpenChecksError(
                "OpenWhisk did not start the export; try again in a minute (the daily one still runs).",
                code=exc.code,
                status=503,
            ) from exc
        return Response(202, {"id": export_id, "activation_id": activation})

    def do_export_list(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        exports = self._exports(claims)
        limit_text = request.query.get("limit") or "50"
        if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= 200:
            raise BadRequest("limit must be a whole number from 1 to 200.", code="invalid_limit")
        docs = exports.recent(int(limit_text))
        return Response(200, {"exports": [self._export_view(d) for d in docs]})

    def do_export_get(self, request: Request, claims: tokens.Claims, params: list[str]) -> Response:
        return Response(200, self._export_view(self._exports(claims).get(params[0])))


# What a customer's view of their own deposit leaves out: where things are stored (archive keys, the X9
# file's key), the platform's ids (each step's activation id), internal failures (last_error) and who else
# touched it (reviewers' emails, another deposit's id).
CUSTOMER_HIDDEN = ("archive", "last_error", "duplicate_of", "possible_duplicate_of", "override")
STEP_HIDDEN = ("activation_id",)
AUTOMATIC = ("pipeline", "find-new-checks")


def customer_view(view: Mapping[str, Any], email: str) -> dict[str, Any]:
    """`public_view` trimmed to what the customer's page shows (see CUSTOMER_HIDDEN)."""
    out = {k: v for k, v in view.items() if k not in CUSTOMER_HIDDEN}

    def who(by: Any) -> str:
        return "you" if by == email else str(by) if by in AUTOMATIC else "reviewer"

    if isinstance(out.get("history"), list):
        out["history"] = [
            {**h, "by": who(h.get("by"))} if isinstance(h, Mapping) else h for h in out["history"]
        ]
    if isinstance(out.get("reviews"), list):
        out["reviews"] = [_without(r, ("by",)) for r in out["reviews"]]
    if isinstance(out.get("steps"), Mapping):
        out["steps"] = {name: _without(meta, STEP_HIDDEN) for name, meta in out["steps"].items()}
    if "export" in out:
        out["export"] = _without(out["export"], ("key",))
    return out


def _without(value: Any, names: tuple[str, ...]) -> Any:
    return {k: v for k, v in value.items() if k not in names} if isinstance(value, Mapping) else value


def parse_size(value: Any, prefix: str = "") -> int | None:
    """A declared upload size in bytes (None when not given); 413 over the image limit, 400 when not a
    whole number of bytes."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(
            f"The field {prefix}size must be the image's size in bytes, a whole number.",
            code=f"invalid_{prefix}size",
        )
    try:
        images.check_size(value)
    except OpenChecksError as exc:
        if prefix:
            exc.message, exc.code = f"The back of the check: {exc.message}", prefix + exc.code
        raise
    return value


def _upload_headers(side: Mapping[str, Any]) -> dict[str, str]:
    """The headers the upload must carry (Content-Length when it is signed: browsers set it themselves)."""
    headers = {"Content-Type": str(side["content_type"])}
    if side.get("signed_size") is not None:
        headers["Content-Length"] = str(side["signed_size"])
    return headers


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def activation_summary(record: Mapping[str, Any], package: str) -> dict[str, Any] | None:
    """What the operations charts need of one activation of the package's actions (no logs, no result
    beyond `_meta`); None for other entities and for sequences."""
    pairs = [a for a in record.get("annotations") or [] if isinstance(a, dict)]
    annotations = {a.get("key"): a.get("value") for a in pairs}
    path = str(annotations.get("path") or "")
    if f"/{package}/" not in f"/{path}" or annotations.get("kind") == "sequence":
        return None
    response = _dict(record.get("response"))
    meta = _dict(_dict(response.get("result")).get("_meta"))
    return {
        "name": str(record.get("name", "")),
        "start": record.get("start"),
        "duration": record.get("duration"),
        "cold": "initTime" in annotations,
        "init_ms": annotations.get("initTime"),
        "wait_ms": annotations.get("waitTime"),
        "cache": _dict(meta.get("cache")),
        "status": response.get("status"),
    }


def handle_web(
    args: Mapping[str, Any],
    ctx: ActionContext,
    fire: Callable[[str, Mapping[str, Any]], str | None] | None = None,
) -> dict[str, Any]:
    """Web-action entry: arguments in, `{statusCode, headers, body}` out (with `_meta` in the body)."""
    try:
        request = request_from_args(args)
    except OpenChecksError as exc:
        return Response(exc.status, exc.to_body()).to_web(ctx.meta())
    response = Api(ctx, fire).handle(request)
    return response.to_web(ctx.meta())
