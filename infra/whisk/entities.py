"""Entity documents of the local OpenWhisk: validation of PUT bodies and the JSON shapes clients see.

Documents are stored as the API returns them, plus private keys starting with "_" (for example the
action revision that keys warm containers) which `public()` strips.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from typing import Any

from infra.whisk import errors
from infra.whisk.errors import ApiError, bad_request

NAME_RE = re.compile(r"\A([\w]|[\w][\w@ .-]*[\w@.-]+)\Z")
NAME_MAX = 256
# apache/openwhisk's runtimes manifest (ansible/files/runtimes.json), Python family: python:3.10 is the
# default, so `python:default` resolves to it; there is no `python` nor `python:3` kind. Both run on this
# machine's Python (see the README's local platform section).
PYTHON_KINDS = ("python:3.10", "python:3.11")
DEFAULT_KIND = "python:3.10"
KIND_ALIASES = {"python:default": DEFAULT_KIND}
KINDS = (*PYTHON_KINDS, "blackbox", "sequence")
SEQUENCE_MAX = 50
CODE_MAX = 48 * 1024 * 1024  # OpenWhisk's action code size limit

# OpenWhisk's default limits and ranges (application.conf): (default, min, max).
TIMEOUT_MS = (60_000, 100, 300_000)
MEMORY_MB = (256, 128, 512)
LOGS_MB = (10, 0, 10)
CONCURRENCY = (1, 1, 1)

_BASE64_RE = re.compile(r"\A[A-Za-z0-9+/]*={0,2}\Z")


def now_ms() -> int:
    return int(time.time() * 1000)


def check_name(name: str) -> str:
    """Return `name` if it is a valid OpenWhisk entity name, else raise 400."""
    if not name or len(name) > NAME_MAX or not NAME_RE.match(name):
        raise bad_request(errors.ENTITY_NAME_ILLEGAL)
    return name


def is_binary_code(code: str) -> bool:
    """OpenWhisk ignores `binary` on PUT: code is binary iff it is non-empty valid base64."""
    text = code.strip()
    if not text or len(text) % 4 != 0 or not _BASE64_RE.match(text):
        return False
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as clients see it (private keys removed)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def bump_version(version: str) -> str:
    parts = version.split(".")
    try:
        parts[-1] = str(int(parts[-1]) + 1)
    except ValueError:
        return "0.0.1"
    return ".".join(parts)


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "0")
    return bool(value)


# ---- key/value arrays ------------------------------------------------------------------------------


def check_keyvalues(value: Any, what: str) -> list[dict[str, Any]]:
    """Validate a `parameters` / `annotations` array of {key, value} objects."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(errors.malformed(f'\'{what}\' must be an array of {{"key", "value"}} objects'))
    out: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise bad_request(errors.malformed(f"every entry of '{what}' needs a string 'key'"))
        entry: dict[str, Any] = {"key": item["key"], "value": item.get("value")}
        if item.get("init") is True:
            entry["init"] = True
        out.append(entry)
    return out


def kv_get(kvs: list[dict[str, Any]], key: str, default: Any = None) -> Any:
    for kv in kvs:
        if kv.get("key") == key:
            return kv.get("value")
    return default


