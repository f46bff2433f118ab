"""Finding and straightening the check: rendered photos, a cropped scan, bad input, the real checks."""

from __future__ import annotations

import io
import json
import random

import numpy as np
import pytest
from openchecks.check import geometry, photo
from PIL import Image

from tests.conftest import require_shared_data

pytestmark = pytest.mark.unit


def _corner_error(found: geometry.Straightened, truth: photo.Corners) -> float:
    assert found.corners is not None
    width = float(np.linalg.norm(np.subtract(truth[1], truth[0])))
    return (
        max(float(np.linalg.norm(np.subtract(a, b))) for a, b in zip(found.corners, truth, strict=True))
        / width
    )


@pytest.fixture(scope="module")
def rendered() -> list[photo.Rendered]:
    out = []
    for seed in range(3):
        rng = random.Random(900 + seed)
        check, _ = photo.flat_check(rng)
        out.append(photo.render(check, rng))
    return out


def test_corners_found_on_rendered_photos(rendered: list[photo.Rendered]) -> None:
    for shot in rendered:
        found = geometry.straighten(shot.image)
        assert found.found and not found.scan
        assert _corner_error(found, shot.corners) <= 0.02
        assert found.size_in == geometry.PERSONAL_IN
        assert found.image.size == (1200, 550)
        assert found.image.mode == "RGB"
        # The photo's resolution over the check: its width in pixels (top and bottom edge) over 6 inches.
        c = shot.corners
        width = (np.linalg.norm(np.subtract(c[1], c[0])) + np.linalg.norm(np.subtract(c[2], c[3]))) / 2
        assert found.source_dpi == pytest.approx(width / 6.0, rel=0.03)


def test_rotation_is_measured_and_240_dpi_is_an_option() -> None:
    rng = random.Random(77)
    check, _ = photo.flat_check(rng)
    shot = photo.render(check, rng, angle=9.0, tilt=0.0)
    found = geometry.straighten(shot.image, dpi=240)
    assert found.skew_degrees == pytest.approx(9.0, abs=1.0)
    assert found.image.size == (1440, 660) and found.dpi == 240


def test_straightened_check_is_the_check() -> None:
    """The warped image matches the flat original (paper where paper was, ink where ink was)."""
    rng = random.Random(5)
    check, _ = photo.flat_check(rng)
    shot = photo.render(check, rng, angle=-7.0, blur=0.3, noise=1.0, jpeg_quality=92)
    found = geometry.straighten(shot.image)
    a = np.asarray(found.image.convert("L").resize((300, 137)), dtype=np.float32)
    b = np.asarray(check.convert("L").resize((300, 137)), dtype=np.float32)
    corr = np.corrcoef(a.ravel(), b.ravel())[0, 1]
    # Off by 3% of the width the same pictures hardly correlate: the test tells a good warp from a near miss.
    shifted = np.corrcoef(a[:, 9:].ravel(), b[:, :-9].ravel())[0, 1]
    assert corr > 0.6 and corr > shifted + 0.2


def test_business_check_size_chosen_by_aspect_ratio() -> None:
    rng = random.Random(3)
    check, _ = photo.flat_check(rng)
    # A business check at 200 dpi: the same printing (MICR glyphs 0.117" tall) on a larger sheet.
    wide = Image.new("RGB", (1700, 734), check.getpixel((3, 3)))
    wide.paste(check, (0, 734 - check.height))
    shot = photo.render(wide, rng, angle=4.0)
    found = geometry.straighten(shot.image)
    assert found.found and found.size_in == geometry.BUSINESS_IN
    assert found.image.size == (1700, 734)


def test_cropped_scan_is_recognised_and_deskewed() -> None:
    rng = random.Random(8)
    check, _ = photo.flat_check(rng)
    tilted = check.rotate(2.0, resample=Image.Resampling.BICUBIC, fillcolor=check.getpixel((5, 5)))
    found = geometry.straighten(tilted)
    assert found.scan and found.found
    assert found.skew_degrees == pytest.approx(2.0, abs=0.5)
    assert found.image.size == (1200, 550)
    assert found.source_dpi == pytest.approx(200, rel=0.02)


def test_no_check_falls_back_to_the_whole_photo() -> None:
    rng = random.Random(1)
    table = Image.fromarray(np.clip(photo.background(rng, 800, 600, "stone"), 0, 255).astype(np.uint8))
    found = geometry.straighten(table)
    assert not found.found and found.corners is None
    # Scaled by the guess that the check spans most of the width.
    assert found.source_dpi == pytest.approx(0.9 * 800 / 6)
    assert found.image.width == round(800 * 200 / found.source_dpi)


@pytest.mark.parametrize(
    "size,mode",
    [
        ((1, 1), "RGB"),
        ((3, 2), "L"),
        ((20, 15), "RGB"),
        ((4000, 3), "RGB"),
        ((3, 4000), "L"),
        ((640, 480), "L"),
    ],
)
def test_bad_input_gives_a_clean_result(size: tuple[int, int], mode: str) -> None:
    for image in (Image.new(mode, size, 128), Image.new(mode, size, 0)):
        found = geometry.straighten(image)
        assert isinstance(found, geometry.Straightened)
        assert found.image.mode == "RGB" and found.image.width >= 1


def test_other_modes_are_accepted() -> None:
    rng = random.Random(12)
    check, _ = photo.flat_check(rng)
    shot = photo.render(check, rng)
    for mode in ("L", "RGBA", "P"):
        found = geometry.straighten(shot.image.convert(mode))
        assert found.found, mode


