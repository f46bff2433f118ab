"""`/api/v1/namespaces` (the caller's namespace) and `/api/v1/namespaces/{ns}/limits` (Namespaces.scala)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.whisk import entities
from infra.whisk.controller.common import MAX_PAYLOAD, method_not_allowed, own
from infra.whisk.http import Request, Response, json_response
from infra.whisk.invocation import Identity

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller


def list_namespaces(req: Request, ident: Identity) -> Response:
    if req.method != "GET":
        raise method_not_allowed("GET")
    return json_response(200, [ident.namespace])


def limits(ctl: Controller, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
    own(ident, ns)
    # OpenWhisk's UserLimits as JSON: memory and logs in MB, timeouts in ms, parameter size a ByteSize
    return json_response(
        200,
        {
            "invocationsPerMinute": 60,
            "concurrentInvocations": 30,
            "firesPerMinute": 60,
            "minActionMemory": entities.MEMORY_MB[1],
            "maxActionMemory": entities.MEMORY_MB[2],
            "minActionLogs": entities.LOGS_MB[1],
            "maxActionLogs": entities.LOGS_MB[2],
            "minActionTimeout": entities.TIMEOUT_MS[1],
            "maxActionTimeout": entities.TIMEOUT_MS[2],
            "minActionConcurrency": entities.CONCURRENCY[1],
            "maxActionConcurrency": entities.CONCURRENCY[2],
            "maxParameterSize": f"{MAX_PAYLOAD // (1024 * 1024)} MB",
            "maxActionInstances": 30,
        },
    )
