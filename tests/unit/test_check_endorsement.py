"""openchecks.check.endorsement: phrase matching with OCR noise, and backs drawn by check.back read with the
real Tesseract (skipped with a message when Tesseract, its `eng` model or the fonts are missing)."""

from __future__ import annotations

import random
import shutil
import subprocess

import pytest
from openchecks.check import endorsement
from openchecks.check.back import available_fonts, draw_back
from openchecks.check.endorsement import (
    DEFAULT_PHRASES,
    best_phrase,
    find_payee_areas,
    find_phrase,
    read_endorsement,
)
from PIL import Image, ImageDraw

pytestmark = pytest.mark.unit

MOBILE = "For mobile deposit only"


@pytest.mark.parametrize(
    "text",
    [
        "F0R M0BILE DEP0SIT 0NLY",
        "for mobile deposlt only",
        "FOR MOBILE DEPOSIT\nONLY",
        "x Jane Doe\nFer Mebile Depesit Only",
        "ENDORSE HERE\nJane Doe\nFor Mobile Deposit Only at Example Bank",
        "for mobile de posit on1y",
    ],
)
def test_restrictive_phrase_read_with_ocr_noise_is_found(text: str) -> None:
    match = find_phrase(MOBILE, text)
    assert match.found, match
    # The span is the phrase as read, not the whole text around it.
    span = text[match.start : match.end]
    assert span[0].lower() in "f" and span[-1].lower() in "yv", span


@pytest.mark.parametrize(
    "text",
    [
        "for deposit",
        "For deposit only",
        "Pay to the order of Jane Doe",
        "for mobile",
        "Jane Doe",
        "",
        "mobile deposit",
        "DO NOT WRITE, STAMP OR SIGN BELOW THIS LINE",
    ],
)
def test_near_misses_are_not_restrictive(text: str) -> None:
    assert not find_phrase(MOBILE, text).found


def test_a_word_is_not_matched_across_a_line_break() -> None:
    # "remote" must not be made of the signature's last letter and the next line's "For".
    assert not find_phrase("For remote deposit only", "x WetChore\nFor deposit only").found
    assert find_phrase(MOBILE, "FOR MOBILE DEPOSIT\nONLY").found


def test_the_bank_phrase_from_configuration_is_matched_with_its_name() -> None:
    bank = "For mobile deposit only at Example Bank"
    assert find_phrase(bank, "for mobile dep0sit only at examp1e bank").found
    assert find_phrase(bank, "FOR MOBILE DEPOSIT ONLY\nAT EXAMPLE BANK").found
    # The phrase without the bank's name, or another bank's name, is not the bank's phrase.
    assert not find_phrase(bank, "For mobile deposit only").found
    assert not find_phrase(bank, "For mobile deposit only at Other Credit Union").found


def test_a_missing_word_of_a_long_phrase_is_not_an_ocr_error() -> None:
    bank = "For mobile deposit only at Example Bank"
    # Six letters short of 33 would pass a plain error rate; the whole word "mobile" is missing.
    assert not find_phrase(bank, "For deposit only at Example Bank").found


def test_account_digits_in_a_phrase_must_be_read_exactly() -> None:
    phrase = "For deposit only to account 1234"
    assert find_phrase(phrase, "for deposit only to account 1234").found
    assert find_phrase(phrase, "For dep0sit only to acc0unt l234").found  # l for 1 is a lookalike
    assert not find_phrase(phrase, "for deposit only to account 1284").found
    assert not find_phrase(phrase, "for deposit only to account").found


def test_best_phrase_prefers_the_one_found() -> None:
    match = best_phrase(["For remote deposit only", MOBILE], "for mobile deposit only")
    assert match is not None and match.found and match.phrase == MOBILE
    assert best_phrase([], "anything") is None
    assert best_phrase(["  "], "anything") is None


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (0, 0)),
        Image.new("RGB", (12, 8), "white"),
        Image.new("RGB", (1200, 550), "white"),
        Image.new("L", (1200, 550), 0),
        Image.new("1", (1200, 550), 1),
        Image.new("RGBA", (550, 1200), (255, 255, 255, 0)),
        Image.new("I;16", (1200, 550), 40000),
    ],
    ids=["empty", "tiny", "white", "black", "bitonal", "rgba-portrait", "16-bit"],
)
def test_images_with_nothing_on_them_give_present_false(image: Image.Image) -> None:
    got = read_endorsement(image, 200, DEFAULT_PHRASES)
    assert got["present"] is False and got["restrictive"] is False
    assert set(got) == {"present", "restrictive", "text", "confidence"}
    assert 0.0 <= got["confidence"] <= 1.0


