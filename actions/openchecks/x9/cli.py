"""`openchecks x9 ...`: show and validate X9 files, and export the accepted deposits as a cash letter.

    openchecks x9 show FILE              the records as JSON (fields trimmed; images as size and format)
    openchecks x9 validate FILE... [--no-images]
                                         exit 0 when valid; 1 and one line per problem otherwise
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
        if not args.quiet:
            for line in report.warnings:
                print(f"{prefix}warning: {line}", file=sys.stderr)
        if report.ok:
            if not args.quiet:
                print(
                    f"{path}: valid ({report.records} records, {report.items} items, {report.images} images)",
                    file=sys.stderr,
                )
        else:
            worst = max(worst, 1)
    return worst


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
    check.set_defaults(handler=run_validate)
