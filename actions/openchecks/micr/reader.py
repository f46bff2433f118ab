"""Read a check image end to end: locate the MICR line, recognise it, parse it, decide.

`read_check` is the one entry point shared by the `ocr-check`/`parse-check` actions and `openchecks read`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from openchecks.documents import MicrReading
from openchecks.micr.decide import MIN_CONFIDENCE, Decision, decide, field_confidences
from openchecks.micr.locate import iter_micr_bands
from openchecks.micr.parse import MicrFields, parse_micr_line
from openchecks.micr.recognize import Recognition, recognize_line

# Located bands read with e13b (the best one first, the rest in pairs) before mcr2 tries the best one.
CANDIDATE_BANDS = 4
PARALLEL_READS = 2
# Verification readings of an accepted line that is not certain (see CERTAIN_CONFIDENCE), in order: the same
# model on the band with wider side margins, then rescaled to 48 px. Each perturbation changes how the LSTM
# segments the line; on 79 synthetic lines that e13b alone would accept, together they caught both confident
# misreads (an inserted serial digit, a wrong account digit) and disagreed with 3 correct ones; e13b --psm 7
# caught both but disagreed with 7. They are read one at a time and the first that keeps every field decides
# (`_verify`): on the tuning data (below) the 48 px reading never read other digits where the wide-margin one
# confirmed the line, and it decided alone only where the wide-margin reading lost a symbol.
VERIFICATIONS: tuple[tuple[str, str], ...] = (("e13b", "padx16"), ("e13b", "h48"))
# An accepted e13b reading whose every routing, account and serial digit was read at this confidence or more
# is taken without verification readings (each a Tesseract pass of about 0.04 s of CPU). The model's
# confidences top out near 99.0 and a correct line reads at 98.9 in the median. Set on the tuning data only:
# 572 readings that `decide` accepted (micr.synth seed 201, 300 checks; tests/fixtures/checks.py seeds
# 5000-5149 in the tuning fonts, straightened and as photographed; the 1,154 line crops in
# ../shared/data/micr-lines), 14 of them wrong, every one in the serial field and at 98.15 or less: at 98.8,
# 423 skip their verification and the decisions are today's but one more right line accepted (551 right, the
# same 3 wrong that the verifications confirmed as well).
CERTAIN_CONFIDENCE = 98.8
# Decompression-bomb guard for images opened here (fetch-image applies the deployment's own limits).
MAX_PIXELS = 40_000_000


class CheckImageError(ValueError):
    """The input is not a readable image (missing, empty, truncated, not an image, too large)."""


@dataclass(frozen=True)
class CheckReading:
    """The outcome of reading one check; `to_dict()` is JSON-serialisable."""

    micr: str | None
    routing: str | None
    account: str | None
    check_number: str | None
    amount_cents: int | None
    status: str
    reasons: list[str]
    confidence: float
    seconds: float
    engine: str | None = None
    confidences: list[float] = field(default_factory=list)
    field_confidence: dict[str, float] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    def to_dict(self, include_confidences: bool = True) -> MicrReading:
        """Plain JSON data; `confidences` (one per character of `micr`) lets a later step re-decide."""
        data: MicrReading = {
            "micr": self.micr,
            "routing": self.routing,
            "account": self.account,
            "check_number": self.check_number,
            "amount_cents": self.amount_cents,
            "status": self.status,
            "reasons": list(self.reasons),
            "confidence": round(self.confidence, 1),
            "field_confidence": {k: round(v, 1) for k, v in self.field_confidence.items()},
            "engine": self.engine,
            "seconds": round(self.seconds, 3),
        }
        if include_confidences:
            data["confidences"] = [round(c, 1) for c in self.confidences]
        return data


# Reasons found while reading that the line and its confidences alone cannot reproduce.
READING_REASONS = ("readings_disagree", "no_micr_line_found")


def decide_reading(
    micr: str | None,
    confidences: Sequence[float],
    declared_amount: str | float | int | None = None,
    engine: str = "e13b",
    reading_reasons: Sequence[str] = (),
) -> tuple[MicrFields | None, Decision]:
    """Re-decide a reading passed between actions (ocr-check -> parse-check), keeping its reading reasons.

    `micr`, `confidences`, `engine` and `reasons` are the fields of `CheckReading.to_dict()`.
    """
    fields = parse_micr_line(micr) if micr is not None else None
    decision = decide(fields, confidences, declared_amount, MIN_CONFIDENCE.get(engine, 90.0))
    carried = [r for r in reading_reasons if r in READING_REASONS and r not in decision.reasons]
    if carried:
        decision = Decision("needs_review", [*decision.reasons, *carried])
    return fields, decision


def load_image(source: str | Path | Image.Image) -> Image.Image:
    """Open and fully decode an image (EXIF orientation applied); raises CheckImageError with the cause."""
    if isinstance(source, Image.Image):
        return source
    path = Path(source)
    if not path.is_file():
        raise CheckImageError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CheckImageError(f"{path}: the file is empty")
    try:
        with Image.open(path) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise CheckImageError(f"{path}: {opened.width}x{opened.height} is over {MAX_PIXELS} pixels")
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise CheckImageError(f"{path}: not a readable image ({exc})") from exc
    except OSError as exc:
        raise CheckImageError(f"{path}: the image could not be decoded ({exc})") from exc
    return image


@dataclass(frozen=True)
class _Attempt:
    order: int
    band: Image.Image
    recognition: Recognition
    fields: MicrFields
    decision: Decision


def _decided(
    order: int,
    band: Image.Image,
    recognition: Recognition,
    declared_amount: str | float | int | None,
) -> _Attempt:
    fields = parse_micr_line(recognition.text)
    threshold = MIN_CONFIDENCE.get(recognition.engine, 90.0)
    decision = decide(fields, recognition.confidences, declared_amount, threshold)
    return _Attempt(order, band, recognition, fields, decision)


def _attempt(
    order: int,
    band: Image.Image,
    engine: str,
    declared_amount: str | float | int | None,
    tessdata: str | Path | None = None,
) -> _Attempt:
    return _decided(order, band, recognize_line(band, engine, "raw", tessdata=tessdata), declared_amount)


def _any_accepted(attempts: list[_Attempt]) -> bool:
    return any(a.decision.status == "accepted" for a in attempts)


def _verify(
    attempt: _Attempt, readings: Sequence[Recognition] | None = None, tessdata: str | Path | None = None
) -> _Attempt:
    """Confirm an accepted band by its verification readings (`readings`, else VERIFICATIONS read one at a
    time): the first reading that keeps routing, account and check number decides, accepted if they are the
    same, `readings_disagree` if not; when none keeps them all, nothing confirms the line: review too."""
    fields = attempt.fields
    wanted = (fields.routing, fields.account, fields.check_number)
    pending: Iterator[Recognition] = (
        iter(readings)
        if readings is not None
        else (recognize_line(attempt.band, engine, prep, tessdata=tessdata) for engine, prep in VERIFICATIONS)
    )
    for reading in pending:
        other = parse_micr_line(reading.text)
        got = (other.routing, other.account, other.check_number)
        if None in got:
            continue  # a reading that lost a symbol says nothing about the digits (e.g. a shrunk photo)
        if got == wanted:
            return attempt
        break
    decision = Decision("needs_review", [*attempt.decision.reasons, "readings_disagree"])
    return _Attempt(attempt.order, attempt.band, attempt.recognition, attempt.fields, decision)


def _certain(attempt: _Attempt) -> bool:
    """An accepted e13b reading so confident in every scored digit that it needs no verification."""
    if attempt.decision.status != "accepted" or attempt.recognition.engine != "e13b":
        return False
    scores = field_confidences(attempt.fields, attempt.recognition.confidences)
    return len(scores) == 3 and min(scores.values()) >= CERTAIN_CONFIDENCE


def _rank(attempt: _Attempt) -> tuple[int, int, int, int, float]:
    """Best first: accepted, parseable, the likelier band, the fewest reasons, the most confident."""
    return (
        0 if attempt.decision.status == "accepted" else 1,
        1 if "unparseable_line" in attempt.decision.reasons else 0,
        attempt.order,
        len(attempt.decision.reasons),
        -attempt.recognition.min_confidence(),
    )


def read_check(
    source: str | Path | Image.Image,
    declared_amount: str | float | int | None = None,
    *,
    tessdata: str | Path | None = None,
) -> CheckReading:
    """Read the MICR line of a check image (a path or a PIL image) and decide accepted / needs_review, with
    the MICR models in `tessdata` (default: `recognize.default_tessdata()`).

    Raises CheckImageError for a file that is missing or not an image, and recognize.ModelMissingError when
    the MICR models are not installed; every other outcome is a CheckReading.
    """
    started = time.perf_counter()
    image = load_image(source)
    # Each band is cut from the page when it is to be read (the first is nearly always the line).
    located = iter_micr_bands(image, max_bands=CANDIDATE_BANDS)
    bands = list(islice(located, 1))
    attempts: list[_Attempt] = []
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        if bands:
            # The best-ranked band is nearly always the line, and its reading is nearly always certain: it
            # is read alone, and its verification readings only when it is accepted but not certain.
            attempts.append(_attempt(0, bands[0].image, "e13b", declared_amount, tessdata))
        while bands and not _any_accepted(attempts):
            batch = list(enumerate(islice(located, PARALLEL_READS), len(bands)))
            if not batch:
                break
            bands += [band for _, band in batch]
            attempts += pool.map(
                lambda item: _attempt(item[0], item[1].image, "e13b", declared_amount, tessdata), batch
            )
    accepted = next((a for a in attempts if a.decision.status == "accepted"), None)
    if accepted is not None:
        if not _certain(accepted):
            attempts = [a for a in attempts if a is not accepted] + [_verify(accepted, tessdata=tessdata)]
    elif bands:
        # The legacy model reads some thin or outlined glyphs that the LSTM model does not.
        fallback = _attempt(0, bands[0].image, "mcr2", declared_amount, tessdata)
        if fallback.decision.status == "accepted":
            # e13b did not accept this band, so the fallback must still agree with the e13b readings.
            fallback = _verify(fallback, tessdata=tessdata)
        attempts.append(fallback)
    if not attempts:
        decision = decide(None)
        return CheckReading(
            None,
            None,
            None,
            None,
            None,
            decision.status,
            decision.reasons,
            0.0,
            time.perf_counter() - started,
        )
    best = min(attempts, key=_rank)
    fields, recognition = best.fields, best.recognition
    scores = field_confidences(fields, recognition.confidences)
    return CheckReading(
        micr=recognition.text,
        routing=fields.routing,
        account=fields.account,
        check_number=fields.check_number,
        amount_cents=fields.amount_cents,
        status=best.decision.status,
        reasons=best.decision.reasons,
        confidence=min(scores.values(), default=recognition.min_confidence()),
        seconds=time.perf_counter() - started,
        engine=recognition.engine,
        confidences=list(recognition.confidences),
        field_confidence=scores,
    )
