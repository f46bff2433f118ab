"""`python -m infra.catalog install --apihost URL --feeds-url URL --couchdb-url URL`: install the catalog.

Prints one line per entity (created, updated or unchanged); exits 1 with the API's answer on failure.
"""

from __future__ import annotations

import argparse
import sys

from infra.catalog.install import CatalogError, install


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and install."""
    parser = argparse.ArgumentParser(prog="python -m infra.catalog", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="create or update the /whisk.system packages and the local binding")
    inst.add_argument("--apihost", default="http://127.0.0.1:3233")
    inst.add_argument("--feeds-url", default="http://127.0.0.1:3235")
    inst.add_argument("--couchdb-url", default="http://127.0.0.1:5984")
    args = parser.parse_args(argv)
    try:
        report = install(args.apihost, args.feeds_url, args.couchdb_url)
    except CatalogError as exc:
        print(f"catalog install failed: {exc}", file=sys.stderr)
        return 1
    for path, outcome in report.items():
        print(f"{outcome:9} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
