"""Read a whole check: front and (optionally) back -> quality, MICR line, amount, endorsement, one decision.

`read_whole_check(front, back, declared, config)` is the one entry point `openchecks read` uses; the
pipeline's steps call the same pieces (`straighten_side`, `assess_side`, `read_front`, `read_back`,
`decide_check`) so a warm container can take each image from its temp-directory cache between them.

The decision, in order (`decide_check`):

1. A front that fails any image quality test is `rejected`: the failed test names are the reasons, with one
   sentence per test for the customer; it is never read and never accepted. A back that fails one is
   `rejected` the same way, with the test names prefixed `back_`.
2. The MICR line decides as before (`openchecks.micr.reader`): anything short of a confident, confirmed,
   valid line is `needs_review` with the reader's reasons.
3. With a declared amount: the amount read on the check equal to it confirms it; a different amount read with
   at least `amount_min_confidence` is `amount_mismatch` (the customer is told which amount they entered);
   no amount read (or one below the threshold that differs) is `amount_unread`, unless the declared amount is
   at or under `small_item_cents`. A wrong amount is never accepted.
4. With a back (or when the pipeline requires one): no restrictive endorsement is `endorsement_missing` when
   `require_restrictive_endorsement` is on.

Only a deposit with no reason at all is `accepted`.
"""

from __future__ import annotations

import importlib
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PIL import Image

from openchecks.config import AppConfig

if TYPE_CHECKING:
    # At run time imported where it is used: parse-check and the other steps import this module for the
    # decision, and recognize brings numpy (about 0.14 s of CPU in a cold container).
    from openchecks.micr.recognize import SharedRun

Status = Literal["accepted", "needs_review", "rejected"]
DEFAULT_DPI = 200

MESSAGE_AMOUNT_UNREAD = "We could not read the amount on the check; a person will check it against yours."
MESSAGE_ENDORSEMENT = (
    'The back of the check needs a restrictive endorsement, such as "For mobile deposit only" and your '
    "signature; a person will check it."
)
MESSAGE_BACK_MISSING = "Add a photo of the back of the check, endorsed for mobile deposit."


def amount_mismatch_message(declared_cents: int) -> str:
    """The customer's sentence for an amount that differs from the check's."""
    return (
        f"The amount you entered, ${declared_cents // 100:,}.{declared_cents % 100:02d}, does not match the "
        "amount on the check."
    )


@dataclass(frozen=True)
class CheckPolicy:
    """The configuration document's rules for the whole check (see AppConfig for the defaults)."""

    require_back: bool = True
    require_restrictive_endorsement: bool = True
    endorsement_phrases: tuple[str, ...] = ()
    small_item_cents: int = 0
    amount_min_confidence: float = 0.5
    min_confidence: float = 0.0
    quality: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: AppConfig | None) -> CheckPolicy:
        config = config or AppConfig()
        return cls(
            require_back=config.require_back,
            require_restrictive_endorsement=config.require_restrictive_endorsement,
            endorsement_phrases=tuple(config.endorsement_phrases),
            small_item_cents=config.small_item_cents,
            amount_min_confidence=config.amount_min_confidence,
            min_confidence=config.min_confidence,
            quality=dict(config.quality),
        )

    def phrases(self) -> tuple[str, ...]:
        """The restrictive phrases: the configured ones, else the endorsement reader's defaults."""
        if self.endorsement_phrases:
            return self.endorsement_phrases
        module = importlib.import_module("openchecks.check.endorsement")
        return tuple(module.DEFAULT_PHRASES)


# ------------------------------------------------------------------------------------------------ readers


SizeIn = tuple[float, float]


def _geometry_straighten(photo: Image.Image, dpi: int, size_in: SizeIn | None) -> Any:
    return importlib.import_module("openchecks.check.geometry").straighten(photo, dpi, size_in)


def _quality_assess(
    photo: Image.Image, straightened: Any, config: Mapping[str, Any], side: str = "front"
) -> Any:
    quality = importlib.import_module("openchecks.check.quality")
    return quality.assess(photo, straightened, quality.QualityThresholds.from_config(config), side)


