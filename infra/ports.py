"""The local stack's default ports on 127.0.0.1: the one table every part of infra/ reads.

Each may be overridden where it is used (`OPENCHECKS_<NAME>_PORT` for `python -m infra.stack`, `--port`
for a single server); deploy.sh repeats these numbers as its shell defaults.
"""

from __future__ import annotations

WHISK = 3233  # the OpenWhisk API and web actions
COUCHDB = 5984  # pouchdb-server (CouchDB API)
S3 = 4568  # s3rver
FEEDS = 3235  # the feed provider (alarms, cloudant changes)
OIDC = 3236  # the OpenID Provider (oidc-provider), the issuer of the page's sign-in

DEFAULT_PORTS = {"whisk": WHISK, "couchdb": COUCHDB, "s3": S3, "feeds": FEEDS, "oidc": OIDC}


def local_url(name: str) -> str:
    """`http://127.0.0.1:<default port>` of a service named in DEFAULT_PORTS."""
    return f"http://127.0.0.1:{DEFAULT_PORTS[name]}"
