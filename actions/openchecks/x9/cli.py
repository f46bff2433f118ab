"""`openchecks x9 ...`: show and validate X9 files, and export the accepted deposits as a cash letter.

    openchecks x9 show FILE              the records as JSON (fields trimmed; images as size and format)
    openchecks x9 validate FILE... [--no-images] [--strict]
                                         exit 0 when valid (warnings on stderr); 1 and one line per
                                         problem otherwise (--strict: warnings count as problems)
    openchecks x9 export [--out FILE]    run export-cash-letter now (reviewer), wait, download the file

Nothing in a file, however damaged, gives a traceback: the reader's and validator's findings are sentences.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from openchecks.x9.reader import X9FormatError, file_encoding
from openchecks.x9.show import records_as_dicts
from openchecks.x9.validate import validate


def _open_problem(path: Path) -> str | None:
    if not path.exists():
        return f"{path}: no such file"
    if not path.is_file():
        return f"{path}: not a file"
    return None


def run_show(args: argparse.Namespace) -> int:
    path = Path(args.file)
    problem = _open_problem(path)
    if problem:
        print(f"openchecks x9 show: {problem}", file=sys.stderr)
        return 2
    records: list[dict[str, Any]] = []
    error = None
    encoding = None
    try:
        with path.open("rb") as stream:
            encoding = file_encoding(stream)
            for rec in records_as_dicts(stream):
                records.append(rec)
    except X9FormatError as exc:
        error = str(exc)
    except OSError as exc:
        print(f"openchecks x9 show: {path}: cannot be read ({exc.strerror})", file=sys.stderr)
        return 2
    doc: dict[str, Any] = {"file": str(path), "encoding": encoding, "records": records}
    if error:
        doc["error"] = error
    print(json.dumps(doc, indent=None if args.compact else 2, ensure_ascii=False))
    if error:
        print(f"openchecks x9 show: {path}: {error}", file=sys.stderr)
        return 1
    return 0


def run_validate(args: argparse.Namespace) -> int:
    worst = 0
    for name in args.files:
        path = Path(name)
        problem = _open_problem(path)
        if problem:
            print(f"openchecks x9 validate: {problem}", file=sys.stderr)
            worst = max(worst, 2)
            continue
        try:
            with path.open("rb") as stream:
                report = validate(stream, check_images=not args.no_images)
        except OSError as exc:
            print(f"openchecks x9 validate: {path}: cannot be read ({exc.strerror})", file=sys.stderr)
            worst = max(worst, 2)
            continue
        prefix = f"{path}: " if len(args.files) > 1 else ""
        for line in report.lines():
            print(f"{prefix}{line}")
        if args.strict:
            for line in report.warnings:
                print(f"{prefix}{line}")
        elif not args.quiet:
            for line in report.warnings:
                print(f"{prefix}warning: {line}", file=sys.stderr)
        if report.ok and not (args.strict and report.warnings):
            if not args.quiet:
                noted = f", {len(report.warnings)} warnings" if report.warnings else ""
                print(
                    f"{path}: valid ({report.records} records, {report.items} items, {report.images} images"
                    f"{noted})",
                    file=sys.stderr,
                )
        else:
            worst = max(worst, 1)
    return worst


def run_export(args: argparse.Namespace) -> int:
    """POST /exports as a reviewer, wait for the export to end, download its file."""
    import time

    import requests

    from openchecks.apiclient import DepositApiError, DepositClient, api_url, resolve_token

    try:
        api = api_url(args.api)
        token = resolve_token(args.token, args.email, "reviewer", api)
        # --timeout bounds the whole wait, the retries of an API that does not answer included.
        client = DepositClient(api, token, retry_s=min(60.0, args.timeout))
        started = client._call("POST", "/exports")
        export_id = str(started.get("id", ""))
        print(f"openchecks x9 export: {export_id} started", file=sys.stderr)
        deadline = time.monotonic() + args.timeout
        doc: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                doc = client._call("GET", f"/exports/{export_id}")
            except DepositApiError as exc:
                if exc.status != 404:
                    raise
                doc = {}
            if doc.get("state") in ("done", "empty", "rolled_back", "failed"):
                break
            time.sleep(1.0)
        else:
            print(
                f"openchecks x9 export: {export_id} did not end within {args.timeout:.0f} s", file=sys.stderr
            )
            return 1
    except DepositApiError as exc:
        print(f"openchecks x9 export: {exc}", file=sys.stderr)
        return 1
    if doc.get("state") == "failed":
        print(
            f"openchecks x9 export: the export failed: {doc.get('error', 'no reason given')}", file=sys.stderr
        )
        return 1
    if doc.get("state") != "done":
        print(json.dumps(doc, indent=2))
        print("openchecks x9 export: no accepted deposit was waiting: no file was written", file=sys.stderr)
        return 0
    out = Path(args.out or str(doc.get("key") or f"{export_id}.x9"))
    try:
        with requests.get(str(doc["download_url"]), stream=True, timeout=60) as resp:
            resp.raise_for_status()
            with out.open("wb") as f:
                for chunk in resp.iter_content(1 << 16):
                    f.write(chunk)
    except (requests.RequestException, OSError) as exc:
        print(f"openchecks x9 export: could not download the file to {out}: {exc}", file=sys.stderr)
        return 1
    doc.pop("download_url", None)
    print(json.dumps({**doc, "file": str(out)}, indent=2))
    return 0


def add_x9_parser(commands: Any) -> None:
    """Register `x9` and its subcommands on the top-level subparsers of `openchecks`."""
    x9 = commands.add_parser("x9", help="X9.100-187 image cash letters: show, validate, export")
    sub = x9.add_subparsers(dest="x9_command", metavar="X9COMMAND", required=True)
    show = sub.add_parser("show", help="print an X9 file as JSON")
    show.add_argument("file", metavar="FILE")
    show.add_argument("--compact", action="store_true", help="one line of JSON")
    show.set_defaults(handler=run_show)
    check = sub.add_parser("validate", help="check X9 files; exit 1 with one line per problem")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--no-images", action="store_true", help="do not decode the images")
    check.add_argument("--quiet", action="store_true", help="print only the problems")
    check.add_argument(
        "--strict", action="store_true", help="count warnings (departures real files carry) as problems"
    )
    check.set_defaults(handler=run_validate)
    export = sub.add_parser(
        "export", help="export the accepted deposits now (reviewer) and download the file"
    )
    export.add_argument("--out", help="where to save the file (default: its name, here)")
    export.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (default 300)")
    export.add_argument("--api", help="deposit API URL (default: $OPENCHECKS_API, $APIHOST, or local)")
    export.add_argument(
        "--token", help="reviewer bearer token (default: $OPENCHECKS_TOKEN; minted when local)"
    )
    export.add_argument("--email", default="reviewer@example.com", help="the reviewer (local stack token)")
    export.set_defaults(handler=run_export)