def _micr_read(image: Image.Image, declared: str | None, tessdata: str | None) -> dict[str, Any]:
    from openchecks.micr.reader import read_check

    return dict(read_check(image, declared, tessdata=tessdata).to_dict())


def _amount_read(image: Image.Image, dpi: int, tessdata: str | None) -> dict[str, Any]:
    reading = importlib.import_module("openchecks.check.amount").read_amount(image, dpi, tessdata=tessdata)
    data: dict[str, Any] = reading.to_dict()
    return data


def _endorsement_read(
    image: Image.Image, dpi: int, phrases: Sequence[str], tessdata: str | None
) -> dict[str, Any]:
    module = importlib.import_module("openchecks.check.endorsement")
    return dict(module.read_endorsement(image, dpi, phrases, tessdata=tessdata))


@dataclass(frozen=True)
class Readers:
    """The readers a whole-check read calls (the real ones by default; unit tests pass fakes)."""

    straighten: Callable[[Image.Image, int, SizeIn | None], Any] = _geometry_straighten
    assess: Callable[[Image.Image, Any, Mapping[str, Any], str], Any] = _quality_assess
    read_micr: Callable[[Image.Image, str | None, str | None], dict[str, Any]] = _micr_read
    read_amount: Callable[[Image.Image, int, str | None], dict[str, Any]] = _amount_read
    read_endorsement: Callable[[Image.Image, int, Sequence[str], str | None], dict[str, Any]] = (
        _endorsement_read
    )


REAL = Readers()


# ------------------------------------------------------------------------------------------------- sides


@dataclass(frozen=True)
class SideQuality:
    """One side's quality report as plain data: {test: pass|fail|not_tested}, failed tests, sentences."""

    results: dict[str, str]
    failed: list[str]
    messages: list[str]
    metrics: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_report(cls, report: Any) -> SideQuality:
        return cls(
            results={str(k): str(v) for k, v in dict(report.results).items()},
            failed=[str(t) for t in report.failed],
            messages=[str(m) for m in report.messages],
            metrics={str(k): round(float(v), 4) for k, v in dict(report.metrics).items()},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": dict(self.results),
            "failed": list(self.failed),
            "messages": list(self.messages),
            "metrics": dict(self.metrics),
        }


def straighten_side(
    photo: Image.Image, dpi: int = DEFAULT_DPI, readers: Readers = REAL, size_in: SizeIn | None = None
) -> Any:
    """The check alone at `dpi` (geometry.straighten's Straightened); `size_in` fixes its size (the back
    takes the front's: see `back_size`)."""
    image = photo.convert("RGB") if photo.mode not in ("RGB", "L") else photo
    return readers.straighten(image, dpi, size_in)


def back_size(front: Any) -> SizeIn | None:
    """The size the back of a check is straightened to: the front's, when the front's outline was found
    (a plain back has no MICR line, and at an angle a personal check's outline can look business size)."""
    if not getattr(front, "found", False):
        return None
    size = tuple(float(v) for v in front.size_in)
    return (size[0], size[1]) if len(size) == 2 else None


def geometry_summary(straightened: Any) -> dict[str, Any]:
    """What the deposit keeps of a straightening: found, dpi, size, skew, source dpi, pixel size."""
    image = straightened.image
    return {
        "found": bool(straightened.found),
        "dpi": int(straightened.dpi),
        "size_in": [round(float(v), 2) for v in straightened.size_in],
        "skew_degrees": round(float(straightened.skew_degrees), 2),
        "source_dpi": round(float(straightened.source_dpi), 1),
        "width": image.width,
        "height": image.height,
    }


def assess_side(
    photo: Image.Image, straightened: Any, policy: CheckPolicy, readers: Readers = REAL, side: str = "front"
) -> SideQuality:
    return SideQuality.from_report(readers.assess(photo, straightened, policy.quality, side))


