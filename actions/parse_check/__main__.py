"""Action `parse-check`: accepted or needs_review with reasons (see openchecks.steps.parse_check)."""

from typing import Any

from openchecks.runtime import run_step
from openchecks.steps import parse_check


def main(args: dict[str, Any]) -> dict[str, Any]:
    return run_step("parse-check", args, lambda ctx: parse_check(ctx, args))
