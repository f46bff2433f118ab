"""The feed provider: validates lifecycle requests, keeps feeds in the store and fires their triggers.

Delivery guarantees (both survive a restart of the provider, the platform or the database server):
- alarms: a feed's cursor is the scheduled time it last fired, persisted after the fire; firings missed
  while the provider was down are coalesced into one fire on restart; a fire that fails because the platform
  is unreachable (or answers 5xx/429) is retried for `ALARM_RETRY_SECONDS`.
- changes: followed with `_changes?feed=longpoll` (own 20 s deadline per request), in order; the cursor is
  the seq of the last change whose fire the platform accepted, persisted after each fire; a failed fire
  is retried until it is accepted, so no change is skipped and none is fired twice.
A fire answered 401/403/404 (trigger deleted, key revoked) disables the feed, as the upstream providers do.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from infra.clock import SYSTEM_CLOCK, Clock
from infra.feeds import alarms, changes
from infra.feeds.dates import iso
from infra.feeds.errors import FeedError
from infra.feeds.store import FeedRecord, FeedStore
from infra.feeds.whisk import FireResult, TriggerClient

log = logging.getLogger("infra.feeds")

FEED_KINDS = (*alarms.ALARM_KINDS, "changes")
ALARM_RETRY_SECONDS = 60.0
CHANGES_POLL_SECONDS = 0.5
LONGPOLL_SECONDS = 20.0
MAX_BACKOFF = 5.0
_LIFECYCLE_KEYS = ("lifecycleEvent", "triggerName", "authKey", "feed")


def split_trigger(trigger_name: Any) -> tuple[str, str]:
    """'/ns/name' (or 'ns/name') -> (ns, name); FeedError for anything else."""
    if not isinstance(trigger_name, str):
        raise FeedError("triggerName parameter is required, as /namespace/name")
    parts = trigger_name.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        raise FeedError(f"triggerName '{trigger_name}' must be /namespace/name")
    return parts[0], parts[1]


class Provider:
    """All feeds of one provider process; call `start()` once, `stop()` at the end."""

    def __init__(self, store: FeedStore, whisk: TriggerClient, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = store
        self.whisk = whisk
        self.clock = clock  # every wait and timestamp of the scheduler
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._inflight: set[str] = set()
        self._followers: dict[str, _Follower] = {}
        self._errors: dict[str, str] = {}
        self._lock = threading.RLock()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fire")
        self._scheduler = threading.Thread(target=self._schedule_loop, name="alarms", daemon=True)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Resume every active feed from its persisted cursor."""
        for rec in self.store.all():
            if rec.active and rec.feed == "changes":
                self._follow(rec)
        self._scheduler.start()

    def stop(self) -> None:
        """Stop firing (in-flight fires finish)."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        with self._lock:
            followers = list(self._followers.values())
        for follower in followers:
            follower.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def count(self) -> int:
        """How many feeds are stored."""
        return len(self.store.all())

    # ---- the four lifecycle events ---------------------------------------------------------------
    def create(self, feed: str, trigger_name: Any, auth_key: str, params: dict[str, Any]) -> dict[str, Any]:
        """CREATE: validate, check the trigger exists for this key, store, start firing."""
        if feed not in FEED_KINDS:
            raise FeedError(f"unknown feed {feed!r}; expected one of {', '.join(FEED_KINDS)}")
        namespace, name = split_trigger(trigger_name)
        trigger = f"/{namespace}/{name}"
        existing = self.store.get(trigger)
        if existing is not None and not hmac.compare_digest(existing.auth_key, auth_key):
            raise FeedError(f"a feed for trigger {trigger} already exists under another key", 409)
        now = self._now_ms()
        config, cursor = self._validate(feed, params, now)
        self._check_trigger(namespace, name, auth_key)
        if existing is not None:
            self._forget(trigger)
        rec = FeedRecord(trigger=trigger, feed=feed, auth_key=auth_key, config=config, cursor=cursor)
        self.store.put(rec)
        self._activate(trigger)
        log.info("created %s feed for %s", feed, trigger)
        return {"ok": True, "triggerName": trigger, "feed": feed}

    def read(self, trigger_name: Any, auth_key: str) -> dict[str, Any]:
        """READ: {config, status} as the upstream packages report them."""
        rec = self._owned(trigger_name, auth_key)
        if rec.feed == "changes":
            config = changes.spec_from_json(rec.config).read_config(rec.namespace, rec.name)
        else:
            config = alarms.read_config(alarms.spec_from_json(rec.config), rec.namespace, rec.name)
        status: dict[str, Any] = {
            "active": rec.active,
            "dateChanged": rec.date_changed,
            "dateChangedISO": iso(rec.date_changed),
        }
        if rec.reason is not None:
            status["reason"] = rec.reason
        if rec.trigger in self._errors:
            status["lastError"] = self._errors[rec.trigger]
        return {"config": config, "status": status, "feed": rec.feed}

    def update(self, trigger_name: Any, auth_key: str, params: dict[str, Any]) -> dict[str, Any]:
        """UPDATE: merge `params` over the stored parameters, re-validate, keep the cursor."""
        rec = self._owned(trigger_name, auth_key)
        merged = dict(rec.config.get("_params", {}))
        merged.update({k: v for k, v in params.items() if k not in _LIFECYCLE_KEYS})
        config, cursor = self._validate(rec.feed, merged, self._now_ms())
        self._forget(rec.trigger)
        rec.config = config
        if rec.cursor is None:
            rec.cursor = cursor
        rec.active, rec.reason, rec.date_changed = True, None, self._now_ms()
        self.store.put(rec)
        self._activate(rec.trigger)
        return {"ok": True, "triggerName": rec.trigger}

    def delete(self, trigger_name: Any, auth_key: str) -> dict[str, Any]:
        """DELETE: stop firing and forget the feed."""
        rec = self._owned(trigger_name, auth_key)
        self._forget(rec.trigger)
        self.store.delete(rec.trigger)
        log.info("deleted feed for %s", rec.trigger)
        return {"ok": True, "triggerName": rec.trigger}

    # ---- helpers --------------------------------------------------------------------------------
    def _validate(self, feed: str, params: dict[str, Any], now: int) -> tuple[dict[str, Any], Any]:
        kept = {k: v for k, v in params.items() if k not in _LIFECYCLE_KEYS}
        if feed == "changes":
            spec = changes.parse_changes(kept)
            changes.check_filter(spec)
            config = spec.to_json()
            cursor: Any = {"seq": changes.current_seq(spec), "fired": 0}
        else:
            config = alarms.parse_alarm(feed, kept, now).to_json()
            cursor = now
        config["_params"] = kept
        return config, cursor

    def _check_trigger(self, namespace: str, name: str, auth_key: str) -> None:
        result, _ = self.whisk.get_trigger(namespace, name, auth_key)
        if result.status == 200:
            return
        if result.status in (401, 403):
            raise FeedError(f"the authKey is not authorized for trigger /{namespace}/{name}", 401)
        if result.status == 404:
            raise FeedError(f"trigger /{namespace}/{name} does not exist; create it before its feed", 404)
        raise FeedError(f"could not check trigger /{namespace}/{name}: {result.message}", 503)

    def _owned(self, trigger_name: Any, auth_key: str) -> FeedRecord:
        namespace, name = split_trigger(trigger_name)
        rec = self.store.get(f"/{namespace}/{name}")
        if rec is None:
            raise FeedError(f"no feed exists for trigger /{namespace}/{name}", 404)
        if not hmac.compare_digest(rec.auth_key, auth_key):
            raise FeedError(f"the authKey is not the one that created the feed of /{namespace}/{name}", 401)
        return rec

    def _activate(self, trigger: str) -> None:
        rec = self.store.get(trigger)
        if rec is None or not rec.active:
            return
        if rec.feed == "changes":
            self._follow(rec)
        else:
            with self._wake:
                self._wake.notify_all()

    def _forget(self, trigger: str) -> None:
        with self._lock:
            follower = self._followers.pop(trigger, None)
            self._errors.pop(trigger, None)
        if follower is not None:
            follower.stop()

    def _follow(self, rec: FeedRecord) -> None:
        follower = _Follower(self, rec)
        with self._lock:
            self._followers[rec.trigger] = follower
        follower.start()

    def disable(self, trigger: str, reason: dict[str, Any]) -> None:
        """Mark a feed inactive with `reason` (kept for READ) and stop its follower."""
        log.warning("disabling feed %s: %s", trigger, reason)
        self.store.set_status(trigger, False, reason)
        with self._lock:
            self._followers.pop(trigger, None)

    def note_error(self, trigger: str, message: str | None) -> None:
        """Remember (or clear) the last transient error of a feed, reported by READ as status.lastError."""
        with self._lock:
            if message is None:
                self._errors.pop(trigger, None)
            else:
                self._errors[trigger] = message

    def fire_disabled_reason(self, result: FireResult) -> dict[str, Any]:
        """The READ reason of a feed disabled by a refused fire."""
        return {
            "kind": "AUTO",
            "statusCode": result.status,
            "message": f"Automatically disabled after receiving a {result.status} status code "
            f"when firing the trigger: {result.message}",
        }

    # ---- alarms ---------------------------------------------------------------------------------
    def fire_due(self) -> tuple[float, list[Future[None]]]:
        """One pass of the alarm scheduler: start the fire of every alarm that is due (times missed while
        down coalesce into one fire); returns the seconds until the next one is due (at most 5) and the fires
        it started. The scheduler thread runs it in a loop; a test that moves a manual clock calls it itself
        instead of `start()` (no thread has to wake up in virtual time)."""
        wait = 5.0
        started: list[Future[None]] = []
        for rec in self.store.all():
            if not rec.active or rec.feed == "changes" or rec.trigger in self._inflight:
                continue
            spec = alarms.spec_from_json(rec.config)
            due = spec.next_after(int(rec.cursor or 0))
            if due is None:
                self.disable(
                    rec.trigger,
                    {
                        "kind": "AUTO",
                        "message": "Automatically disabled after "
                        "reaching the end of its schedule (stopDate or date passed)",
                    },
                )
                continue
            now = self._now_ms()
            if due <= now:
                fire_at = spec.latest_at_or_before(now) or due
                self._inflight.add(rec.trigger)
                started.append(self._pool.submit(self._fire_alarm, rec, spec, fire_at))
            else:
                wait = min(wait, (due - now) / 1000)
        return wait, started

    def _schedule_loop(self) -> None:
        while not self._stop.is_set():
            wait, _ = self.fire_due()
            with self._wake:
                if not self._stop.is_set():
                    self.clock.wait(self._wake, max(wait, 0.005))

    def _fire_alarm(self, rec: FeedRecord, spec: alarms.AlarmSpec, fire_at: int) -> None:
        try:
            result = self._fire_with_retry(
                rec, spec.fire_body(), self.clock.monotonic() + ALARM_RETRY_SECONDS
            )
            current = self.store.get(rec.trigger)
            if current is None or current.date_changed != rec.date_changed or current.config != rec.config:
                return  # deleted or updated while firing: the new configuration owns the cursor
            self.store.set_cursor(rec.trigger, fire_at)
            if result.ok and spec.kind == "once":
                self._after_once(rec, spec)
            elif not result.ok and not result.retry:
                self.disable(rec.trigger, self.fire_disabled_reason(result))
        except Exception:  # a fire worker must never die silently
            log.exception("firing %s failed", rec.trigger)
        finally:
            self._inflight.discard(rec.trigger)
            with self._wake:
                self._wake.notify_all()

    def _after_once(self, rec: FeedRecord, spec: alarms.AlarmSpec) -> None:
        if spec.deleteAfterFire == "false":
            self.disable(rec.trigger, {"kind": "AUTO", "message": "Automatically disabled after firing once"})
            return
        if spec.deleteAfterFire == "rules":
            result, body = self.whisk.get_trigger(rec.namespace, rec.name, rec.auth_key)
            for rule_path in (body.get("rules") or {}) if result.ok else {}:
                rule_ns, _, rule_name = str(rule_path).rpartition("/")
                self.whisk.delete_rule(rule_ns or rec.namespace, rule_name, rec.auth_key)
        self.whisk.delete_trigger(rec.namespace, rec.name, rec.auth_key)
        self.store.delete(rec.trigger)

    def _fire_with_retry(self, rec: FeedRecord, body: dict[str, Any], deadline: float | None) -> FireResult:
        """Fire until accepted, refused for good, the provider stops, or `deadline` (monotonic) passes."""
        backoff = 0.25
        while True:
            result = self.whisk.fire(rec.namespace, rec.name, rec.auth_key, body)
            if result.ok or not result.retry:
                self.note_error(rec.trigger, None)
                return result
            self.note_error(rec.trigger, f"firing failed ({result.status}): {result.message}")
            if self._stop.is_set() or (deadline is not None and self.clock.monotonic() + backoff > deadline):
                return result
            if self.clock.wait_event(self._stop, backoff):
                return result
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    def stopped(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()


class _Follower:
    """Follows one database's `_changes` and fires the trigger once per change, in order."""

    def __init__(self, provider: Provider, rec: FeedRecord) -> None:
        self.provider = provider
        self.rec = rec
        self.spec = changes.spec_from_json(rec.config)
        self._stop = threading.Event()
        self._polling = False
        self._thread = threading.Thread(target=self._run, name=f"changes:{rec.trigger}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop following. Waits for a fire in progress (so its cursor is saved before a successor starts),
        but not for a longpoll, which fires nothing once stopped and ends at the next heartbeat."""
        self._stop.set()
        if threading.current_thread() is not self._thread and not self._polling:
            self._thread.join(15)

    def _halted(self) -> bool:
        return self._stop.is_set() or self.provider.stopped()

    def _run(self) -> None:
        cursor = dict(self.rec.cursor or {"seq": 0, "fired": 0})
        backoff = CHANGES_POLL_SECONDS
        while not self._halted():
            asked = time.monotonic()
            try:
                results, last_seq = self._fetch(cursor)
            except FeedError as exc:
                self.provider.note_error(self.rec.trigger, exc.message)
                if self._stop.wait(backoff):
                    return
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except Exception as exc:  # keep following whatever the server sends
                log.exception("reading changes for %s", self.rec.trigger)
                self.provider.note_error(self.rec.trigger, str(exc))
                if self._stop.wait(MAX_BACKOFF):
                    return
                continue
            backoff = CHANGES_POLL_SECONDS
            self.provider.note_error(self.rec.trigger, None)
            fired = self._fire_all(results, cursor)
            if fired is None:
                return
            cursor = fired
            if last_seq is not None and last_seq != cursor["seq"]:
                cursor = {"seq": last_seq, "fired": cursor.get("fired", 0)}
                self.provider.store.set_cursor(self.rec.trigger, cursor)
            # A server that answers a longpoll at once with nothing (no longpoll support) is polled instead.
            quick_and_empty = not results and time.monotonic() - asked < 0.2
            if quick_and_empty and self._stop.wait(CHANGES_POLL_SECONDS):
                return

    def _fetch(self, cursor: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
        """One longpoll from the cursor: (changes, the last seq), as changes.fetch_changes."""
        self._polling = True
        try:
            return changes.fetch_changes(self.spec, cursor["seq"], LONGPOLL_SECONDS, self._stop)
        finally:
            self._polling = False

    def _fire_all(self, results: list[dict[str, Any]], cursor: dict[str, Any]) -> dict[str, Any] | None:
        """Fire one trigger per change, saving the cursor after each; None when following must stop
        (stopped, a fire not accepted, or maxTriggers reached), else the cursor after the last change."""
        for change in results:
            if self._halted():
                return None
            result = self.provider._fire_with_retry(
                self.rec, changes.change_event(change, self.spec.dbname), deadline=None
            )
            if not result.ok:
                if not self._halted():  # halted: not accepted, so resume from the old cursor next time
                    self.provider.disable(self.rec.trigger, self.provider.fire_disabled_reason(result))
                return None
            cursor = {"seq": change.get("seq"), "fired": int(cursor.get("fired", 0)) + 1}
            self.provider.store.set_cursor(self.rec.trigger, cursor)
            if 0 <= self.spec.maxTriggers <= cursor["fired"]:
                self.provider.disable(
                    self.rec.trigger,
                    {
                        "kind": "AUTO",
                        "message": "Automatically "
                        f"disabled after reaching maxTriggers ({self.spec.maxTriggers})",
                    },
                )
                return None
        return cursor
