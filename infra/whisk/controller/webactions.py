"""Web actions: `/api/v1/web/{namespace}/{package|default}/{action}[.ext][/path]` as OpenWhisk serves them.

Request -> action arguments (`__ow_*`, query, body), then the action's result -> HTTP response through the
extension's transcoder (.http, .json, .html, .svg, .text). Behaviour follows OpenWhisk's WebActions.scala.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from infra.whisk import errors
from infra.whisk.activation import APPLICATION_ERROR, SUCCESS
from infra.whisk.entities import NAME_RE, is_binary_code, kv_get
from infra.whisk.errors import ApiError, bad_request, not_found, unauthorized
from infra.whisk.http import JSON_TYPE, Request, Response, error_response, json_response
from infra.whisk.invocation import MAX_BLOCKING_WAIT_MS, Identity

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller

EXTENSIONS = (".http", ".json", ".html", ".svg", ".text")
RESERVED = {"__ow_method", "__ow_headers", "__ow_path", "__ow_user", "__ow_query", "__ow_body"}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
CORS_METHODS = "OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH"
CORS_HEADERS = "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent"
MAX_WEB_BODY = 1024 * 1024


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_json_family(mt: str) -> bool:
    return mt == "application/json" or mt.endswith("+json")


def is_binary_type(mt: str) -> bool:
    """Akka-http's notion: text and the usual textual application types are not binary."""
    if not mt or mt.startswith("text/") or is_json_family(mt) or mt.endswith("+xml"):
        return False
    return mt not in {
        "application/xml",
        "application/javascript",
        "application/x-www-form-urlencoded",
        "application/ecmascript",
    }


def split_extension(action_segment: str) -> tuple[str, str]:
    """``name.ext`` -> (name, ext) for a known extension; anything else is the name, served as ``.http``."""
    for candidate in EXTENSIONS:
        if action_segment.endswith(candidate):
            return action_segment[: -len(candidate)], candidate
    return action_segment, ".http"


