"""`Idempotency-Key` for `POST /deposits`, with Stripe's semantics, so a retried request never makes a
second draft.

- A key is 1 to 255 visible ASCII characters (the page and the CLI send a random UUID per deposit). Keys are
  scoped to the customer: the same key from two customers names two different deposits.
- The deposit's id is derived from (customer, key), so the database itself makes the creation happen once:
  concurrent or repeated requests race for one document id and the losers find the winner's deposit.
- The deposit records a fingerprint of what was asked (account, amount, content types, after parsing). The
  same key with the same request replays the first answer (201, the same deposit id, the upload URLs signed
  again until the first answer's expiry, header `Idempotent-Replayed: true`); with a different request it is
  409 `idempotency_key_reused`.
- Only a created deposit is remembered: a refused request (bad field, over a limit, a service down) made no
  draft, so trying it again with the same key simply runs it again. A draft deleted because its upload was
  refused frees its key the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from openchecks.errors import BadRequest, Conflict

HEADER = "idempotency-key"
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


def key_from(headers: Mapping[str, str]) -> str | None:
    """The request's Idempotency-Key (headers lower-cased), None when absent; 400 when malformed."""
    value = headers.get(HEADER)
    if value is None:
        return None
    value = value.strip()
    if not KEY_RE.match(value):
        raise BadRequest(
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a random UUID.",
            code="invalid_idempotency_key",
        )
    return value


def deposit_id_for(email: str, key: str) -> str:
    """The deposit id that (customer, key) names."""
    digest = hashlib.sha256(f"openchecks-idempotency\x00{email}\x00{key}".encode()).hexdigest()
    return f"dep-{digest[:32]}"


def fingerprint(fields: Mapping[str, Any]) -> str:
    """A digest of the parsed request fields (so "12.5" and "12.50" are the same request)."""
    return hashlib.sha256(json.dumps(dict(fields), sort_keys=True).encode()).hexdigest()


def check_same(doc: Mapping[str, Any], email: str, digest: str) -> None:
    """Raise 409 unless `doc` was created by `email` with the request whose fingerprint is `digest`."""
    stored = (doc.get("idempotency") or {}).get("fingerprint")
    if doc.get("email") != email or stored != digest:
        raise Conflict(
            "This Idempotency-Key was already used for a different deposit (another account, amount or "
            "image type); send a new key for a new deposit.",
            code="idempotency_key_reused",
        )
