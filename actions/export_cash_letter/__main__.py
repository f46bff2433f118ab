"""Action `export-cash-letter`: the daily X9 cash letter (alarm at the cut-off, or `POST /exports`); see
openchecks.export.export_cash_letter."""

from typing import Any

from openchecks.export import export_cash_letter
from openchecks.runtime import run_step


def main(args: dict[str, Any]) -> dict[str, Any]:
    return run_step("export-cash-letter", args, lambda ctx: export_cash_letter(ctx, args))
