"""Action `record-deposit`: writes the outcome idempotently (see openchecks.steps.record_deposit)."""

from typing import Any

from openchecks.runtime import run_step
from openchecks.steps import record_deposit


def main(args: dict[str, Any]) -> dict[str, Any]:
    return run_step("record-deposit", args, lambda ctx: record_deposit(ctx, args))
