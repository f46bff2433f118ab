"""What every action shares: settings from its arguments, the cached clients, and the `_meta` report.

`ActionContext` hands out the Cloudant/COS clients, the configuration document and the image cache, and
records for each whether the warm-container cache hit. Clients given to it (`documents=`, `objects=`: any
`openchecks.services.DocumentClient` / `ObjectClient`, such as the unit tier's in-memory fakes) are used
instead of building them; the `clients` cache flag is then "hit".

`run_step` wraps an action body: it times it, adds `"_meta": {"cold", "cache", "ms", "cpu_ms", ...}` to
the result (`cpu_ms`: the process's CPU during the activation, every thread), and turns any failure into an
OpenWhisk application error `{"error": ..., "code": ...}` without secrets (the deposit stays `processing`,
so the poller retries).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from openchecks import reqcount
from openchecks.clients import cloudant_client, cos_client
from openchecks.config import AppConfig, Settings, load_app_config
from openchecks.deposits import note_failure
from openchecks.documents import iso, utc_now
from openchecks.errors import OpenChecksError, ServiceUnavailable
from openchecks.imagecache import ImageCache, image_cache
from openchecks.retry import retried
from openchecks.services import DocumentClient, ObjectClient
from openchecks.storage import Storage
from openchecks.store import DepositStore

# True until this process has run one activation: the first run in a container is the cold one.
# Nothing names the container in a result: results reach web answers and deposit documents (issue 13); the
# platform counts containers itself (GET /local/stats).
_COLD = True


def _take_cold() -> bool:
    global _COLD
    cold, _COLD = _COLD, False
    return cold


class ActionContext:
    """Per-activation access to settings, services and caches, with the cache outcome of each."""

    def __init__(
        self,
        args: Mapping[str, Any],
        step: str,
        *,
        documents: DocumentClient | None = None,
        objects: ObjectClient | None = None,
    ) -> None:
        self.args = args
        self.step = step
        self.settings = Settings.from_params(args)
        if str(args.get("disable_caches", "")).lower() in ("1", "true", "yes"):
            self.settings = Settings.from_params({**args, "disable_caches": True})
        self.cache: dict[str, str] = {}
        self.started = time.perf_counter()
        # CPU of the whole process (every thread: the archiver, Tesseract's workers) during the activation;
        # a container runs one activation at a time, so it is the activation's own.
        self.cpu_started = time.process_time()
        self.started_at = iso(utc_now())
        self.cold = _take_cold()
        reqcount.reset()  # one activation at a time per container: count this one's requests
        self._store: DepositStore | None = None
        self._storage: Storage | None = None
        self._config: AppConfig | None = None
        self._documents = documents
        self._objects = objects
        # Image cache lookups of this activation: every read that takes an image from the temp dir counts.
        self.image_lookups = {"hit": 0, "miss": 0}

    def count_image(self, hit: bool) -> None:
        """Count one image cache lookup (a download or straightening is a miss)."""
        self.image_lookups["hit" if hit else "miss"] += 1

    def image_flag(self) -> str:
        """ "hit" when every image lookup of this activation hit, else "miss"."""
        return "miss" if self.image_lookups["miss"] else "hit"

    def flag(self, name: str, hit: bool) -> None:
        """Record a cache outcome; several uses of one cache report "hit" only if all hit."""
        if self.settings.disable_caches:
            self.cache[name] = "off"
            return
        value = "hit" if hit else "miss"
        if self.cache.get(name) == "miss":
            value = "miss"
        self.cache[name] = value

    def store(self) -> DepositStore:
        if self._store is None:
            client: DocumentClient
            if self._documents is not None:
                client, hit = self._documents, True
            else:
                client, hit = cloudant_client(self.settings)
            self.flag("clients", hit)
            self._store = DepositStore(client, self.settings)
        return self._store

    def storage(self) -> Storage:
        if self._storage is None:
            if self._objects is not None:
                # An injected client presigns too (it stands for both endpoints).
                self.flag("clients", True)
                self._storage = Storage(self._objects, self.settings)
                return self._storage
            client, hit = cos_client(self.settings)
            self.flag("clients", hit)
            public = None
            if (
                self.settings.cos_public_endpoint
                and self.settings.cos_public_endpoint != self.settings.cos_endpoint
            ):
                from openchecks.clients import build_cos_client

                public = build_cos_client(self.settings, self.settings.cos_public_endpoint)
            self._storage = Storage(client, self.settings, public)
        return self._storage

    def app_config(self) -> AppConfig:
        if self._config is None:
            client = self.store().client
            settings = self.settings

            def read() -> dict[str, Any] | None:
                from openchecks.provision import read_config_doc

                try:
                    return retried(lambda: read_config_doc(client, settings))
                except OpenChecksError:
                    raise
                except Exception as exc:
                    status = getattr(exc, "status_code", None)
                    if isinstance(status, int) and 400 <= status < 500:
                        raise
                    raise ServiceUnavailable(
                        "The configuration database did not answer; try again in a minute.",
                        code="database_unavailable",
                    ) from exc

            self._config, hit = load_app_config(settings, read)
            self.flag("config", hit)
        return self._config

    def images(self) -> ImageCache:
        return image_cache(
            self.settings.image_cache_dir, self.settings.image_cache_bytes, not self.settings.disable_caches
        )

    def meta(self) -> dict[str, Any]:
        """The `_meta` block: cold start, cache outcomes, elapsed ms, the activation id and the Cloudant and
        COS requests sent so far (`openchecks.reqcount`)."""
        return {
            "step": self.step,
            "cold": self.cold,
            "cache": dict(self.cache),
            "image_lookups": dict(self.image_lookups),
            "ms": round((time.perf_counter() - self.started) * 1000, 1),
            "cpu_ms": round((time.process_time() - self.cpu_started) * 1000, 1),
            "activation_id": os.environ.get("__OW_ACTIVATION_ID", ""),
            "started_at": self.started_at,
            "at": iso(utc_now()),
            "caches_disabled": self.settings.disable_caches,
            "requests": reqcount.snapshot(),
        }


def log(message: str) -> None:
    """One line on stderr (the activation's logs). Callers never pass secrets."""
    print(message, file=sys.stderr, flush=True)


def run_step(
    step: str, args: Mapping[str, Any], body: Callable[[ActionContext], dict[str, Any]]
) -> dict[str, Any]:
    """Run an action body and return its result with `_meta` and, for pipeline steps, `steps[step]`.

    On failure: an OpenWhisk application error `{"error", "code", "deposit_id", "_meta"}`; the failure
    is noted on a `processing` deposit when possible (best effort)."""
    ctx = ActionContext(args, step)
    try:
        result = body(ctx)
    except Exception as exc:
        if isinstance(exc, OpenChecksError):
            message, code = exc.message, exc.code
        else:
            message, code = (
                f"{step} failed unexpectedly ({type(exc).__name__}); it will be retried.",
                "internal",
            )
            log(f"{step}: {type(exc).__name__}\n{traceback.format_exc(limit=8)}")
        log(f"{step}: {code}: {message}")
        deposit_id = args.get("deposit_id")
        if isinstance(deposit_id, str):
            try:
                note_failure(ctx.store(), deposit_id, step, message)
            except (
                Exception
            ) as note_exc:  # the database may be what failed; the poller still sees `processing`
                log(f"{step}: could not note the failure: {type(note_exc).__name__}")
        return {"error": message, "code": code, "deposit_id": deposit_id, "_meta": ctx.meta()}
    meta = ctx.meta()
    result["_meta"] = meta
    if "steps" in result:
        result["steps"] = {**result["steps"], step: meta}
    return result