def read_front(
    straightened: Any,
    declared: str | None,
    *,
    tessdata: str | None = None,
    readers: Readers = REAL,
    photo: Image.Image | None = None,
    shared_ocr: SharedRun | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(MICR reading as CheckReading.to_dict(), amount reading as AmountReading.to_dict() or None when the
    amount reader failed) of a straightened front; `tessdata` is the MICR model directory; with `shared_ocr`
    the amount reader's Tesseract run is one party of that shared run (`read_both`).

    The MICR line is read on the straightened check; when that reading is not accepted and the `photo` is
    given, the photo is read too (the MICR reader finds the line in a photo by itself, and a check scanned
    below 200 dpi reads better unscaled) and an accepted reading of it is used (`micr_source`: "photo").
    Acceptance still needs the reader's own rule (a certain reading or a confirming one), so this adds no
    risk of a wrong line."""

    def amount_of() -> dict[str, Any] | None:
        with shared_ocr.joined() if shared_ocr is not None else nullcontext():
            try:
                # `tessdata` is the MICR model directory; the amount reader uses Tesseract's own `eng`.
                return readers.read_amount(straightened.image, straightened.dpi, None)
            except Exception:  # an amount the reader cannot handle is an unread amount, decided later
                return None

    # The readers spend their time in Tesseract processes: the amount is read while the MICR line is.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(amount_of)
        micr = readers.read_micr(straightened.image, declared, tessdata)
        micr["micr_source"] = "straightened"
        if micr.get("status") != "accepted" and photo is not None:
            second = readers.read_micr(photo, declared, tessdata)
            if second.get("status") == "accepted":
                micr = {**second, "micr_source": "photo"}
        amount = pending.result()
    return micr, amount


def read_both(
    front: Any,
    back: Any | None,
    declared: str | None,
    policy: CheckPolicy,
    *,
    tessdata: str | None = None,
    readers: Readers = REAL,
    photo: Image.Image | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    """(MICR reading, amount reading, endorsement or None without a back): `read_front` and `read_back`,
    the back read at the same time as the front."""
    # The amount and the endorsement each start with a Tesseract `eng` run: one process for both saves a
    # start-up (about 0.07 s of CPU: the model and its dictionary loaded once).
    from openchecks.micr.recognize import SharedRun

    shared = SharedRun(parties=2) if back else None

    def back_of() -> dict[str, Any]:
        assert shared is not None
        with shared.joined():
            return read_back(back, policy, tessdata=tessdata, readers=readers)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(back_of) if back else None
        micr, amount = read_front(
            front, declared, tessdata=tessdata, readers=readers, photo=photo, shared_ocr=shared
        )
        endorsement = pending.result() if pending is not None else None
    return micr, amount, endorsement


def read_back(
    straightened: Any, policy: CheckPolicy, *, tessdata: str | None = None, readers: Readers = REAL
) -> dict[str, Any]:
    """The endorsement on a straightened back: {present, restrictive, text, confidence}."""
    # `eng` comes from Tesseract's own directory (Debian's tesseract-ocr-eng), not the MICR models'.
    try:
        found = readers.read_endorsement(straightened.image, straightened.dpi, policy.phrases(), None)
    except Exception as exc:  # a reader failure is an endorsement not found, which goes to review
        found = {"present": False, "restrictive": False, "text": f"not read: {type(exc).__name__}"}
    return {
        "present": bool(found.get("present")),
        "restrictive": bool(found.get("restrictive")),
        "text": str(found.get("text", "")),
        "confidence": round(float(found.get("confidence", 0.0)), 3),
    }


# ---------------------------------------------------------------------------------------------- decision


@dataclass(frozen=True)
class CheckDecision:
    """The whole check's outcome: status, machine-readable reasons, sentences for the customer."""

    status: Status
    reasons: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reasons": list(self.reasons), "messages": list(self.messages)}


def _min_confidence(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple):
        numbers = [float(v) for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
        return min(numbers) if numbers else None
    return None


def micr_reasons(
    reading: Mapping[str, Any] | None, declared_cents: int | None, min_confidence: float
) -> list[str]:
    """Why the MICR reading alone does not allow acceptance (empty: it does)."""
    if not reading:
        return ["no_reading"]
    reasons = [str(r) for r in reading.get("reasons") or []]
    status = reading.get("status")
    if status not in ("accepted", "needs_review"):
        reasons.append("reader_status_unknown")
    for name in ("routing", "account", "check_number"):
        if not reading.get(name):
            reasons.append(f"missing_{name}")
    confidence = _min_confidence(reading.get("confidence"))
    if confidence is not None and confidence < min_confidence:
        reasons.append("low_confidence")
    encoded = reading.get("amount_cents")
    if encoded is None and isinstance(reading.get("micr"), str):
        try:
            from openchecks.micr.parse import parse_micr_line

            encoded = parse_micr_line(reading["micr"]).amount_cents
        except Exception:  # the parser is the reader's business; an unparsable line is already a reason
            encoded = None
    if isinstance(encoded, int) and encoded > 0 and declared_cents is not None and encoded != declared_cents:
        reasons.append("amount_mismatch")
    if status != "accepted" and not reasons:
        reasons.append("reader_needs_review")
    return reasons


def amount_reasons(
    amount: Mapping[str, Any] | None, declared_cents: int, policy: CheckPolicy
) -> tuple[list[str], list[str]]:
    """(reasons, customer sentences) of comparing the amount read with the declared one."""
    cents = amount.get("cents") if amount else None
    confidence = float(amount.get("confidence") or 0.0) if amount else 0.0
    if isinstance(cents, int) and not isinstance(cents, bool):
        if cents == declared_cents:
            # Agreement with what the customer typed confirms the amount whatever the reader's confidence.
            return [], []
        if confidence >= policy.amount_min_confidence:
            return ["amount_mismatch"], [amount_mismatch_message(declared_cents)]
    if declared_cents <= policy.small_item_cents:
        return [], []
    return ["amount_unread"], [MESSAGE_AMOUNT_UNREAD]


def decide_check(
    *,
    micr: Mapping[str, Any] | None,
    declared_cents: int | None,
    amount: Mapping[str, Any] | None,
    endorsement: Mapping[str, Any] | None,
    policy: CheckPolicy,
    check_endorsement: bool,
    front_quality: SideQuality | None = None,
    back_quality: SideQuality | None = None,
) -> CheckDecision:
    """The whole check's decision (see the module docstring). `check_endorsement`: whether this deposit is
    judged on its back at all (the CLI without --back: no)."""
    rejected: list[str] = []
    messages: list[str] = []
    if front_quality is not None and front_quality.failed:
        rejected += front_quality.failed
        messages += front_quality.messages
    if back_quality is not None and back_quality.failed:
        rejected += [f"back_{t}" for t in back_quality.failed]
        messages += [f"Back of the check: {m}" for m in back_quality.messages]
    if rejected:
        return CheckDecision("rejected", tuple(dict.fromkeys(rejected)), tuple(messages))
    reasons = micr_reasons(micr, declared_cents, policy.min_confidence)
    if declared_cents is not None:
        more, sentences = amount_reasons(amount, declared_cents, policy)
        if "amount_mismatch" in reasons and not more and isinstance((amount or {}).get("cents"), int):
            # The encoded MICR amount disagrees but the amount read agrees: still a mismatch to review.
            sentences = [amount_mismatch_message(declared_cents)]
        reasons += more
        messages += sentences
    if check_endorsement and policy.require_restrictive_endorsement:
        if endorsement is None:
            reasons.append("endorsement_missing")
            messages.append(MESSAGE_BACK_MISSING)
        elif not endorsement.get("restrictive"):
            reasons.append("endorsement_missing")
            messages.append(MESSAGE_ENDORSEMENT)
    unique = tuple(dict.fromkeys(reasons))
    if not unique:
        return CheckDecision("accepted")
    return CheckDecision("needs_review", unique, tuple(dict.fromkeys(messages)))


# ---------------------------------------------------------------------------------------- the whole check


# The MICR keys of a check that was not read (a front that failed quality).
UNREAD_MICR: dict[str, Any] = {
    "micr": None,
    "routing": None,
    "account": None,
    "check_number": None,
    "amount_cents": None,
    "status": None,
    "reasons": [],
    "confidence": None,
    "field_confidence": {},
    "engine": None,
}


@dataclass(frozen=True)
class WholeReading:
    """Everything `openchecks read` prints for one check (see `to_dict`)."""

    micr: dict[str, Any]
    amount: dict[str, Any] | None
    quality: SideQuality | None
    back_quality: SideQuality | None
    endorsement: dict[str, Any] | None
    decision: CheckDecision
    geometry: dict[str, Any]
    seconds: float
    cpu_seconds: float

    def to_dict(self, include_confidences: bool = False) -> dict[str, Any]:
        """Today's `openchecks read` keys (micr, routing, account, check_number, confidence, ...) with the
        whole check's status and reasons, plus amount, amount_source, amount_confidence, quality,
        back_quality, endorsement, messages. The MICR reader's own verdict stays as micr_status/_reasons."""
        micr = {**UNREAD_MICR, **self.micr}
        if not include_confidences:
            micr.pop("confidences", None)
        amount = self.amount or {}
        return {
            **micr,
            "micr_status": micr.get("status"),
            "micr_reasons": micr.get("reasons", []),
            "status": self.decision.status,
            "reasons": list(self.decision.reasons),
            "messages": list(self.decision.messages),
            "amount": amount.get("amount"),
            "amount_source": amount.get("source"),
            "amount_confidence": amount.get("confidence"),
            "amount_read": self.amount,
            "quality": self.quality.results if self.quality else None,
            "back_quality": self.back_quality.results if self.back_quality else None,
            "quality_failed": (self.quality.failed if self.quality else [])
            + [f"back_{t}" for t in (self.back_quality.failed if self.back_quality else [])],
            "endorsement": self.endorsement,
            "geometry": self.geometry,
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
        }


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (Tesseract runs as a child)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def read_whole_check(
    front: str | Path | Image.Image,
    back: str | Path | Image.Image | None = None,
    declared: str | None = None,
    config: AppConfig | None = None,
    *,
    tessdata: str | None = None,
    dpi: int = DEFAULT_DPI,
    readers: Readers = REAL,
) -> WholeReading:
    """Read a check from files (or images): straighten and assess both sides, read the MICR line and the
    amount on a front that passes quality and the endorsement on the back, and decide. Without `declared`
    there is no amount decision; without `back` no endorsement decision. Raises
    openchecks.micr.reader.CheckImageError for a file that is not a readable image."""
    from openchecks.micr.decide import amount_to_cents
    from openchecks.micr.reader import load_image

    started, cpu_started = time.perf_counter(), cpu_seconds()
    policy = CheckPolicy.from_config(config)
    declared_cents = amount_to_cents(declared) if declared is not None else None
    front_photo = load_image(front)
    back_photo = load_image(back) if back is not None else None
    front_straight = straighten_side(front_photo, dpi, readers)
    front_quality = assess_side(front_photo, front_straight, policy, readers)
    geometry = {"front": geometry_summary(front_straight)}
    back_quality: SideQuality | None = None
    back_straight: Any = None
    if back_photo is not None:
        back_straight = straighten_side(back_photo, dpi, readers, back_size(front_straight))
        back_quality = assess_side(back_photo, back_straight, policy, readers, "back")
        geometry["back"] = geometry_summary(back_straight)
    micr: dict[str, Any] = {}
    amount: dict[str, Any] | None = None
    endorsement: dict[str, Any] | None = None
    if not front_quality.failed and not (back_quality and back_quality.failed):
        micr, amount, endorsement = read_both(
            front_straight,
            back_straight,
            declared,
            policy,
            tessdata=tessdata,
            readers=readers,
            photo=front_photo,
        )
    decision = decide_check(
        micr=micr or None,
        declared_cents=declared_cents,
        amount=amount,
        endorsement=endorsement,
        policy=policy,
        check_endorsement=back_photo is not None,
        front_quality=front_quality,
        back_quality=back_quality,
    )
    return WholeReading(
        micr=micr,
        amount=amount,
        quality=front_quality,
        back_quality=back_quality,
        endorsement=endorsement,
        decision=decision,
        geometry=geometry,
        seconds=time.perf_counter() - started,
        cpu_seconds=cpu_seconds() - cpu_started,
    )
