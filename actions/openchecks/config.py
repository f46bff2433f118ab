"""Settings (from action parameters or the environment) and the configuration document (from Cloudant).

`Settings` are the deployment's wiring: service URLs, credentials, bucket and database names. They
come from the package parameters the manifest sets (lower-case names such as `cloudant_url`), falling
back to upper-case environment variables of the same name (`CLOUDANT_URL`), so the library runs the
same inside and outside OpenWhisk.

`AppConfig` is the business configuration (limits, thresholds, retry policy, notifications) kept in one
Cloudant document. A warm container keeps it in the module global `_CONFIG` and re-reads it after
`config_ttl_seconds`; `load_app_config` reports whether it was a cache hit.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from openchecks.errors import ConfigurationError

CONFIG_DOC_ID = "config"

# Parameter names whose values are secrets: never logged, never echoed in a result.
SECRET_SETTINGS = frozenset(
    {
        "cloudant_apikey",
        "cloudant_password",
        "cos_apikey",
        "cos_secret_access_key",
        "token_secret",
        "smtp_password",
        "sendgrid_api_key",
    }
)

_TRUE = {"1", "true", "yes", "on"}
# Environment names template.local.env uses where they differ from the upper-cased setting name.
ENV_ALIASES = {
    "cos_access_key_id": "COS_HMAC_ACCESS_KEY_ID",
    "cos_secret_access_key": "COS_HMAC_SECRET_ACCESS_KEY",
    "cos_apikey": "COS_API_KEY",
    "cos_instance_id": "COS_SERVICE_INSTANCE_ID",
    "tessdata_dir": "OPENCHECKS_TESSDATA",
}


@dataclass(frozen=True)
class Settings:
    """Where the services are and how to reach them. Empty strings mean "not set"."""

    cloudant_url: str = ""
    cloudant_apikey: str = ""
    cloudant_username: str = ""
    cloudant_password: str = ""
    cloudant_iam_url: str = ""
    cos_endpoint: str = ""
    cos_access_key_id: str = ""
    cos_secret_access_key: str = ""
    cos_apikey: str = ""
    cos_instance_id: str = ""
    cos_iam_url: str = ""
    cos_region: str = "us-south"
    # Browsers reach COS here when it differs from the actions' endpoint (empty: same as cos_endpoint).
    cos_public_endpoint: str = ""
    bucket_incoming: str = "openchecks-incoming"
    bucket_archive: str = "openchecks-archive"
    # The X9 cash letters (openchecks.export) and their export documents.
    bucket_exports: str = "openchecks-exports"
    exports_db: str = "openchecks-exports"
    deposits_db: str = "deposits"
    claims_db: str = "deposit-claims"
    notifications_db: str = "notifications"
    config_db: str = "openchecks-config"
    token_secret: str = ""
    # OpenID Connect (openchecks.oidc): empty oidc_issuer accepts only the HMAC tokens above.
    oidc_issuer: str = ""
    oidc_audience: str = ""
    oidc_client_id: str = ""
    oidc_token: str = "access"
    oidc_role_claim: str = "roles"
    oidc_role_map: str = ""
    oidc_leeway_seconds: int = 30
    oidc_jwks_ttl_seconds: float = 300.0
    upload_url_ttl_seconds: int = 300
    image_url_ttl_seconds: int = 300
    config_ttl_seconds: float = 60.0
    image_cache_dir: str = ""
    image_cache_bytes: int = 256 * 1024 * 1024
    disable_caches: bool = False
    trigger_name: str = "check-uploaded"
    # Where the MICR models are (empty: the action image's /opt/openchecks/tessdata, else .cache/tessdata).
    # Passed to the readers as an argument; nothing sets or reads an environment variable for it.
    tessdata_dir: str = ""
    # Tesseract's CPU priority (nice level; 0: normal): batch reading yields to the API and the database.
    ocr_nice: int = 10
    cors_origins: str = "*"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    sendgrid_api_key: str = ""

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings: a non-empty action parameter wins, then the upper-case environment variable (or
        its template.local.env alias, e.g. COS_HMAC_ACCESS_KEY_ID), then the default.
        `OPENCHECKS_DISABLE_CACHES=1` in the environment also turns the caches off."""
        params = params or {}
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw: Any = params.get(f.name)
            if raw is None or raw == "":
                raw = env.get(f.name.upper(), "")
            if (raw is None or raw == "") and f.name in ENV_ALIASES:
                raw = env.get(ENV_ALIASES[f.name], "")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        if str(env.get("OPENCHECKS_DISABLE_CACHES", "")).lower() in _TRUE:
            values["disable_caches"] = True
        return cls(**values)

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict with every secret replaced by "***" (or "" when unset): safe to log."""
        out = asdict(self)
        for name in SECRET_SETTINGS:
            out[name] = "***" if out.get(name) else ""
        return out

    def require(self, *names: str) -> None:
        """Raise ConfigurationError naming the first of `names` that is unset."""
        for name in names:
            if not getattr(self, name):
                raise ConfigurationError(
                    f"The setting {name} is not configured; set the package parameter {name} "
                    f"(or the environment variable {name.upper()})."
                )


def _coerce(name: str, type_name: Any, raw: Any) -> Any:
    kind = str(type_name)
    try:
        if kind == "bool":
            return raw if isinstance(raw, bool) else str(raw).strip().lower() in _TRUE
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"The setting {name} must be a {kind}, not {raw!r}.") from exc
    return str(raw)


_UNUSABLE = object()  # a configuration value of the wrong kind: the default stays


def _coerce_like(default: Any, value: Any) -> Any:
    """`value` as the kind of `default` (mapping, tuple of strings, bool, int, float, str), or _UNUSABLE;
    TypeError/ValueError for a number that is not one."""
    if isinstance(default, dict):
        return dict(value) if isinstance(value, Mapping) else _UNUSABLE
    if isinstance(default, tuple):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            return _UNUSABLE
        return tuple(str(v) for v in value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        return text in _TRUE if text in _TRUE | {"0", "false", "no", "off"} else _UNUSABLE
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return str(value)


@dataclass(frozen=True)
class AppConfig:
    """Business rules stored in the configuration document; every field has a safe default."""

    max_item_cents: int = 5_000_000  # one check at most $50,000.00
    max_daily_cents: int = 10_000_000  # one customer at most $100,000.00 per UTC day
    # Extra floor (Tesseract's 0-100 scale) on the reader's overall confidence; the reader applies its own
    # per-character thresholds, so 0 defers to it.
    min_confidence: float = 0.0
    max_attempts: int = 3  # processing attempts before a deposit is `failed`
    # `processing` this long without progress counts as stuck; above the sum of the step timeouts (170 s).
    stale_after_seconds: int = 300
    # A run OpenWhisk has started but not ended (queued behind other work, or running) is waited for this
    # long before it counts as lost and the deposit is retried anyway (a platform restart drops queued runs).
    run_lost_after_seconds: int = 900
    upload_grace_seconds: int = 3600  # a deposit never uploaded is closed after this
    # Outcome statuses only: the notification feed's filter passes no change into received or processing.
    notify_statuses: tuple[str, ...] = ("accepted", "needs_review", "duplicate", "rejected", "failed")
    notify_from: str = "openchecks@example.com"
    # The whole check (issue 15). Both sides must be uploaded; the back must carry a restrictive endorsement.
    require_back: bool = True
    require_restrictive_endorsement: bool = True
    # Phrases that make an endorsement restrictive (empty: openchecks.check.endorsement.DEFAULT_PHRASES).
    endorsement_phrases: tuple[str, ...] = ()
    # A deposit at or under this many cents may be accepted with its amount unread (0: never).
    small_item_cents: int = 0
    # Lowest calibrated confidence (0-1) at which an amount read on the check counts as read.
    amount_min_confidence: float = 0.5
    # Image quality thresholds (openchecks.check.quality.QualityThresholds.from_config reads this object).
    quality: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> AppConfig:
        """Read the configuration document; unknown keys go to `extra`, bad values fall back to defaults."""
        if not doc:
            return cls()
        known = {f.name: f for f in fields(cls) if f.name != "extra"}
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        defaults = cls()
        for key, value in doc.items():
            if key.startswith("_") or key == "type":
                continue
            if key not in known:
                extra[key] = value
                continue
            try:
                coerced = _coerce_like(getattr(defaults, key), value)
            except (TypeError, ValueError):
                continue
            if coerced is not _UNUSABLE:
                values[key] = coerced
        return cls(**values, extra=extra)

    def to_doc(self) -> dict[str, Any]:
        """The document form written by provisioning (no `_id`/`_rev`)."""
        out = asdict(self)
        extra = out.pop("extra")
        out["notify_statuses"] = list(self.notify_statuses)
        out["endorsement_phrases"] = list(self.endorsement_phrases)
        out.update(extra)
        out["type"] = "config"
        return out


# Warm-container cache of the configuration document: (config, monotonic time loaded, source key).
# Refreshed when older than Settings.config_ttl_seconds or when the source database changes.
_CONFIG: tuple[AppConfig, float, str] | None = None


def load_app_config(
    settings: Settings,
    read_doc: Callable[[], Mapping[str, Any] | None],
    now: Callable[[], float] = time.monotonic,
) -> tuple[AppConfig, bool]:
    """Return (config, cache_hit). `read_doc` fetches the document (None when absent) on a miss."""
    global _CONFIG
    source = f"{settings.cloudant_url}|{settings.config_db}"
    cached = _CONFIG
    if (
        not settings.disable_caches
        and cached is not None
        and cached[2] == source
        and now() - cached[1] < settings.config_ttl_seconds
    ):
        return cached[0], True
    config = AppConfig.from_doc(read_doc())
    _CONFIG = None if settings.disable_caches else (config, now(), source)
    return config, False


def reset_config_cache() -> None:
    """Forget the cached configuration document (tests, and a cold container by definition)."""
    global _CONFIG
    _CONFIG = None


ENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def parse_env_lines(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Parse `KEY=VALUE` lines: `#` comments, blank lines, `export` and matching quotes allowed; an unquoted
    value ends at ` #`. Returns (values, [(line number, line) that is not KEY=VALUE]). The one reader of
    local.env files, for the app's tools and the deployer alike."""
    values: dict[str, str] = {}
    bad: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = ENV_LINE.match(line)
        if not match:
            bad.append((number, line))
            continue
        key, value = match.group(1), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values, bad


def read_env_file(path: Path) -> dict[str, str]:
    """The KEY=VALUE settings of an env file (see parse_env_lines); a malformed line is a ConfigurationError
    naming the file and line."""
    values, bad = parse_env_lines(path.read_text(encoding="utf-8"))
    if bad:
        number, line = bad[0]
        raise ConfigurationError(f"{path}, line {number}: expected KEY=VALUE, not {line[:40]!r}.")
    return values