def kv_merge(base: list[dict[str, Any]], over: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`over` wins per key; order: base keys first, then new keys."""
    merged = {kv["key"]: kv for kv in base}
    for kv in over:
        merged[kv["key"]] = kv
    return list(merged.values())


def kv_set(kvs: list[dict[str, Any]], key: str, value: Any) -> list[dict[str, Any]]:
    return kv_merge(kvs, [{"key": key, "value": value}])


# ---- limits ----------------------------------------------------------------------------------------


def _limit(value: Any, name: str, bounds: tuple[int, int, int], unit: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{what} limit must be whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise bad_request(f"{what} limit must be whole number")
        value = int(value)
    _, low, high = bounds
    if value > high:
        raise bad_request(f"{name} {value}{unit} exceeds allowed threshold of {high}{unit}")
    if value < low:
        raise bad_request(f"{name} {value}{unit} below allowed threshold of {low}{unit}")
    return int(value)


def default_limits() -> dict[str, int]:
    return {
        "timeout": TIMEOUT_MS[0],
        "memory": MEMORY_MB[0],
        "logs": LOGS_MB[0],
        "concurrency": CONCURRENCY[0],
    }


def check_limits(value: Any, current: dict[str, int] | None) -> dict[str, int]:
    """Validate `limits`; fields not given keep their current (or default) value."""
    limits = dict(current or default_limits())
    if value is None:
        return limits
    if not isinstance(value, dict):
        raise bad_request(errors.malformed("'limits' must be an object"))
    if value.get("timeout") is not None:
        limits["timeout"] = _limit(value["timeout"], "duration", TIMEOUT_MS, " milliseconds", "time")
    if value.get("memory") is not None:
        limits["memory"] = _limit(value["memory"], "memory size", MEMORY_MB, " MB", "memory")
    if value.get("logs") is not None:
        limits["logs"] = _limit(value["logs"], "log size", LOGS_MB, " MB", "log")
    if value.get("concurrency") is not None:
        limits["concurrency"] = _limit(value["concurrency"], "concurrency", CONCURRENCY, "", "concurrency")
    return limits


# ---- actions ---------------------------------------------------------------------------------------


def resolve_kind(kind: Any) -> str:
    if not isinstance(kind, str):
        raise bad_request(errors.malformed("'exec.kind' must be a string"))
    kind = kind.lower()
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        valid = "', '".join(PYTHON_KINDS)
        raise bad_request(
            f"The specified runtime '{kind}' is not supported by this platform. Valid values are: '{valid}'."
        )
    return kind


def _check_sequence(value: dict[str, Any]) -> dict[str, Any]:
    components = value.get("components")
    if not isinstance(components, list) or not all(isinstance(c, str) for c in components) or not components:
        raise bad_request(errors.SEQUENCE_NO_COMPONENT)
    if len(components) > SEQUENCE_MAX:
        raise bad_request(errors.SEQUENCE_TOO_LONG)
    return {"kind": "sequence", "components": list(components)}


def _check_blackbox(value: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A blackbox action runs here only with its code (returned); the image alone is kept as a name."""
    image, code = value.get("image"), value.get("code")
    if not isinstance(image, str) or not image:
        raise bad_request(errors.malformed("a blackbox action needs 'exec.image'"))
    if code is not None and not isinstance(code, str):
        raise bad_request(errors.malformed("'exec.code' must be a string"))
    if not code:
        raise bad_request(
            "This platform runs blackbox actions only with code (a Python __main__.py or a zip); "
            f"image '{image}' alone cannot be pulled here."
        )
    return {"kind": "blackbox", "image": image}, code


def _check_code(code: Any, kind: str) -> str:
    if not isinstance(code, str):  # empty code is accepted, as by OpenWhisk (its init then fails)
        raise bad_request(errors.malformed(f"'code' must be a string defined in 'exec' for '{kind}' actions"))
    return code


def _check_main(main: Any) -> dict[str, Any]:
    """``exec.main`` as stored: absent for the default ``main``."""
    if main is None:
        return {}
    if not isinstance(main, str) or not main.isidentifier():
        raise bad_request(errors.malformed("'exec.main' must be the name of a function"))
    return {} if main == "main" else {"main": main}


def check_exec(value: Any) -> dict[str, Any]:
    """Validate `exec` (Python kinds, blackbox with code, sequence); sequence components unresolved."""
    if not isinstance(value, dict):
        raise bad_request(errors.malformed("'exec' must be an object with a 'kind'"))
    kind = resolve_kind(value.get("kind"))
    if kind == "sequence":
        return _check_sequence(value)
    if kind == "blackbox":
        out, code = _check_blackbox(value)
    else:
        out, code = {"kind": kind}, _check_code(value.get("code"), kind)
    if len(code) > CODE_MAX:
        raise ApiError(413, errors.entity_too_big("Code", len(code), CODE_MAX))
    out["code"] = code
    out["binary"] = is_binary_code(code)
    out.update(_check_main(value.get("main")))
    return out


def code_revision(doc: dict[str, Any]) -> str:
    """What keys warm containers: any update of the action yields a new revision (as OpenWhisk's doc rev)."""
    h = hashlib.sha1()
    h.update(json.dumps([doc["exec"], doc.get("parameters"), doc["version"], doc["updated"]]).encode())
    return h.hexdigest()[:16]


def new_action(
    namespace: str, name: str, body: dict[str, Any], old: dict[str, Any] | None, exec_: dict[str, Any] | None
) -> dict[str, Any]:
    """Build the stored action from a PUT body (create when `old` is None, else OpenWhisk's update merge)."""
    params = check_keyvalues(body.get("parameters"), "parameters") if "parameters" in body else None
    annotations = check_keyvalues(body.get("annotations"), "annotations")
    del_annotations = body.get("delAnnotations") or []
    if not isinstance(del_annotations, list):
        raise bad_request(errors.malformed("'delAnnotations' must be an array of keys"))
    publish = body.get("publish")
    given_exec = exec_
    if old is None:
        if exec_ is None:
            raise bad_request(errors.malformed("'exec' is required to create an action"))
        limits = check_limits(body.get("limits"), None)
        merged_ann = annotations
        if kv_get(merged_ann, "provide-api-key") is None:
            merged_ann = kv_set(merged_ann, "provide-api-key", False)
        version = "0.0.1"
        parameters = params or []
    else:
        exec_ = exec_ or old["exec"]
        limits = check_limits(body.get("limits"), old["limits"])
        # OpenWhisk's update: delAnnotations are removed from the old annotations, then the new ones added
        kept = [kv for kv in old.get("annotations", []) if kv["key"] not in del_annotations]
        merged_ann = kv_merge(kept, annotations)
        version = bump_version(old.get("version", "0.0.1"))
        old_is_sequence = old["exec"]["kind"] == "sequence"
        if given_exec is None and old_is_sequence:
            parameters = old.get("parameters", [])  # a sequence keeps its _actions, given parameters or not
        elif params is not None:
            parameters = params
        else:
            parameters = [] if old_is_sequence else old.get("parameters", [])
        if publish is None:
            publish = old.get("publish", False)
    merged_ann = kv_set(merged_ann, "exec", exec_["kind"])
    if exec_["kind"] == "sequence" and given_exec is not None:
        # as OpenWhisk: a sequence's parameters are exactly `_actions`, its components with a leading slash
        parameters = [{"key": "_actions", "value": ["/" + c.lstrip("/") for c in exec_["components"]]}]
    doc: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "version": version,
        "publish": bool(publish),
        "exec": exec_,
        "annotations": merged_ann,
        "parameters": parameters,
        "limits": limits,
        "updated": now_ms(),
    }
    doc["_rev"] = code_revision(doc)
    return doc


