"""Finding the MICR line: rule removal, skew estimation, and the band found on drawn checks."""

from __future__ import annotations

import random

import numpy as np
import pytest
from openchecks.micr.locate import _long_runs, estimate_skew, find_micr_bands, flatten_lighting, remove_rules
from openchecks.micr.synth import draw_check, micr_line, random_routing
from PIL import Image, ImageDraw


def _long_runs_reference(ink: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros_like(ink)
    for x in range(ink.shape[1]):
        y = 0
        while y < ink.shape[0]:
            if not ink[y, x]:
                y += 1
                continue
            end = y
            while end < ink.shape[0] and ink[end, x]:
                end += 1
            if end - y >= length:
                out[y:end, x] = True
            y = end
    return out


def test_long_runs_match_a_plain_loop() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        ink = rng.random((int(rng.integers(1, 25)), int(rng.integers(1, 25)))) < 0.7
        length = int(rng.integers(2, 9))
        assert np.array_equal(_long_runs(ink, length, 0), _long_runs_reference(ink, length))
        assert np.array_equal(_long_runs(ink, length, 1), _long_runs_reference(ink.T, length).T)


def test_remove_rules_keeps_glyphs_and_drops_lines() -> None:
    ink = np.zeros((200, 400), dtype=bool)
    ink[100, 10:390] = True  # a payee rule
    ink[5:195, 3] = True  # a border
    ink[50:62, 100:108] = True  # a glyph
    cleaned = remove_rules(ink)
    assert not cleaned[100, 10:390].any()
    assert not cleaned[5:195, 3].any()
    assert cleaned[50:62, 100:108].all()


def test_flatten_lighting_evens_out_a_gradient() -> None:
    ramp = np.tile(np.linspace(90, 250, 300, dtype=np.float32), (120, 1))
    ramp[60:70, 50:60] *= 0.4  # dark ink on the dim side
    ramp[60:70, 250:260] *= 0.4  # and on the bright side
    flat = flatten_lighting(Image.fromarray(ramp.astype(np.uint8)))
    assert abs(float(flat[60:70, 50:60].mean()) - float(flat[60:70, 250:260].mean())) < 0.1
    assert float(flat[20:40, 20:280].mean()) > 0.9


@pytest.mark.parametrize("angle", [-4.5, -2.0, 0.0, 1.5, 4.0])
def test_estimate_skew_undoes_a_rotation(angle: float) -> None:
    page = Image.new("L", (800, 400), 0)
    draw = ImageDraw.Draw(page)
    for row in range(60, 360, 45):
        for x in range(60, 740, 22):
            draw.rectangle((x, row, x + 12, row + 16), fill=255)
    tilted = page.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
    assert estimate_skew(tilted) == pytest.approx(-angle, abs=0.3)


@pytest.mark.parametrize("angle", [-4.0, 0.0, 3.0])
def test_the_micr_band_ranks_first_on_a_drawn_check(angle: float) -> None:
    rng = random.Random(5)
    line = micr_line(rng, random_routing(rng), "12345678", "1001", None)
    check = draw_check(rng, line, "1001", "12.34", 200)
    frame = Image.new("RGB", (check.width + 300, check.height + 400), (70, 80, 90))
    frame.paste(check, (150, 120))
    bands = find_micr_bands(frame.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(70, 80, 90)))
    assert bands, "no candidate band"
    best = bands[0]
    assert best.angle == pytest.approx(-angle, abs=0.5)
    # The crop is scaled so the glyph row is ~22 px high, as the e13b model was trained.
    assert 35 <= best.image.height <= 60
    assert best.image.width > 8 * best.image.height


def test_a_blank_page_has_no_band() -> None:
    assert find_micr_bands(Image.new("RGB", (900, 400), (235, 235, 230))) == []


@pytest.mark.parametrize("reduce", [False, True])
def test_skew_scores_without_rotating_rank_angles_as_rotating_does(reduce: bool) -> None:
    from openchecks.micr.locate import _Ink, _profile_sharpness_rotated

    rng = np.random.default_rng(7)
    page = Image.new("L", (600, 300), 0)
    draw = ImageDraw.Draw(page)
    for row in range(30, 280, 37):
        for x in range(int(rng.integers(5, 40)), 590, 19):
            draw.rectangle((x, row, x + 10, row + 14), fill=255)
    mask = page.rotate(2.3, resample=Image.Resampling.NEAREST, fillcolor=0)
    if reduce:
        mask = mask.reduce(2)  # graded values: the scores weigh each pixel by its value
    angles = [float(a) for a in np.arange(-7.0, 7.01, 0.5)]
    ink = _Ink.of(mask)
    fast = np.array([ink.sharpness(a) for a in angles])
    slow = np.array([_profile_sharpness_rotated(mask, a) for a in angles])
    assert int(np.argmax(fast)) == int(np.argmax(slow))
    assert np.corrcoef(fast, slow)[0, 1] > 0.99


def test_an_empty_mask_scores_zero() -> None:
    from openchecks.micr.locate import _Ink

    assert _Ink.of(Image.new("L", (50, 20), 0)).sharpness(3.0) == 0.0
