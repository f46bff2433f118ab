"""Check a model's action kinds against the runtimes a live host offers (``GET /api/v1``).

wskdeploy reads the same document to pick each family's default kind and to refuse kinds the platform
does not run; here it happens before anything changes (in a dry run too), so an unsupported kind is a
refusal that names the action and the kinds the host offers, not a failed PUT halfway through a deploy.
"""

from __future__ import annotations

import dataclasses

from infra.deployer.errors import Problem
from infra.deployer.model import Model

NOT_CHECKED = {"blackbox", "sequence"}


def resolve_kinds(model: Model, kinds: set[str], defaults: dict[str, str]) -> list[Problem]:
    """Replace ``family:default`` with the host's default kind; return a Problem per unsupported kind.

    An empty ``kinds`` (a host that lists no runtimes) checks nothing.
    """
    if not kinds:
        return []
    offered = ", ".join(sorted(kinds))
    problems: list[Problem] = []
    for index, action in enumerate(model.actions):
        kind = action.exec.kind
        if kind in NOT_CHECKED or action.exec.image:
            continue
        family, _, version = kind.partition(":")
        if version == "default":
            resolved = defaults.get(family)
            if resolved is None:
                problems.append(
                    Problem(
                        model.manifest_path,
                        f"action {action.qualified}",
                        "runtime",
                        f"{kind}: the host has no {family} runtime (it offers {offered})",
                    )
                )
                continue
            model.actions[index] = dataclasses.replace(
                action, exec=dataclasses.replace(action.exec, kind=resolved)
            )
        elif kind not in kinds:
            problems.append(
                Problem(
                    model.manifest_path,
                    f"action {action.qualified}",
                    "runtime",
                    f"{kind} is not a runtime kind this host offers (it offers {offered})",
                )
            )
    return problems
