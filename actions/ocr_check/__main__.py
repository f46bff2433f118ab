"""Action `ocr-check`: reads the MICR line (see openchecks.steps.ocr_check)."""

from typing import Any

from openchecks.runtime import run_step
from openchecks.steps import ocr_check


def main(args: dict[str, Any]) -> dict[str, Any]:
    return run_step("ocr-check", args, lambda ctx: ocr_check(ctx, args))
