"""`python -m infra.catalog install --apihost URL --feeds-url URL --couchdb-url URL`: install the catalog.

The platform's keys come from its data directory (`--whisk-data-dir`, default `$OPENCHECKS_DATA/whisk` or
`<repo>/.data/whisk`); the CouchDB user and password for the local binding from `--couchdb-credentials`
(a `user:password` file, default `<data>/secrets/couchdb_admin` when it exists).

Prints one line per entity (created, updated or unchanged); exits 1 with the API's answer on failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from infra.catalog.install import CatalogError, install
from infra.ports import local_url
from infra.services.process import REPO
from infra.whisk.keys import read_keys


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and install."""
    parser = argparse.ArgumentParser(prog="python -m infra.catalog", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="create or update the /whisk.system packages and the local binding")
    inst.add_argument("--apihost", default=local_url("whisk"))
    inst.add_argument("--feeds-url", default=local_url("feeds"))
    inst.add_argument("--couchdb-url", default=local_url("couchdb"))
    data = Path(os.environ.get("OPENCHECKS_DATA") or REPO / ".data")
    inst.add_argument("--whisk-data-dir", type=Path, default=data / "whisk")
    inst.add_argument("--couchdb-credentials", type=Path, default=data / "secrets" / "couchdb_admin")
    args = parser.parse_args(argv)
    keys = read_keys(args.whisk_data_dir)
    if set(keys) != {"guest", "whisk.system"}:
        print(f"no platform keys in {args.whisk_data_dir} (auth.guest, auth.whisk.system)", file=sys.stderr)
        return 1
    couchdb_auth = None
    if args.couchdb_credentials.is_file():
        user, _, password = args.couchdb_credentials.read_text().strip().partition(":")
        couchdb_auth = (user, password)
    try:
        report = install(args.apihost, args.feeds_url, args.couchdb_url, keys, couchdb_auth)
    except CatalogError as exc:
        print(f"catalog install failed: {exc}", file=sys.stderr)
        return 1
    for path, outcome in report.items():
        print(f"{outcome:9} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