def test_bad_dpi_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="dpi"):
        geometry.straighten(Image.new("RGB", (100, 100)), dpi=0)
    with pytest.raises(ValueError, match="size_in"):
        geometry.straighten(Image.new("RGB", (100, 100)), size_in=(5.0, 2.0))


def test_a_white_back_takes_the_size_it_is_given() -> None:
    """Synthetic seed 5's back (a plain white back at an angle) has an outline nearer a business check's
    aspect ratio: guessed alone it is scaled as 8.5" wide and measures under 150 dpi; given the front's
    personal size it is the 6" check it is, at its real resolution."""
    from tests.fixtures.checks import synthetic_check

    check = synthetic_check(5)
    with Image.open(io.BytesIO(check.back)) as opened:
        back = opened.convert("RGB")
    with Image.open(io.BytesIO(check.front)) as opened:
        front = geometry.straighten(opened.convert("RGB"))
    assert front.found and front.size_in == geometry.PERSONAL_IN
    guessed = geometry.straighten(back)
    assert guessed.size_in == geometry.BUSINESS_IN and guessed.source_dpi < 150  # the known mistake
    given = geometry.straighten(back, size_in=front.size_in)
    assert given.found and given.size_in == geometry.PERSONAL_IN and given.image.size == (1200, 550)
    assert given.source_dpi == pytest.approx(guessed.source_dpi * 8.5 / 6.0, rel=0.01)
    assert given.source_dpi >= 150 and given.corners == guessed.corners
    # Every path honours the size: no outline found (the whole frame) and a scan.
    plain = geometry.straighten(Image.new("RGB", (900, 700), (90, 90, 90)), size_in=geometry.BUSINESS_IN)
    assert not plain.found and plain.size_in == geometry.BUSINESS_IN
    scan = geometry.straighten(Image.new("RGB", (1200, 550), (245, 245, 240)), size_in=geometry.BUSINESS_IN)
    assert scan.size_in == geometry.BUSINESS_IN


SCANS = ("silesia-1278.png", "stock-annotated-2815.jpg", "wells-cashiers.jpg", "singapore-cheque.jpg")


@pytest.mark.needs_shared
@pytest.mark.parametrize("name", SCANS)
def test_real_scans_straighten_to_the_check(name: str) -> None:
    data = require_shared_data() / "checks"
    assert name in json.loads((data / "truth.json").read_text())
    with Image.open(data / name) as opened:
        image = opened.convert("RGB")
    found = geometry.straighten(image)
    assert found.scan, "a check cropped to its edges is a scan"
    assert abs(found.skew_degrees) < 2
    want = found.size_in[0] / found.size_in[1]
    assert found.image.width / found.image.height == pytest.approx(want, rel=0.01)
    if name != "singapore-cheque.jpg":  # a non-US cheque, cropped closer than its edges
        assert abs(image.width / image.height - want) < 0.2


def test_micr_glyph_height_is_the_ruler() -> None:
    """E-13B glyphs are 0.117" tall: measured on a flat check at its true scale and at a business scale."""
    check, _ = photo.flat_check(random.Random(21))
    arr = np.asarray(check)
    ratio = geometry.micr_glyph_ratio(arr, 200)
    assert ratio is not None and ratio == pytest.approx(1.0, abs=0.12)
    # The same check stretched to 8.5 x 3.67 in at 200 dpi shows glyphs 1.33x too tall; shrunk, 0.71x.
    shrunk = np.asarray(check.resize((round(1200 * 6 / 8.5), round(550 * 6 / 8.5))))
    small_ratio = geometry.micr_glyph_ratio(shrunk, 200)
    assert small_ratio is not None and small_ratio == pytest.approx(6 / 8.5, abs=0.1)
    assert geometry.micr_glyph_ratio(np.full((550, 1200), 230, np.uint8), 200) is None


def test_render_keeps_the_check_in_the_frame() -> None:
    rng = random.Random(31)
    check, _ = photo.flat_check(rng)
    for kind in photo.BACKGROUNDS:
        shot = photo.render(
            check, rng, background_kind=kind, width=800, height=600, angle=rng.uniform(-40, 40)
        )
        assert shot.image.size == (800, 600) and shot.image.mode == "RGB"
        for x, y in shot.corners:
            assert 0 <= x <= 800 and 0 <= y <= 600


@pytest.mark.parametrize("seed", [1000, 1025])
def test_the_straightened_checks_rim_is_paper_not_table(seed: int) -> None:
    """Corners found a pixel outside the check left a dark line of table along the straightened edge, which
    the MICR reader read as symbols before the line (auxiliary_on_us_format_invalid): the rim takes the
    paper just inside it."""
    from tests.fixtures.checks import synthetic_check

    with Image.open(io.BytesIO(synthetic_check(seed).front)) as opened:
        found = geometry.straighten(opened.convert("RGB"))
    assert found.found
    grey = np.asarray(found.image.convert("L"), dtype=np.int16)
    inner = 6  # pixels: past any rim
    for edge, inside in (
        (grey[:, 0], grey[:, inner]),
        (grey[:, -1], grey[:, -1 - inner]),
        (grey[0], grey[inner]),
        (grey[-1], grey[-1 - inner]),
    ):
        assert abs(float(edge.mean()) - float(inside.mean())) < 8
