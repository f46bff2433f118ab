"""Web action `api`: the deposit API (see openchecks.api for routes and JSON shapes)."""

from typing import Any

from openchecks.api import handle_web
from openchecks.runtime import ActionContext


def main(args: dict[str, Any]) -> dict[str, Any]:
    return handle_web(args, ActionContext(args, "api"))
