"""The documents outside `/api/v1/namespaces`: `GET /`, `/api/v1`, `/api/v1/api-docs`, `/local/stats`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.whisk import entities
from infra.whisk.http import Request, Response, json_response

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller

API_INFO = {
    "description": "OpenWhisk API",
    "api_version": "1.0.0",
    "api_version_path": "v1",
    "build": "openchecks-local",
    "buildno": "1",
    "swagger_paths": {"ui": "/docs", "api-docs": "/api-docs"},
}


def info_document() -> dict[str, Any]:
    """`GET /`: what wskdeploy and the CLIs read (runtimes by family, limits, api paths)."""
    return {
        "description": "OpenWhisk (openchecks local platform)",
        "api_paths": ["/api/v1"],
        "support": {"github": "/apache/openwhisk/issues", "slack": "http://slack.openwhisk.org"},
        "runtimes": {
            "python": [
                {
                    "kind": kind,
                    "default": kind == entities.DEFAULT_KIND,
                    "deprecated": False,
                    "requireMain": False,
                    "image": f"openwhisk/action-python-v{kind.split(':')[1]}:nightly",
                    "attached": False,
                }
                for kind in entities.PYTHON_KINDS
            ],
        },
        "limits": {
            "actions_per_minute": 60,
            "triggers_per_minute": 60,
            "concurrent_actions": 30,
            "sequence_length": entities.SEQUENCE_MAX,
            "min_action_duration": entities.TIMEOUT_MS[1],
            "max_action_duration": entities.TIMEOUT_MS[2],
            "min_action_memory": entities.MEMORY_MB[1] * 1024 * 1024,
            "max_action_memory": entities.MEMORY_MB[2] * 1024 * 1024,
            "min_action_logs": entities.LOGS_MB[1] * 1024 * 1024,
            "max_action_logs": entities.LOGS_MB[2] * 1024 * 1024,
            "max_action_concurrency": entities.CONCURRENCY[2],
        },
    }


def root(ctl: Controller, req: Request, txid: str) -> Response:
    return json_response(200, info_document())


def api(ctl: Controller, req: Request, txid: str) -> Response:
    return json_response(200, {**info_document(), **API_INFO})


def api_docs(ctl: Controller, req: Request, txid: str) -> Response:
    return json_response(200, {"swagger": "2.0", "basePath": "/api/v1", "info": API_INFO})


def local_stats(ctl: Controller, req: Request, txid: str) -> Response:
    """Not OpenWhisk: the local container pool's counters, for benches and `deploy.sh local --status`."""
    ctl.identify(req)
    stats = getattr(ctl.activator.pool, "stats", None)
    return json_response(200, {**(stats() if callable(stats) else {}), **ctl.activator.background_stats()})
