"""The `openchecks` command.

- `openchecks read FRONT... [--back BACK] [--declared AMOUNT]` reads whole checks with the same code as the
  actions (quality, MICR line, amount, endorsement, one decision per check).
- `openchecks deposit FRONT [--back BACK] --to-account A --amount X [--wait]` deposits through the public API.
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
from openchecks.config import AppConfig
from openchecks.micr.reader import CheckImageError
from openchecks.micr.recognize import ModelMissingError


def _read_config(path: str | None) -> AppConfig:
    """The configuration document to decide with: a JSON file (as stored in Cloudant) or the defaults."""
    if not path:
        return AppConfig()
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckImageError(f"{path}: not a readable JSON configuration document ({exc})") from exc
    if not isinstance(doc, dict):
        raise CheckImageError(f"{path}: the configuration document must be a JSON object")
    return AppConfig.from_doc(doc)


def run_read(args: argparse.Namespace) -> int:
    """Print one JSON line per check; exit 1 if any image could not be read, 2 on a usage problem."""
    from openchecks.check.read import read_whole_check
    from openchecks.micr.decide import amount_to_cents

    declared = args.declared if args.declared is not None else args.amount
    if declared is not None:
        try:
            amount_to_cents(declared)
        except ValueError as exc:
            print(f"openchecks read: --declared {exc}", file=sys.stderr)
            return 2
    if args.back and len(args.images) != 1:
        print("openchecks read: --back goes with exactly one FRONT image", file=sys.stderr)
        return 2
    try:
        config = _read_config(args.config)
    except CheckImageError as exc:
        print(f"openchecks read: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.images:
        try:
            reading = read_whole_check(path, args.back, declared, config, tessdata=args.tessdata)
        except CheckImageError as exc:
            print(f"openchecks read: {exc}", file=sys.stderr)
            failed += 1
            continue
        except ModelMissingError as exc:
            print(f"openchecks read: {exc}", file=sys.stderr)
            return 2
        line = {"image": path, "back": args.back, **reading.to_dict(include_confidences=args.confidences)}
        print(json.dumps(line, ensure_ascii=args.ascii), flush=True)
    return 1 if failed else 0


def _client(args: argparse.Namespace, email: str, role: str) -> DepositClient:
    api = api_url(args.api)
    return DepositClient(api, resolve_token(args.token, email, role, api))


def run_deposit(args: argparse.Namespace) -> int:
    """Deposit one check; print the deposit document (the final one with --wait) as JSON."""
    image = Path(args.image)
    back = Path(args.back) if args.back else None
    for path in (image, back):
        if path is not None and not path.is_file():
            print(f"openchecks deposit: {path}: no such file", file=sys.stderr)
            return 2
    try:
        doc = _client(args, args.email, "customer").deposit(
            image, args.to_account, args.amount, wait=args.wait, timeout_s=args.timeout, back_path=back
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
        help="read whole checks: quality, MICR line, amount, endorsement",
        description="Read checks; print one JSON line per check (micr, routing, account, check_number, "
        "confidence, amount, amount_source, amount_confidence, quality, back_quality, endorsement, status, "
        "reasons, seconds). Without --declared no amount decision; without --back no endorsement decision.",
    )
    read.add_argument("images", nargs="+", metavar="FRONT", help="JPEG, PNG or TIFF photo of a check's front")
    read.add_argument("--back", metavar="BACK", help="photo of the check's back (with one FRONT)")
    read.add_argument(
        "--declared", metavar="AMOUNT", help="the amount the customer entered (e.g. 1042.00), checked"
    )
    read.add_argument("--amount", help=argparse.SUPPRESS)  # the old name of --declared
    read.add_argument("--config", metavar="FILE", help="configuration document (JSON) to decide with")
    read.add_argument("--tessdata", metavar="DIR", help="the MICR model directory (default: installed one)")
    read.add_argument(
        "--ascii", action="store_true", help="escape the MICR symbols (⑆⑇⑈⑉) as \\u sequences in the JSON"
    )
    read.add_argument("--confidences", action="store_true", help="add the per-character confidences")
    read.set_defaults(handler=run_read)

    deposit = commands.add_parser("deposit", help="deposit a check through the public deposit API")
    deposit.add_argument("image", metavar="FRONT", help="JPEG, PNG or TIFF image of the check's front")
    deposit.add_argument("--back", metavar="BACK", help="JPEG, PNG or TIFF image of the endorsed back")
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
