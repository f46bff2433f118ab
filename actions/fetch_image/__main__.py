"""Action `fetch-image`: first step of process-check (see openchecks.steps.fetch_image)."""

from typing import Any

from openchecks.runtime import run_step
from openchecks.steps import fetch_image


def main(args: dict[str, Any]) -> dict[str, Any]:
    return run_step("fetch-image", args, lambda ctx: fetch_image(ctx, args))
