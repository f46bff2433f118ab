"""openchecks.check.back: synthetic check backs at the check's real size, with the payee's area at the
trailing edge (skipped with a message when the fonts in infra/apt-dev-packages.txt are missing)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from openchecks.check.back import (
    HANDWRITING_FONTS,
    PRINTED_FONTS,
    FontMissingError,
    available_fonts,
    draw_back,
)
from PIL import Image

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(
        not (available_fonts("printed") and available_fonts("handwritten")),
        reason="needs the fonts in infra/apt-dev-packages.txt (apt-get install them)",
    ),
]
MOBILE = "For mobile deposit only"


def _dark_columns(back: Image.Image) -> np.ndarray:
    """Per column, the share of the height that is dark: printed lines across the short side show as ~0.8."""
    gray = np.asarray(back.convert("L"), dtype=np.int16)
    return (gray < 150).mean(axis=0)


def _line_count(share: np.ndarray) -> int:
    hits = np.flatnonzero(share > 0.55)
    return 0 if hits.size == 0 else 1 + int((np.diff(hits) > 3).sum())


@pytest.mark.parametrize(
    ("size_in", "dpi", "pixels"),
    [((6, 2.75), 200, (1200, 550)), ((8.5, 3.67), 200, (1700, 734)), ((6, 2.75), 300, (1800, 825))],
)
def test_the_back_has_the_checks_real_size_in_landscape(
    size_in: tuple[float, float], dpi: int, pixels: tuple[int, int]
) -> None:
    back = draw_back(
        random.Random(1), endorsement=MOBILE, style="printed", payee="Jane Doe", size_in=size_in, dpi=dpi
    )
    assert back.mode == "RGB" and back.size == pixels


def test_the_payee_area_is_at_the_trailing_edge_above_the_rule() -> None:
    dpi = 200
    back = draw_back(random.Random(2), endorsement=None, style="printed", payee=None, dpi=dpi)
    share = _dark_columns(back)
    # Writing lines and the "do not write below this line" rule within 1.65 in of the left end...
    assert _line_count(share[: round(1.65 * dpi)]) >= 4
    # ...and at the other end at most the security box's two edges.
    assert _line_count(share[-round(1.65 * dpi) :]) <= 2


def test_writing_goes_in_the_payee_area_and_a_stamp_below_the_rule() -> None:
    dpi = 200
    blank = draw_back(random.Random(3), endorsement=None, style="handwritten", payee=None)
    endorsed = draw_back(random.Random(3), endorsement=MOBILE, style="handwritten", payee="Jane Doe")
    stamped = draw_back(random.Random(3), endorsement=None, style="handwritten", payee=None, stamp=True)

    def dark(image: Image.Image, x0: float, x1: float) -> int:
        # Darker than the paper and its faint microprint, whatever the ink's colour.
        gray = np.asarray(image.convert("L"))[:, round(x0 * dpi) : round(x1 * dpi)]
        return int((gray < 185).sum())

    # Ink added between the caption and the rule (columns 0.3 to 1.4 in from the trailing edge).
    assert dark(endorsed, 0.3, 1.4) > dark(blank, 0.3, 1.4) + 2000
    # The bank's stamp lands past the rule, never in the payee's area.
    assert dark(stamped, 0.0, 1.6) < dark(blank, 0.0, 1.6) + 200
    assert dark(stamped, 1.7, 4.8) > dark(blank, 1.7, 4.8) + 300


def test_the_same_seed_draws_the_same_back() -> None:
    a = draw_back(random.Random(7), endorsement=MOBILE, style="handwritten", payee="Wei Chen")
    b = draw_back(random.Random(7), endorsement=MOBILE, style="handwritten", payee="Wei Chen")
    c = draw_back(random.Random(8), endorsement=MOBILE, style="handwritten", payee="Wei Chen")
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_a_long_endorsement_wraps_and_keeps_all_its_words() -> None:
    # Every word is drawn or it is an error: the benchmark's truth is the text given, not what fitted.
    text = "For mobile deposit only at First Example Bank of the Northern Territories"
    font = "truetype/dejavu/DejaVuSans.ttf"
    back = draw_back(random.Random(4), endorsement=text, style="printed", payee="Jane Doe", font=font)
    assert back.size == (1200, 550)
    with pytest.raises(ValueError, match="does not fit"):
        draw_back(random.Random(4), endorsement=text * 8, style="printed", payee="Jane Doe", font=font)


def test_tuning_and_held_out_fonts_do_not_overlap() -> None:
    for table in (HANDWRITING_FONTS, PRINTED_FONTS):
        assert not set(table["tuning"]) & set(table["held_out"])
    assert set(available_fonts("handwritten", "tuning")) <= set(HANDWRITING_FONTS["tuning"])


def test_a_missing_font_is_a_clear_error() -> None:
    with pytest.raises(FontMissingError, match="apt-dev-packages"):
        draw_back(random.Random(1), endorsement=MOBILE, style="printed", payee=None, font="/no/font.ttf")