class WebActions:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    def handle(self, req: Request, rest: str, txid: str) -> Response:
        if req.method not in METHODS:
            raise ApiError(405, "HTTP method not allowed, supported methods: " + ", ".join(sorted(METHODS)))
        segments = rest.split("/")
        if len(segments) < 3:
            raise not_found()
        ns, pkg_segment, action_segment = (unquote(s) for s in segments[:3])
        extra = segments[3:]
        if not extra and self.controller.gateway.is_management(ns, pkg_segment, action_segment):
            return self._manage(req, action_segment, txid)
        name, ext = split_extension(action_segment)
        owner, resolved = self._exported(ns, pkg_segment, name)
        annotations = resolved.doc.get("annotations", [])
        caller = self.controller.identify(req, required=False)
        custom_options = kv_get(annotations, "web-custom-options") is True
        cors: list[tuple[str, str]] = []
        if not custom_options:
            cors = self._cors(req)
            if req.method == "OPTIONS":
                return Response(200, b"", cors)
        try:
            if req.method != "OPTIONS" or not custom_options:
                self._check_auth(annotations, req, caller)
            ow_path = "/" + "/".join(extra) if extra else ""
            response = self._process(req, owner, resolved, ext, ow_path, caller, txid)
        except ApiError as exc:
            response = error_response(exc.status, exc.message, txid, exc.headers)
        response.headers.extend(cors)
        return response

    def _manage(self, req: Request, action_segment: str, txid: str) -> Response:
        """The API gateway's management actions (createApi, getApi, deleteApi), always with CORS."""
        mgmt_cors = self._cors(req)
        if req.method == "OPTIONS":
            return Response(200, b"", mgmt_cors)
        try:
            managed = self.controller.gateway.manage(req, action_segment, txid)
        except ApiError as exc:
            managed = error_response(exc.status, exc.message, txid, exc.headers)
        managed.headers.extend(mgmt_cors)
        return managed

    def _exported(self, ns: str, pkg_segment: str, name: str) -> tuple[Identity, Any]:
        """The namespace's owner and the resolved action, which must be web-exported; else 404."""
        for part in (ns, pkg_segment, name):
            if not part or not NAME_RE.match(part):
                raise not_found()
        key = self.controller.keys.get(ns)
        if key is None:
            raise not_found()
        pkg = None if pkg_segment == "default" else pkg_segment
        try:
            resolved = self.controller.activator.resolve(ns, ns, pkg, name)
        except ApiError:
            raise not_found() from None
        if kv_get(resolved.doc.get("annotations", []), "web-export") is not True:
            raise not_found()
        return Identity(ns, key), resolved

    @staticmethod
    def _cors(req: Request) -> list[tuple[str, str]]:
        return [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Methods", CORS_METHODS),
            ("Access-Control-Allow-Headers", req.headers.get("access-control-request-headers", CORS_HEADERS)),
        ]

    @staticmethod
    def _check_auth(annotations: list[dict[str, Any]], req: Request, caller: Identity | None) -> None:
        required = kv_get(annotations, "require-whisk-auth")
        if required is None or required is False:
            return
        if required is True:
            ok = caller is not None
        elif isinstance(required, str | int | float) and not isinstance(required, bool):
            text = (
                str(int(required)) if isinstance(required, float) and required.is_integer() else str(required)
            )
            ok = req.headers.get("x-require-whisk-auth") == text
        else:
            ok = False
        if not ok:
            raise unauthorized(errors.AUTH_MISSING)

    def _process(
        self,
        req: Request,
        owner: Identity,
        resolved: Any,
        ext: str,
        ow_path: str,
        caller: Identity | None,
        txid: str,
    ) -> Response:
        if len(req.body) > MAX_WEB_BODY:
            raise ApiError(413, errors.entity_too_big("Request", len(req.body), MAX_WEB_BODY))
        annotations = resolved.doc.get("annotations", [])
        raw = kv_get(annotations, "raw-http") is True
        content = self._arguments(req, ow_path, caller, raw, resolved.final)
        args = dict(resolved.params)
        args.update(content)
        activation_id, record = self.controller.activator.invoke(
            owner, resolved, args, True, MAX_BLOCKING_WAIT_MS, transaction_id=txid
        )
        id_header = [("x-openwhisk-activation-id", activation_id)]
        if record is None:
            return error_response(202, errors.RESPONSE_NOT_READY, txid, dict(id_header))
        response = record["response"]
        code = response.get("statusCode")
        if code not in (SUCCESS, APPLICATION_ERROR):
            out = error_response(400, errors.ERROR_PROCESSING_REQUEST, txid)
        else:
            result = response.get("result")
            if code == APPLICATION_ERROR:
                if not isinstance(result, dict) or "error" not in result:
                    out = error_response(404, "Response does not include requested property.", txid)
                    out.headers.extend(id_header)
                    return out
                result = result["error"]
            try:
                out = TRANSCODERS[ext](result)
            except ApiError as exc:
                out = error_response(exc.status, exc.message, txid)
        out.headers.extend(id_header)
        return out

    @staticmethod
    def _arguments(
        req: Request, ow_path: str, caller: Identity | None, raw: bool, final: set[str]
    ) -> dict[str, Any]:
        headers = dict(req.headers)
        args: dict[str, Any] = {
            "__ow_method": req.method.lower(),
            "__ow_headers": headers,
            "__ow_path": ow_path,
        }
        if caller is not None:
            args["__ow_user"] = caller.namespace
        mt = media_type(req.headers.get("content-type", ""))
        body: Any = None  # None = no body
        data = req.body
        if data:
            if is_json_family(mt) and not raw:
                try:
                    body = json.loads(data)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise bad_request(errors.malformed(str(exc))) from None
            elif mt == "application/x-www-form-urlencoded" and not raw:
                body = dict(parse_qsl(data.decode("utf-8", "replace"), keep_blank_values=True))
            elif is_binary_type(mt) or mt == "application/json":
                body = base64.b64encode(data).decode()
            else:
                body = data.decode("utf-8", "replace")
        if raw:
            args["__ow_query"] = req.raw_query
            args["__ow_body"] = body if body is not None else ""
            return args
        query = dict(parse_qsl(req.raw_query, keep_blank_values=True))
        body_keys = set(body) if isinstance(body, dict) else set()
        if (set(query) | body_keys) & (RESERVED | final):
            raise bad_request(errors.PARAMETERS_NOT_ALLOWED)
        args.update(query)
        if isinstance(body, dict):
            args.update(body)
        elif body is not None:
            args["__ow_body"] = body
        return args


# ---- transcoders ------------------------------------------------------------------------------------


