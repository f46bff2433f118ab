"""Action `find-new-checks` (alarm): re-runs stuck uploads (see openchecks.recovery)."""

from collections.abc import Mapping
from typing import Any

from openchecks.recovery import find_new_checks
from openchecks.runtime import run_step
from openchecks.whisk import PlatformRuns, invoke_async, sibling_action


def _start(payload: Mapping[str, Any]) -> str:
    return invoke_async(sibling_action("process-check"), payload)


def main(args: dict[str, Any]) -> dict[str, Any]:
    return run_step(
        "find-new-checks",
        args,
        lambda ctx: find_new_checks(
            ctx, _start, runs=PlatformRuns(ctx.settings.trigger_name, sibling_action("find-new-checks"))
        ),
    )
