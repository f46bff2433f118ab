"""The legal amount in words, the courtesy figures, the vote: pure functions, no Tesseract."""

from __future__ import annotations

import random

import numpy as np
import pytest
from openchecks.check.amount import (
    AGREE_MARGIN,
    Candidate,
    best_courtesy,
    courtesy_candidate,
    courtesy_hypotheses,
    joint_reading,
    parse_figures,
    spelt_better,
    vote,
)
from openchecks.check.amount_glyphs import GlyphRead, beam, components, remove_rules, segment
from openchecks.check.words import amount_to_words, number_words, parse_legal

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("one thousand forty-two and 00/100", 104200),
        ("Two hundred and 5/100 dollars", 20005),
        ("One thousand and forthy two dollars", 104200),  # the real silesia-1278 check, misspelt
        ("ONE THOUSAND F0RTY-TWO AND 00/100 DOLLARS", 104200),  # OCR read an O as a zero
        ("Seventy-five and xx/100", 7500),
        ("Fourty  four and 44/100 -----", 4444),
        ("Twelve Thousand Three Hundred Forty Five and 67/1OO Dollars", 1234567),
        ("nine hundred ninety-nine thousand nine hundred ninety-nine and 99/100", 99999999),
        ("Eleven and no/100", 1100),
        ("one milion two hundred and 00/100", 100020000),
    ],
)
def test_legal_words_to_cents(text: str, cents: int) -> None:
    parsed = parse_legal(text)
    assert parsed is not None, text
    assert parsed.cents == cents


@pytest.mark.parametrize(
    "text",
    ["", "DOLLARS", "twenty thirty and 00/100", "two three", "hundred thousand", "and 00/100 dollars"],
)
def test_words_that_are_not_one_number(text: str) -> None:
    assert parse_legal(text) is None


def test_a_word_lost_in_noise_costs_quality() -> None:
    clean = parse_legal("One thousand forty-two and 00/100")
    noisy = parse_legal("One thousand ~%# rty-two and 00/100")
    assert clean is not None and clean.quality == 1.0
    assert noisy is not None and noisy.quality < 0.5  # "forty" is gone: the number is not to be trusted


def test_words_round_trip_for_many_amounts() -> None:
    rng = random.Random(3)
    for _ in range(500):
        cents = rng.randint(0, 99_999_999)
        for text in (amount_to_words(cents), amount_to_words(cents, rng)):
            parsed = parse_legal(text)
            assert parsed is not None and parsed.cents == cents, (cents, text)
            assert parsed.quality == 1.0
    assert number_words(1042) == "one thousand forty-two"
    assert amount_to_words(20005) == "Two hundred and 05/100"
    with pytest.raises(ValueError):
        number_words(-1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,042.00", (104200, True)),
        ("**1,042.00", (104200, True)),
        ("1042-00", (104200, True)),
        ("1042.00-", (104200, True)),
        ("7.5", None),
        ("1,042", (104200, False)),
        ("1042", (104200, False)),
        ("1,04,2.00", None),
        ("10a2.00", None),
        ("", None),
        ("42 00/100", (4200, True)),
    ],
)
def test_courtesy_figures(text: str, expected: tuple[int, bool] | None) -> None:
    assert parse_figures(text) == expected


def test_tesseract_letters_that_look_like_digits() -> None:
    assert courtesy_candidate([("1O42.OO", 0.9)]).cents == 104200
    mapped, clean = courtesy_candidate([("1O42.OO", 0.9)]), courtesy_candidate([("1042.00", 0.9)])
    assert mapped.confidence < clean.confidence
    assert courtesy_candidate([("Anna", 0.9)]).cents is None


def test_vote_agreement_reads_the_amount() -> None:
    assert vote(104200, 0.5, 104200, 0.4) == (104200, "both", pytest.approx(1 - 0.5 * 0.6))
    # Two weak readings that agree are read only from AGREE_MIN up (0.5: 1 - 0.7 x 0.8 = 0.44 is not).
    assert vote(104200, 0.3, 104200, 0.2)[:2] == (None, None)
    assert vote(104200, 0.3, 104200, 0.2, agree_min=0.4) == (104200, "both", pytest.approx(0.44))


def test_vote_one_reading_counts_only_above_its_threshold() -> None:
    assert vote(104200, 0.95, None, 0.0, 0.9, 0.9) == (104200, "courtesy", 0.95)
    assert vote(None, 0.0, 104200, 0.95, 0.9, 0.9) == (104200, "legal", 0.95)
    assert vote(104200, 0.85, None, 0.0, 0.9, 0.9)[0] is None
    assert vote(None, 0.0, 104200, 0.5, 0.9, 0.9)[0] is None
    assert vote(None, 0.0, None, 0.0)[:2] == (None, None)


def test_vote_disagreement() -> None:
    # The confident side wins over a weak other side ...
    assert vote(104200, 0.95, 104300, 0.4, 0.9, 0.9) == (104200, "courtesy", 0.95)
    assert vote(104200, 0.4, 104300, 0.95, 0.9, 0.9) == (104300, "legal", 0.95)
    # ... two confident readings that disagree read nothing, and two weak ones neither.
    assert vote(104200, 0.95, 104300, 0.95, 0.9, 0.9)[0] is None
    assert vote(104200, 0.5, 104300, 0.5, 0.9, 0.9)[0] is None