def _as_json(result: Any) -> Response:
    if isinstance(result, dict | list):
        return json_response(200, result)
    raise bad_request("Response is not valid 'application/json'.")


def _field(result: Any, *names: str) -> Any:
    if isinstance(result, dict):
        for n in names:
            if n in result:
                return result[n]
        return None
    return result


def _as_html(result: Any) -> Response:
    html = _field(result, "body", "html")
    if not isinstance(html, str):
        raise bad_request("Response is not valid 'text/html'.")
    return Response(200, html.encode(), [("Content-Type", "text/html; charset=UTF-8")])


def _as_svg(result: Any) -> Response:
    svg = _field(result, "body", "svg")
    if not isinstance(svg, str):
        raise bad_request("Response is not valid 'image/svg+xml'.")
    return Response(200, svg.encode(), [("Content-Type", "image/svg+xml")])


def _as_text(result: Any) -> Response:
    if isinstance(result, dict):
        if "body" in result:
            value = result["body"]
        elif "text" in result:
            value = result["text"]
        else:
            raise not_found("Response does not include requested property.")
    else:
        value = result
    if isinstance(value, dict | list):
        text = json.dumps(value, indent=2)
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    else:
        text = str(value)
    return Response(200, text.encode(), [("Content-Type", "text/plain; charset=UTF-8")])


def _header_values(name: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    if isinstance(value, str):
        return [(name, value)]
    if isinstance(value, int | float):
        return [(name, str(value))]
    if isinstance(value, list):
        out: list[tuple[str, str]] = []
        for v in value:
            out.extend(_header_values(name, v))
        return out
    raise ValueError("invalid header")


_INVALID_HTTP = "Response is not valid 'message/http'."


def _http_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    raw_headers = result.get("headers")
    if raw_headers is None:
        return []
    if not isinstance(raw_headers, dict):
        raise bad_request(_INVALID_HTTP)
    headers: list[tuple[str, str]] = []
    try:
        for k, v in raw_headers.items():
            headers.extend(_header_values(str(k), v))
    except ValueError:
        raise bad_request(_INVALID_HTTP) from None
    return headers


def _http_status(result: dict[str, Any]) -> int | None:
    """``statusCode``: an integer (a whole float will do) from 100 to 599, or None when absent."""
    if "statusCode" not in result:
        return None
    code = result["statusCode"]
    if isinstance(code, bool) or (isinstance(code, float) and not code.is_integer()):
        raise bad_request(_INVALID_HTTP)
    try:
        status = int(code)
    except (ValueError, TypeError):
        raise bad_request(_INVALID_HTTP) from None
    if not 100 <= status <= 599:
        raise bad_request(_INVALID_HTTP)
    return status


def _http_text_body(body: str, content_type: str | None) -> tuple[bytes, str]:
    """A string body: base64 for a binary type (or JSON-family base64), else UTF-8; with its content type."""
    ctype = content_type or "text/html"
    mt = media_type(ctype)
    if not mt or "/" not in mt:
        raise bad_request("Response did not specify a known content-type.")
    if is_binary_type(mt) or (is_json_family(mt) and is_binary_code(body)):
        try:
            data = base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            raise bad_request("Response type in header did not match generated content type.") from None
    else:
        data = body.encode()
    if content_type is None or (not is_binary_type(mt) and "charset" not in ctype.lower()):
        ctype = f"{mt}; charset=UTF-8"
    return data, ctype


def _as_http(result: Any) -> Response:
    if not isinstance(result, dict):
        raise bad_request(_INVALID_HTTP)
    headers = _http_headers(result)
    status = _http_status(result)
    body = result.get("body")
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    others = [(k, v) for k, v in headers if k.lower() != "content-type"]
    if body is None or body == "":
        return Response(status or 204, b"", others)
    if isinstance(body, str):
        data, ctype = _http_text_body(body, content_type)
        return Response(status or 200, data, [("Content-Type", ctype), *others])
    mt = media_type(content_type or JSON_TYPE)
    if not is_json_family(mt):
        raise bad_request("Response type in header did not match generated content type.")
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status or 200, data, [("Content-Type", content_type or JSON_TYPE), *others])


TRANSCODERS = {".http": _as_http, ".json": _as_json, ".html": _as_html, ".svg": _as_svg, ".text": _as_text}
