"""Checks across a loaded manifest: references between entities, and values OpenWhisk itself would refuse."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.deployer.manifest.schema import MAX_JS_INT

if TYPE_CHECKING:
    from infra.deployer.manifest.coerce import Reader


def check_require_auth(reader: Reader, value: Any, entity: str) -> None:
    """``require-whisk-auth``: true/false, a non-empty string or a positive integer (as OpenWhisk)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int) and 0 < value < MAX_JS_INT:
        return
    if isinstance(value, str) and value:
        return
    reader.problem(
        entity,
        "annotations.require-whisk-auth",
        f"{value!r}: expected true/false, a non-empty string or a positive integer below 2^53-1",
    )


class _Declared:
    """What a loaded manifest declares, for checking the names its entities refer to."""

    def __init__(self, reader: Reader) -> None:
        self.actions = reader.declared_actions
        self.runnable = reader.declared_actions | {s.qualified for s in reader.model.sequences}
        self.bindings = {b.name for b in reader.model.bindings}
        self.triggers = {t.name for t in reader.model.triggers}
        self.packages = {p.name for p in reader.model.packages}

    def runs(self, name: str) -> bool:
        """Whether an action or sequence reference is declared (another namespace's is the platform's)."""
        if name.startswith("/"):
            return True
        head = name.split("/", 1)[0]
        return name in self.runnable or ("/" in name and head in self.bindings)

    def feed_problem(self, feed: str) -> str | None:
        """Why a trigger's feed must exist in the namespace, or None when the manifest declares it."""
        if feed.startswith("/"):
            return None
        if "/" not in feed:
            if feed in self.runnable:
                return None
            return (
                f"feed {feed!r} is an action of the default package the manifest does not declare; "
                "it must exist in the namespace"
            )
        head = feed.split("/", 1)[0]
        if head in self.bindings or head in self.packages:
            return None
        return (
            f"feed {feed!r}: package {head!r} is not declared in the manifest; it must exist in the namespace"
        )


def cross_check(reader: Reader) -> None:
    """References between entities. As wskdeploy, a rule or sequence may name an action, sequence
    or trigger the manifest does not declare (it may exist in the namespace): the platform checks
    it, and the plan warns. An API must name an action or sequence of its own package."""
    declared = _Declared(reader)
    for seq in reader.model.sequences:
        entity = f"sequence {seq.qualified}"
        if seq.qualified in declared.actions:
            reader.problem(
                entity,
                "(name)",
                "an action of the same package has this name (wskdeploy refuses it too); rename one",
            )
        for component in seq.components:
            if not declared.runs(component):
                reader.warn(
                    entity, f"{component!r} is not declared in the manifest; it must exist in the namespace"
                )
    for rule in reader.model.rules:
        if rule.trigger not in declared.triggers:
            reader.warn(
                f"rule {rule.name}",
                f"trigger {rule.trigger!r} is not declared in the manifest; it must exist in the namespace",
            )
        if not declared.runs(rule.action):
            reader.warn(
                f"rule {rule.name}",
                f"action {rule.action!r} is not declared in the manifest; it must exist in the namespace",
            )
    for trigger in reader.model.triggers:
        problem = declared.feed_problem(trigger.feed) if trigger.feed else None
        if problem is not None:
            reader.warn(f"trigger {trigger.name}", problem)
