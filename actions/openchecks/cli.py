"""The `openchecks` command.

- `openchecks read IMAGE...` reads checks with the same code as the actions.
- `openchecks deposit IMAGE --email E --to-account A --amount X [--wait]` deposits through the public API.
- `openchecks deposits [--json] [--status S]` lists deposits through the public API.
- `openchecks x9 show|validate|export ...`: X9 image cash letters (see `openchecks.x9.cli`).

The API and token for the last two: `--api`/`--token`, else the environment (see `openchecks.apiclient`);
against the local stack they default to it.

Subcommands are argparse subparsers registered in `build_parser`, each with a `run_<name>(args) -> int`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from openchecks.apiclient import DepositApiError, DepositClient, api_url, resolve_token
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


def _client(args: argparse.Namespace, email: str, role: str) -> DepositClient:
    api = api_url(args.api)
    return DepositClient(api, resolve_token(args.token, email, role, api))


def run_deposit(args: argparse.Namespace) -> int:
    """Deposit one check; print the deposit document (the final one with --wait) as JSON."""
    image = Path(args.image)
    if not image.is_file():
        print(f"openchecks deposit: {image}: no such file", file=sys.stderr)
        return 2
    try:
        doc = _client(args, args.email, "customer").deposit(
            image, args.to_account, args.amount, wait=args.wait, timeout_s=args.timeout
        )
    except DepositApiError as exc:
        print(f"openchecks deposit: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


def run_deposits(args: argparse.Namespace) -> int:
    """List deposits: a table, or one JSON document per line with --json."""
    try:
        deposits = _client(args, args.email, "reviewer" if args.reviewer else "customer").list(args.status)
    except DepositApiError as exc:
        print(f"openchecks deposits: {exc}", file=sys.stderr)
        return 1
    for doc in deposits:
        if args.json:
            print(json.dumps(doc, ensure_ascii=False))
        else:
            reading = doc.get("reading") or {}
            print(
                f"{doc.get('id', '?'):<40} {doc.get('status', '?'):<13} {doc.get('amount', ''):>10} "
                f"{reading.get('routing') or '-':<10} {doc.get('email', '')}"
            )
    return 0


def _api_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", help="deposit API URL (default: $OPENCHECKS_API, $APIHOST, or local)")
    parser.add_argument("--token", help="bearer token (default: $OPENCHECKS_TOKEN; minted when local)")
    parser.add_argument("--email", default="demo@example.com", help="whose deposits (local stack token)")


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

    deposit = commands.add_parser("deposit", help="deposit a check through the public deposit API")
    deposit.add_argument("image", metavar="IMAGE", help="JPEG, PNG or TIFF image of the check's front")
    deposit.add_argument("--to-account", required=True, help="the account to credit")
    deposit.add_argument("--amount", required=True, help="the check's amount, e.g. 1042.00")
    deposit.add_argument("--wait", action="store_true", help="wait for the final status and print it")
    deposit.add_argument("--timeout", type=float, default=180.0, help="seconds to wait (default 180)")
    _api_flags(deposit)
    deposit.set_defaults(handler=run_deposit)

    deposits = commands.add_parser("deposits", help="list deposits through the public deposit API")
    deposits.add_argument("--json", action="store_true", help="one deposit document per line")
    deposits.add_argument("--status", help="only deposits with this status")
    deposits.add_argument("--reviewer", action="store_true", help="as a reviewer (all customers)")
    _api_flags(deposits)
    deposits.set_defaults(handler=run_deposits)

    from openchecks.x9.cli import add_x9_parser

    add_x9_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error of ours
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