def action_summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "namespace": doc["namespace"],
        "name": doc["name"],
        "version": doc["version"],
        "publish": doc["publish"],
        "annotations": doc["annotations"],
        "limits": doc["limits"],
        "exec": {"binary": doc["exec"].get("binary", False)},
        "updated": doc["updated"],
    }


# ---- packages, triggers, rules -----------------------------------------------------------------------


def new_package(
    namespace: str, name: str, body: dict[str, Any], old: dict[str, Any] | None
) -> dict[str, Any]:
    params = check_keyvalues(body.get("parameters"), "parameters") if "parameters" in body else None
    annotations = check_keyvalues(body.get("annotations"), "annotations")
    publish = body.get("publish")
    doc: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "version": "0.0.1" if old is None else bump_version(old.get("version", "0.0.1")),
        "publish": bool(publish if publish is not None else (old or {}).get("publish", False)),
        "annotations": replaced_annotations(body, annotations, old),
        "parameters": params if params is not None else (old or {}).get("parameters", []),
        "binding": (old or {}).get("binding", {}),
        "updated": now_ms(),
    }
    return doc


def replaced_annotations(
    body: dict[str, Any], annotations: list[dict[str, Any]], old: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Packages, triggers and rules: given annotations replace the old ones."""
    if old is None or body.get("annotations") is not None:
        return annotations
    return list(old.get("annotations", []))


def package_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The list view: `binding` is the binding object, or false for a plain package."""
    out = {k: doc[k] for k in ("namespace", "name", "version", "publish", "annotations", "updated")}
    out["binding"] = doc.get("binding") or False
    return out


def new_trigger(
    namespace: str, name: str, body: dict[str, Any], old: dict[str, Any] | None
) -> dict[str, Any]:
    params = check_keyvalues(body.get("parameters"), "parameters") if "parameters" in body else None
    annotations = check_keyvalues(body.get("annotations"), "annotations")
    feed = kv_get(annotations, "feed")
    if feed is not None and (not isinstance(feed, str) or not _valid_path(feed)):
        raise bad_request("Feed name is not valid")
    publish = body.get("publish")
    return {
        "namespace": namespace,
        "name": name,
        "version": "0.0.1" if old is None else bump_version(old.get("version", "0.0.1")),
        "publish": bool(publish if publish is not None else (old or {}).get("publish", False)),
        "annotations": replaced_annotations(body, annotations, old),
        "parameters": params if params is not None else (old or {}).get("parameters", []),
        "limits": {},
        "rules": (old or {}).get("rules", {}),
        "updated": now_ms(),
    }


def trigger_summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("namespace", "name", "version", "publish", "annotations", "updated")}


def _valid_path(path: str) -> bool:
    parts = [p for p in path.strip("/").split("/")]
    return 2 <= len(parts) <= 3 and all(p and NAME_RE.match(p) for p in parts)


def split_path(text: str, caller_ns: str) -> tuple[str, str | None, str]:
    """Parse an entity reference "name", "pkg/name", "/ns/name" or "/ns/pkg/name" into (ns, pkg, name).

    A reference without a leading slash is relative to `caller_ns`; "_" means `caller_ns`.
    """
    if not isinstance(text, str) or not text.strip():
        raise bad_request(errors.malformed("an entity name must be a non-empty string"))
    absolute = text.startswith("/")
    parts = text.strip("/").split("/")
    if absolute:
        if len(parts) == 2:
            ns, pkg, name = parts[0], None, parts[1]
        elif len(parts) == 3:
            ns, pkg, name = parts[0], parts[1], parts[2]
        else:
            raise bad_request(
                "The fully qualified name of the entity must contain at least the namespace and the name "
                "of the entity."
            )
    else:
        if len(parts) == 1:
            ns, pkg, name = caller_ns, None, parts[0]
        elif len(parts) == 2:
            ns, pkg, name = caller_ns, parts[0], parts[1]
        else:
            ns, pkg, name = parts[0], parts[1], parts[2]
    if ns == "_":
        ns = caller_ns
    for p in (ns, pkg, name):
        if p is not None:
            check_name(p)
    return ns, pkg, name


def parse_json_body(raw: bytes) -> Any:
    """Decode a JSON request body (empty -> None); malformed -> 400 with the parser's reason."""
    if not raw or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, errors.malformed(str(exc))) from None