def test_courtesy_hypotheses_and_the_best_of_them() -> None:
    glyphs = GlyphRead("907.04", (0.6, 1, 1, 1, 1, 1), (("907.04", 0.6), ("607.04", 0.3), ("9O7", 0.1)))
    scores = courtesy_hypotheses(Candidate(90704, 0.5, "907.04", "tesseract"), glyphs)
    assert scores == {90704: pytest.approx(1 - 0.4 * 0.5), 60704: pytest.approx(0.3)}
    best = best_courtesy(scores, Candidate(90704, 0.5, "907.04", "tesseract"))
    assert best.cents == 90704 and best.confidence == pytest.approx(0.8 * 0.7)  # 607.04 is a real doubt
    # The legal line spelling "six hundred seven" picks the second reading of the figures.
    joint = joint_reading("Six hundred seuen and 04/100", scores, None)
    assert joint is not None and joint[0] == 60704 and joint[1] > 0.5
    assert best_courtesy(scores, Candidate(90704, 0.5, "", "t"), prefer=60704).cents == 60704
    assert joint_reading("~~~ ###", scores, None) is None  # no words to weigh
    # Words that spell a near miss the figures never offered ("six hundred eight") leave no amount sure.
    doubt = joint_reading("Six hundred eight and 04/100", scores, None)
    assert doubt is not None and (doubt[0] not in scores or doubt[1] < 0.5)
    assert best_courtesy({}, Candidate(None, 0.0, "", "")).cents is None


def test_segmentation_finds_glyphs_and_drops_rules() -> None:
    mask = np.zeros((40, 200), dtype=bool)
    mask[5, :] = True  # the box's top edge
    mask[35, :] = True  # and its bottom edge
    mask[5:30, 20:24] = True  # a "1" touching the top edge
    mask[10:30, 40:52] = True  # a blob
    mask[10:14, 60:70] = True  # a bar over ...
    mask[16:30, 60:64] = True  # ... a stem: one glyph (they overlap in x)
    mask[27:30, 80:83] = True  # a dot
    assert len(components(mask)) == 6  # the "1" is one component with the top edge
    glyphs = segment(remove_rules(mask, 200))
    assert [(g.x0, g.x1) for g in glyphs] == [(20, 24), (40, 52), (60, 70), (80, 83)]
    assert glyphs[0].y1 == 30 and glyphs[0].y0 <= 8


def test_beam_keeps_the_most_probable_strings() -> None:
    columns = [[("1", 0.9), ("7", 0.1)], [(".", 1.0)], [("0", 0.6), ("6", 0.4)]]
    assert beam(columns, width=3) == [
        ("1.0", pytest.approx(0.54)),
        ("1.6", pytest.approx(0.36)),
        ("7.0", pytest.approx(0.06)),
    ]


def test_near_misses_of_an_amount() -> None:
    from openchecks.check.amount import neighbours

    near = neighbours(104200)
    assert {4200, 14200, 1104200, 904200, 104300, 1004200} <= near  # dropped, changed, added digits
    assert 104200 not in near and all(c % 100 == 0 for c in near)
    assert neighbours(7) >= {10_07, 2_07} and 0 in neighbours(500)  # $0.07 -> $10.07, $2.07; $5 -> $0


def test_fraction_and_contradiction() -> None:
    from openchecks.check.amount import contradicts
    from openchecks.check.words import fraction_cents

    assert fraction_cents("One and 42/100") == 42
    assert fraction_cents("Ten and xx/100 dollars") == 0
    assert fraction_cents("Ten and OO/1OO") == 0
    assert fraction_cents("SEVEN AND xx/t00 DOLLAKs") == 0 and fraction_cents("one and 42 / l00") == 42
    assert fraction_cents("Ten and (9/100") is None  # a stray mark before the digits: unreadable
    assert fraction_cents("Ten dollars") is None
    # The words say "seven hundred": a courtesy "5428.29" is contradicted by its near miss 5728.29 ...
    words = "FIVE THOUSAND SEVEN HUNDRED TWENTY-E1OHT AND 29/100"
    assert contradicts(words, 542829, {572829, 542929})
    assert not contradicts(words, 572829, {542829, 572929})
    # ... while garbled words contradict nothing.
    assert not contradicts("scat, Ls OLE LE ACOIS terre CES", 1200042, {1100042, 200042})


def test_an_agreement_whose_words_spell_a_near_miss_better_is_not_read() -> None:
    # A held-out hand's line as Tesseract read it: the words say sixty-one thousand, the figures 41,490.
    text = "S|XT Y-oNe THOUSAND FOUK HUNDRED NINETY AND 00/100 DoLLAKS"
    assert spelt_better(text, 4_149_000, "both", AGREE_MARGIN) == (None, None)
    assert spelt_better(text, 6_149_000, "both", AGREE_MARGIN) == (6_149_000, "both")
    # Only agreements are judged so; too few letters judge nothing.
    assert spelt_better(text, 4_149_000, "courtesy", AGREE_MARGIN) == (4_149_000, "courtesy")
    assert spelt_better("Sxty 00/100", 4_149_000, "both", AGREE_MARGIN) == (4_149_000, "both")
    # A slip that spells no near miss better stays read.
    assert spelt_better("Seventy-two and 00/100", 7_200, "both", AGREE_MARGIN) == (7_200, "both")
