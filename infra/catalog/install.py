"""Install the catalog (see `infra.catalog`) with PUT ?overwrite=true, skipping entities already as wanted."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from infra.owclient import WhiskClient, WhiskError

LOCAL_BINDING = "cloudant-local"
KIND = "python:3.11"
ACTIONS_DIR = Path(__file__).resolve().parent / "actions"
_HELPER_IMPORT = "from infra.catalog.actions.couchdb import"


class CatalogError(RuntimeError):
    """The API refused an entity; the message names it and quotes the answer."""


@dataclass
class Entity:
    """One entity to PUT: `path` under /api/v1/namespaces/, its body, and the key that owns it."""

    path: str
    body: dict[str, Any]
    key: str
    compare: list[str] = field(default_factory=list)


def action_source(name: str) -> str:
    """The deployable single-file source of action `name` (the couchdb helper inlined where imported)."""
    source = (ACTIONS_DIR / f"{name}.py").read_text()
    if _HELPER_IMPORT not in source:
        return source
    helper = (ACTIONS_DIR / "couchdb.py").read_text()
    body = "\n".join(
        line
        for line in source.splitlines()
        if not line.startswith(_HELPER_IMPORT) and line != "from __future__ import annotations"
    )
    return helper + "\n\n# ---- " + name + " ----\n" + body + "\n"


def _params(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in values.items()]


def _annotations(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in values.items()]


def catalog_entities(
    feeds_url: str,
    couchdb_url: str,
    keys: dict[str, str],
    couchdb_auth: tuple[str, str] | None = None,
) -> list[Entity]:
    """Every entity of the catalog, in the order they must be created; `keys` are the platform's
    (namespace -> "uuid:key"), `couchdb_auth` the local CouchDB's user and password for the binding."""
    system_key, guest_key = keys["whisk.system"], keys["guest"]
    couch_user, couch_password = couchdb_auth or ("", "")
    feeds_url = feeds_url.rstrip("/")
    couch = urlsplit(couchdb_url)
    entities = [
        Entity(
            "whisk.system/packages/alarms",
            {
                "publish": True,
                "parameters": _params({"trigger_payload": "", "provider_endpoint": feeds_url}),
                "annotations": _annotations({"description": "Alarms and periodic triggers"}),
            },
            system_key,
            ["publish", "parameters", "annotations"],
        ),
        Entity(
            "whisk.system/packages/cloudant",
            {
                "publish": True,
                "parameters": _params(
                    {
                        "dbname": "",
                        "host": "",
                        "username": "",
                        "password": "",
                        "url": "",
                        "provider_endpoint": feeds_url,
                    }
                ),
                "annotations": _annotations({"description": "Cloudant / CouchDB changes feed and documents"}),
            },
            system_key,
            ["publish", "parameters", "annotations"],
        ),
    ]
    feeds = {"alarms": ("alarm", "interval", "once"), "cloudant": ("changes",)}
    for package, names in feeds.items():
        for name in names:
            entities.append(
                Entity(
                    f"whisk.system/actions/{package}/{name}",
                    {
                        "exec": {"kind": KIND, "code": action_source("feed")},
                        "parameters": _params({"feed": name}),
                        "annotations": _annotations(
                            {"feed": True, "description": f"{package} feed '{name}'"}
                        ),
                        "limits": {"timeout": 60000},
                    },
                    system_key,
                    ["exec", "parameters", "annotations"],
                )
            )
    for name in ("read", "write"):
        entities.append(
            Entity(
                f"whisk.system/actions/cloudant/{name}",
                {
                    "exec": {"kind": KIND, "code": action_source(name)},
                    "annotations": _annotations({"description": f"cloudant {name} document"}),
                },
                system_key,
                ["exec", "annotations"],
            )
        )
    entities.append(
        Entity(
            f"guest/packages/{LOCAL_BINDING}",
            {
                "binding": {"namespace": "whisk.system", "name": "cloudant"},
                "parameters": _params(
                    {
                        "url": couchdb_url.rstrip("/"),
                        "host": couch.netloc,
                        "protocol": couch.scheme or "http",
                        "username": couch_user,
                        "password": couch_password,
                    }
                ),
            },
            guest_key,
            ["binding", "parameters"],
        )
    )
    return entities


def _same(current: dict[str, Any], wanted: dict[str, Any], keys: list[str]) -> bool:
    for key in keys:
        have, want = current.get(key), wanted[key]
        if key == "exec":
            if not isinstance(have, dict) or (have.get("kind"), have.get("code")) != (
                want["kind"],
                want["code"],
            ):
                return False
        elif key == "annotations":
            present = {a.get("key"): a.get("value") for a in have or []}
            if any(present.get(a["key"]) != a["value"] for a in want):
                return False
        elif key == "parameters":
            # GET answers with the package's (or bound package's) parameters merged in: compare ours only.
            present = {p.get("key"): p.get("value") for p in have or []}
            if any(p["key"] not in present or present[p["key"]] != p["value"] for p in want):
                return False
        elif key == "binding":
            if not isinstance(have, dict) or (have.get("namespace"), have.get("name")) != (
                want["namespace"],
                want["name"],
            ):
                return False
        elif have != want:
            return False
    return True


def install(
    apihost: str,
    feeds_url: str,
    couchdb_url: str,
    keys: dict[str, str],
    couchdb_auth: tuple[str, str] | None = None,
    wait: float = 30.0,
) -> dict[str, str]:
    """Install every catalog entity at `apihost` with the platform's `keys`; returns {path: created|updated|
    unchanged}. `couchdb_auth` goes into the `/guest/cloudant-local` binding.

    Waits up to `wait` seconds for the API to answer first; raises CatalogError on a refused PUT.
    """
    clients = {key: WhiskClient(apihost, key, user_agent="openchecks-catalog") for key in set(keys.values())}
    probe = next(iter(clients.values()))
    deadline = time.monotonic() + wait
    while True:
        try:
            probe.request("GET", probe.apihost + "/api/v1", ok=None, timeout=5)
            break
        except WhiskError as exc:
            if time.monotonic() > deadline:
                raise CatalogError(f"OpenWhisk at {apihost} did not answer: {exc}") from None
            time.sleep(0.5)
    report: dict[str, str] = {}
    for entity in catalog_entities(feeds_url, couchdb_url, keys, couchdb_auth):
        client = clients.get(entity.key) or WhiskClient(apihost, entity.key, user_agent="openchecks-catalog")
        namespace, collection, name = entity.path.split("/", 2)
        try:
            current = client.get(collection, name, namespace)
            if current is not None and _same(current, entity.body, entity.compare):
                report[entity.path] = "unchanged"
                continue
            client.put(collection, name, entity.body, namespace=namespace)
        except WhiskError as exc:
            verb = exc.method or "GET"
            raise CatalogError(
                f"{verb} {entity.path} answered HTTP {exc.status}: {exc.message[:300]}"
            ) from None
        report[entity.path] = "updated" if current is not None else "created"
    return report
