"""Action `notify-customer` (changes feed -> read -> here): one notification per outcome."""

from typing import Any

from openchecks.notify import notify
from openchecks.runtime import run_step


def main(args: dict[str, Any]) -> dict[str, Any]:
    return run_step("notify-customer", args, lambda ctx: notify(ctx, args))
