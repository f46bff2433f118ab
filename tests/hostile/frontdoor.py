"""The hostile corpus for the front door (issue 13): what an attacker or a bad network does to deposit
creation, and what the answers must never carry.

- `MALFORMED_KEYS`: Idempotency-Key values the API refuses with 400 `invalid_idempotency_key` (and stores
  nothing for): empty, overlong, non-ASCII, with spaces or control characters.
- `REUSED_BODIES`: changes to a request body that make a repeated Idempotency-Key a 409
  `idempotency_key_reused` (the key names one deposit: it cannot be turned into another amount, account or
  image type); `SAME_BODIES`: spellings of the same request that replay the first answer.
- `CUSTOMER_MUST_NOT_SEE`: key paths (fnmatch patterns over "a.b[].c") absent from every answer a customer
  gets about their own deposit: where images are stored, the platform's activation ids, internal errors,
  the X9 file's key, another deposit's id, reviewers' emails (`by` of a review).
- `LIST_IMAGE_NAMES`: the only signed image URLs a deposit list carries (the thumbnail the list shows).
- `DECLARED_SIZES`: upload sizes declared at creation that are refused before anything is signed.
Used by tests/integration/test_api_idempotency.py, test_api_views.py and test_hostile_frontdoor.py.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

MALFORMED_KEYS: tuple[tuple[str, str], ...] = (
    ("empty", ""),
    ("blank", "   "),
    ("overlong", "k" * 256),
    ("non-ascii", "cl\u00e9-1"),
    ("space-inside", "two words"),
    ("control-character", "key\x01one"),
    ("markup", "<script>"),  # visible ASCII: accepted as a key; listed to show markup is not special
)
# The one MALFORMED_KEYS entry that is a valid key after all.
VALID_AMONG_MALFORMED = frozenset({"markup"})

REUSED_BODIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("another-amount", {"amount": "25.01"}),
    ("another-account", {"to_account": "87654321"}),
    ("another-front-type", {"content_type": "image/jpeg"}),
    ("another-back-type", {"back_content_type": "image/tiff"}),
)
SAME_BODIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("amount-without-cents", {"amount": "25"}),
    ("amount-with-dollar-sign", {"amount": "$25.00"}),
    ("account-with-dashes", {"to_account": "1234-5678"}),
    ("extra-field-ignored", {"status": "accepted"}),
)

# Declared upload sizes (`size`, `back_size` of POST /deposits) and the answer: (name, field, value, status,
# code). A size over the limit is refused before any URL is signed.
DECLARED_SIZES: tuple[tuple[str, str, Any, int, str], ...] = (
    ("front-over-the-limit", "size", 10 * 1024 * 1024 + 1, 413, "image_too_large"),
    ("back-over-the-limit", "back_size", 50 * 1024 * 1024, 413, "back_image_too_large"),
    ("front-zero", "size", 0, 415, "image_empty"),
    ("front-negative", "size", -1, 415, "image_empty"),
    ("front-as-text", "size", "1024", 400, "invalid_size"),
    ("front-as-float", "size", 1024.5, 400, "invalid_size"),
    ("front-as-bool", "size", True, 400, "invalid_size"),
    ("back-as-object", "back_size", {"$gt": 0}, 400, "invalid_back_size"),
    ("front-huge-number", "size", 10**30, 413, "image_too_large"),
)

CUSTOMER_MUST_NOT_SEE: tuple[str, ...] = (
    "archive",
    "archive.*",
    "last_error",
    "duplicate_of",
    "steps.*.activation_id",
    "images.front.key",
    "images.front.bucket",
    "images.back.key",
    "images.back.bucket",
    "export.key",
    "reviews[].by",
    "_meta.container",
)

LIST_IMAGE_NAMES = frozenset({"small"})

_SIGNED = re.compile(r"X-Amz-Signature=[0-9a-f]+")


def signed_urls(value: Any) -> list[str]:
    """Every presigned URL anywhere in a JSON value."""
    found: list[str] = []
    if isinstance(value, dict):
        for inner in value.values():
            found += signed_urls(inner)
    elif isinstance(value, list):
        for inner in value:
            found += signed_urls(inner)
    elif isinstance(value, str) and _SIGNED.search(value):
        found.append(value)
    return found


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a JSON value ("steps.ocr-check.activation_id", "history[].by")."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{prefix}.{key}" if prefix else str(key)
            out.add(here)
            out |= key_paths(inner, here)
    elif isinstance(value, list):
        for inner in value:
            out |= key_paths(inner, f"{prefix}[]")
    return out


def customer_leaks(view: Any) -> list[str]:
    """The paths of `view` that CUSTOMER_MUST_NOT_SEE forbids."""
    return sorted(
        p
        for p in key_paths(view)
        if any(fnmatch.fnmatchcase(p, pattern) for pattern in CUSTOMER_MUST_NOT_SEE)
    )
