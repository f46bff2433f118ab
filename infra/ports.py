"""The local stack's default ports on 127.0.0.1: the one table every part of infra/ reads.

Each may be overridden where it is used (`OPENCHECKS_<NAME>_PORT` for `python -m infra.stack` and the
`openchecks` CLI, read by `configured_port`; `--port` for a single server); deploy.sh repeats these numbers
as its shell defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

WHISK = 3233  # the OpenWhisk API and web actions
COUCHDB = 5984  # pouchdb-server (CouchDB API)
S3 = 4568  # s3rver
FEEDS = 3235  # the feed provider (alarms, cloudant changes)
OIDC = 3236  # the OpenID Provider (oidc-provider), the issuer of the page's sign-in

DEFAULT_PORTS = {"whisk": WHISK, "couchdb": COUCHDB, "s3": S3, "feeds": FEEDS, "oidc": OIDC}


def local_url(name: str) -> str:
    """`http://127.0.0.1:<default port>` of a service named in DEFAULT_PORTS."""
    return f"http://127.0.0.1:{DEFAULT_PORTS[name]}"


def port_variable(name: str) -> str:
    """The environment variable that overrides service `name`'s port: `OPENCHECKS_<NAME>_PORT`."""
    return f"OPENCHECKS_{name.upper()}_PORT"


def configured_port(name: str, environ: Mapping[str, str] | None = None) -> int:
    """Service `name`'s port: `OPENCHECKS_<NAME>_PORT` when set (ValueError, naming the variable, when it is
    not a port number), else the default."""
    variable = port_variable(name)
    raw = (os.environ if environ is None else environ).get(variable, "")
    if not raw:
        return DEFAULT_PORTS[name]
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise ValueError(f"{variable}={raw!r} is not a port number")
    return port


def configured_url(name: str, environ: Mapping[str, str] | None = None) -> str:
    """`http://127.0.0.1:<configured_port>` of service `name`."""
    return f"http://127.0.0.1:{configured_port(name, environ)}"
