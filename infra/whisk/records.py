"""The shapes of the platform's documents (TypedDicts) and the one builder of activation records.

Entity documents are what the store keeps and the REST API answers (minus `_`-prefixed keys); an
activation record is OpenWhisk's `WhiskActivation` as JSON. Every record the platform writes (an action's,
a sequence's, a trigger's) is made by `activation_record`.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict, cast

ActivationStatus = Literal["success", "application error", "action developer error", "whisk internal error"]


class KeyValue(TypedDict):
    key: str
    value: Any


class EntityDoc(TypedDict):
    """What every entity document has."""

    namespace: str
    name: str
    version: str
    publish: bool
    annotations: list[KeyValue]
    updated: int


class ActionDoc(EntityDoc):
    exec: dict[str, Any]  # {kind, code, binary, main}, {kind: "sequence", components}, {kind: "blackbox"...}
    parameters: list[KeyValue]
    limits: dict[str, int]


class BindingRef(TypedDict):
    namespace: str
    name: str


class PackageDoc(EntityDoc):
    parameters: list[KeyValue]
    binding: BindingRef | dict[str, str]  # {} for a package that is no binding


class RuleEntry(TypedDict):
    action: dict[str, str]  # {path, name}
    status: Literal["active", "inactive"]


class TriggerDoc(EntityDoc):
    parameters: list[KeyValue]
    limits: dict[str, int]
    rules: dict[str, RuleEntry]  # "namespace/rule" -> the rule's action and status


class RuleDoc(EntityDoc):
    trigger: dict[str, str]  # {path, name}
    action: dict[str, str]  # {path, name}


class ActivationResponse(TypedDict):
    status: ActivationStatus | str
    statusCode: int
    success: bool
    result: Any


class ActivationRecord(TypedDict):
    namespace: str
    name: str
    version: str
    subject: str
    activationId: str
    start: int
    end: NotRequired[int]
    duration: NotRequired[int]
    publish: bool
    annotations: list[dict[str, Any]]
    logs: list[str]
    response: dict[str, Any]
    cause: NotRequired[str]


def activation_record(
    *,
    namespace: str,
    name: str,
    version: str,
    activation_id: str,
    start: int,
    annotations: list[dict[str, Any]],
    logs: list[str],
    response: dict[str, Any],
    end: int | None = None,
    duration: int | None = None,
    cause: str | None = None,
) -> ActivationRecord:
    """An activation record as OpenWhisk writes it; the subject is the namespace, `publish` false.

    A trigger's record has no `end`/`duration` (as OpenWhisk's); `cause` is the enclosing sequence's or
    trigger's activation id, when there is one.
    """
    fields: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "version": version,
        "subject": namespace,
        "activationId": activation_id,
        "start": start,
    }
    if end is not None:
        fields["end"] = end
    if duration is not None:
        fields["duration"] = duration
    fields.update(publish=False, annotations=annotations, logs=logs, response=response)
    if cause:
        fields["cause"] = cause
    return cast(ActivationRecord, fields)  # built in OpenWhisk's key order