def test_a_nonsense_dpi_gives_present_false_or_is_corrected() -> None:
    white = Image.new("RGB", (1200, 550), "white")
    assert read_endorsement(white, 0, DEFAULT_PHRASES)["present"] is False
    assert read_endorsement(white, 10_000, DEFAULT_PHRASES)["present"] is False


def _ink_back(lines: int = 1) -> Image.Image:
    """A back with writing lines and `lines` lines of strokes in the payee's area (OCR faked)."""
    back = Image.new("L", (1200, 550), 255)
    draw = ImageDraw.Draw(back)
    for x in (110, 170, 230, 300):
        draw.line((x, 40, x, 510), fill=40, width=2)
    for y in range(120, 420, 40):
        for x0 in (140, 200)[:lines]:
            draw.line((x0, y, x0 + 20, y + 25), fill=30, width=3)
    return back


@pytest.mark.parametrize(
    ("reads", "calls", "restrictive"),
    [
        (["", "For mobile deposit only"], 2, True),  # nothing read where there is ink: try again
        (["Jane Doe", "For mobile deposit only"], 1, False),  # a signature: no phrase to chase
        (["For mobile dep", "xx", "For mobile deposit only"], 3, True),  # a near miss: the next passes
        (["For deposit only", "For deposit only", "For deposit only"], 3, False),
        (["Jane Doe", "For mobile deposit only"], 2, True),  # two lines of ink, one read: try again
    ],
)
def test_passes_stop_when_the_text_is_nothing_like_a_phrase(
    monkeypatch: pytest.MonkeyPatch, reads: list[str], calls: int, restrictive: bool
) -> None:
    seen: list[int] = []

    def fake_ocr(image: Image.Image, tessdata: str | None, psm: int) -> tuple[str, float]:
        seen.append(psm)
        return reads[len(seen) - 1], 0.9

    monkeypatch.setattr(endorsement, "_ocr", fake_ocr)
    got = read_endorsement(_ink_back(2 if calls == 2 and reads[0] else 1), 200, DEFAULT_PHRASES)
    assert got["present"] is True
    assert len(seen) == calls and got["restrictive"] is restrictive


def test_a_tesseract_timeout_is_a_back_for_review_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def timing_out(image: Image.Image, tessdata: str | None, psm: int) -> tuple[str, float]:
        raise RuntimeError("Tesseract process timeout")

    monkeypatch.setattr(endorsement, "_ocr", timing_out)
    got = read_endorsement(_ink_back(), 200, DEFAULT_PHRASES)
    assert got == {"present": True, "restrictive": False, "text": "", "confidence": 0.0}


# --- drawn backs, read with the real Tesseract ----------------------------------------------------------


def _tesseract_eng() -> bool:
    if shutil.which("tesseract") is None:
        return False
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    return "eng" in (out.stdout + out.stderr).split()


needs_tesseract = pytest.mark.skipif(
    not _tesseract_eng(), reason="needs Tesseract with its eng model (apt-get install tesseract-ocr)"
)
needs_fonts = pytest.mark.skipif(
    not (available_fonts("printed", "tuning") and available_fonts("handwritten", "tuning")),
    reason="needs the fonts in infra/apt-dev-packages.txt (apt-get install them)",
)
PRINTED = "truetype/dejavu/DejaVuSans.ttf"


def _back(seed: int, **kw: object) -> Image.Image:
    options: dict[str, object] = {"endorsement": None, "style": "printed", "payee": None}
    options.update(kw)
    return draw_back(random.Random(seed), **options)  # type: ignore[arg-type]


@needs_fonts
@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_the_payee_area_is_found_at_any_quarter_turn(turn: int) -> None:
    back = _back(3, endorsement=MOBILE, payee="Jane Doe", font=PRINTED).rotate(turn, expand=True)
    areas = find_payee_areas(back, 200)
    assert len(areas) == 1 and areas[0].sure
    # Upright: the caption "ENDORSE HERE" is at the top, the writing below it, the rule ends the area.
    assert 1.4 * 200 <= areas[0].rule <= 1.65 * 200
    assert areas[0].ink[: round(0.27 * 200)].sum() > 0


