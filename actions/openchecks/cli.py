"""The `openchecks` command; `openchecks read IMAGE...` reads checks with the same code as the actions.

Subcommands are argparse subparsers registered in `build_parser`, each with a `run_<name>(args) -> int`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from openchecks.micr.reader import CheckImageError, read_check
from openchecks.micr.recognize import ModelMissingError


def run_read(args: argparse.Namespace) -> int:
    """Print one JSON line per image; exit 1 if any image could not be read, 0 otherwise."""
    failed = 0
    for path in args.images:
        try:
            reading = read_check(path, declared_amount=args.amount)
        except CheckImageError as exc:
            print(f"openchecks read: {exc}", file=sys.stderr)
            failed += 1
            continue
        except ModelMissingError as exc:
            print(f"openchecks read: {exc}", file=sys.stderr)
            return 2
        line = {"image": path, **reading.to_dict(include_confidences=args.confidences)}
        print(json.dumps(line, ensure_ascii=args.ascii), flush=True)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openchecks", description="Serverless check deposit on OpenWhisk.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    read = commands.add_parser(
        "read",
        help="read the MICR line of check images",
        description="Read check images; print one JSON line per image (micr, routing, account, check_number, "
        "status, reasons, confidence, seconds).",
    )
    read.add_argument("images", nargs="+", metavar="IMAGE", help="JPEG, PNG or TIFF check image")
    read.add_argument(
        "--amount", help="declared amount (e.g. 1042.00), compared with an encoded amount field"
    )
    read.add_argument(
        "--ascii", action="store_true", help="escape the MICR symbols (⑆⑇⑈⑉) as \\u sequences in the JSON"
    )
    read.add_argument("--confidences", action="store_true", help="add the per-character confidences")
    read.set_defaults(handler=run_read)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
