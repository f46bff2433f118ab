"""What every entity's routes share: query parameters, JSON bodies, list windows, ownership, 405 replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.whisk import errors
from infra.whisk.entities import parse_json_body
from infra.whisk.errors import ApiError, bad_request, forbidden
from infra.whisk.http import Request, Response, json_response
from infra.whisk.invocation import Identity

MAX_PAYLOAD = 1024 * 1024  # invoke / fire payload limit (OpenWhisk: 1 MB)
LIST_DEFAULT, LIST_MAX = 30, 200


def method_not_allowed(*methods: str) -> ApiError:
    return ApiError(405, "HTTP method not allowed, supported methods: " + ", ".join(methods))


def int_param(query: dict[str, str], name: str, default: int | None, collection: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"The value '{raw}' is not an integer for {collection}.") from None


def bool_param(query: dict[str, str], name: str) -> bool:
    return query.get(name, "false").strip().lower() == "true"


def own(ident: Identity, ns: str) -> None:
    """Writes (and most reads) are only for the caller's own namespace."""
    if ns != ident.namespace:
        raise forbidden()


def body_object(req: Request, required: bool = False) -> dict[str, Any]:
    value = parse_json_body(req.body)
    if value is None:
        if required:
            raise bad_request(errors.malformed("the request needs a JSON object body"))
        return {}
    if not isinstance(value, dict):
        raise bad_request(errors.malformed("the request body must be a JSON object"))
    return value


def check_payload_size(req: Request) -> None:
    if len(req.body) > MAX_PAYLOAD:
        raise ApiError(413, errors.entity_too_big("Request", len(req.body), MAX_PAYLOAD))


def list_window(req: Request, collection: str) -> tuple[int, int]:
    """`skip` and `limit` of a list request, checked as OpenWhisk does (limit 0 means the maximum)."""
    skip = int_param(req.query, "skip", 0, collection) or 0
    limit = int_param(req.query, "limit", LIST_DEFAULT, collection)
    assert limit is not None
    if limit < 0 or limit > LIST_MAX:
        raise bad_request(f"The value '{limit}' is not in the range of 0 to {LIST_MAX} for {collection}.")
    if skip < 0:
        raise bad_request(f"The value '{skip}' is not greater than or equal to 0 for {collection}.")
    return skip, (limit or LIST_MAX)


def entity_list(
    req: Request, docs: list[dict[str, Any]], collection: str, view: Callable[[dict[str, Any]], Any]
) -> Response:
    skip, limit = list_window(req, collection)
    if bool_param(req.query, "count"):
        return json_response(200, {collection: len(docs)})
    return json_response(200, [view(d) for d in docs[skip : skip + limit]])