@needs_tesseract
@needs_fonts
@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_a_printed_restrictive_endorsement_is_read_at_any_quarter_turn(turn: int) -> None:
    back = _back(5, endorsement="For Mobile Deposit Only", payee="Jane Q. Doe", font=PRINTED)
    got = read_endorsement(back.rotate(turn, expand=True), 200, DEFAULT_PHRASES)
    assert got["present"] and got["restrictive"], got
    assert "mobile" in got["text"].lower()
    assert got["confidence"] > 0.5


@needs_tesseract
@needs_fonts
@pytest.mark.parametrize(("dpi", "given"), [(300, 300), (400, 400), (200, 0)], ids=["300", "400", "bad-dpi"])
def test_other_resolutions_and_a_wrong_dpi(dpi: int, given: int) -> None:
    back = _back(6, endorsement="For Mobile Deposit Only", payee="Jane Doe", font=PRINTED, dpi=dpi)
    got = read_endorsement(back, given or 1000, DEFAULT_PHRASES)
    assert got["present"] and got["restrictive"], got


@needs_tesseract
@needs_fonts
def test_handwritten_restrictive_endorsements_are_mostly_found() -> None:
    # Handwriting is read less surely than print (bench/ocr_endorse.py measures the rate): three of four.
    fonts = available_fonts("handwritten", "tuning")
    found = 0
    for seed in range(4):
        back = _back(
            20 + seed,
            endorsement="For Mobile Deposit Only",
            style="handwritten",
            font=fonts[seed % len(fonts)],
            size_in=((6, 2.75), (8.5, 3.67))[seed % 2],
        )
        got = read_endorsement(back.rotate(180 * (seed % 2)), 200, DEFAULT_PHRASES)
        assert got["present"], got
        found += got["restrictive"]
    assert found >= 3


@needs_tesseract
@needs_fonts
@pytest.mark.parametrize(
    ("endorsement", "payee", "present"),
    [
        (None, "Maria Garcia", True),
        ("Pay to the order of Jane Doe", "John Smith", True),
        ("For deposit only", "Wei Chen", True),
        (None, None, False),
    ],
    ids=["signature-only", "pay-to-the-order-of", "for-deposit-only", "blank"],
)
def test_backs_without_a_restrictive_endorsement(
    endorsement: str | None, payee: str | None, present: bool
) -> None:
    back = _back(11, endorsement=endorsement, payee=payee, font=PRINTED, stamp=True)
    got = read_endorsement(back.rotate(90, expand=True), 200, DEFAULT_PHRASES)
    assert got["restrictive"] is False, got
    assert got["present"] is present, got


@needs_tesseract
@needs_fonts
def test_the_bank_phrase_from_configuration_on_a_drawn_back() -> None:
    back = _back(13, endorsement="For mobile deposit only at Example Bank", payee="Jane Doe", font=PRINTED)
    assert read_endorsement(back, 200, ["For mobile deposit only at Example Bank"])["restrictive"]
    assert not read_endorsement(back, 200, ["For mobile deposit only at Other Credit Union"])["restrictive"]
    # An empty configuration falls back to the default phrases.
    assert read_endorsement(back, 200, [])["restrictive"]


@needs_tesseract
@needs_fonts
@pytest.mark.parametrize("seed", [1003, 1007])
def test_a_thin_typed_endorsement_photographed_is_read(seed: int) -> None:
    """A fine typewriter face photographed hand-held keeps only the cores of its strokes above the ink
    contrast (the text came out "Jordate- Soret" with the writing broken up): OCR sees the faint ink too."""
    import io

    from openchecks.check import geometry

    from tests.fixtures.checks import synthetic_check

    check = synthetic_check(seed)
    with Image.open(io.BytesIO(check.back)) as opened:
        back = geometry.straighten(opened.convert("RGB"), 200, geometry.PERSONAL_IN)
    found = read_endorsement(back.image, 200, DEFAULT_PHRASES)
    assert found["present"] and found["restrictive"], found
    area = find_payee_areas(back.image, 200)[0]
    # What OCR is shown still has no printed writing line in it and no microprint: paper is white.
    assert (endorsement.np.asarray(area.image) == 255).mean() > 0.9
