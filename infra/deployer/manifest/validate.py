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


def cross_check(reader: Reader) -> None:
    """References between entities. As wskdeploy, a rule or sequence may name an action, sequence
    or trigger the manifest does not declare (it may exist in the namespace): the platform checks
    it, and the plan warns. An API must name an action or sequence of its own package."""
    runnable = reader.declared_actions | {s.qualified for s in reader.model.sequences}
    bindings = {b.name for b in reader.model.bindings}
    triggers = {t.name for t in reader.model.triggers}
    packages = {p.name for p in reader.model.packages}

    def declared(name: str) -> bool:
        if name.startswith("/"):
            return True  # another namespace's entity: the platform checks it
        head = name.split("/", 1)[0]
        return name in runnable or ("/" in name and head in bindings)

    for seq in reader.model.sequences:
        if seq.qualified in reader.declared_actions:
            reader.problem(
                f"sequence {seq.qualified}",
                "(name)",
                "an action of the same package has this name (wskdeploy refuses it too); rename one",
            )
        for component in seq.components:
            if not declared(component):
                reader.warn(
                    f"sequence {seq.qualified}",
                    f"{component!r} is not declared in the manifest; it must exist in the namespace",
                )
    for rule in reader.model.rules:
        if rule.trigger not in triggers:
            reader.warn(
                f"rule {rule.name}",
                f"trigger {rule.trigger!r} is not declared in the manifest; it must exist in the namespace",
            )
        if not declared(rule.action):
            reader.warn(
                f"rule {rule.name}",
                f"action {rule.action!r} is not declared in the manifest; it must exist in the namespace",
            )
    for trigger in reader.model.triggers:
        if trigger.feed and not trigger.feed.startswith("/"):
            head = trigger.feed.split("/", 1)[0]
            if "/" not in trigger.feed:
                if trigger.feed not in runnable:
                    reader.warn(
                        f"trigger {trigger.name}",
                        f"feed {trigger.feed!r} is an action of the default package the manifest "
                        "does not declare; it must exist in the namespace",
                    )
            elif head not in bindings and head not in packages:
                reader.warn(
                    f"trigger {trigger.name}",
                    f"feed {trigger.feed!r}: package {head!r} is not declared in the manifest; "
                    "it must exist in the namespace",
                )
