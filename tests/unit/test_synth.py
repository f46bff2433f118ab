"""The synthetic check generator: glyph table, ground truth, determinism (its round trip through the reader:
tests/accuracy/test_synthetic_checks.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from openchecks.micr.aba import routing_checksum_ok
from openchecks.micr.parse import parse_micr_line
from openchecks.micr.symbols import SYMBOLS
from openchecks.micr.synth import GLYPHS, generate, main, random_routing


def test_the_glyph_table_covers_e13b_within_its_box() -> None:
    assert set(GLYPHS) == set("0123456789") | set(SYMBOLS)
    for char, (width, rects) in GLYPHS.items():
        assert 0 < width <= 7, char  # 0.091" at most
        for x0, y0, x1, y1 in rects:
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= 9, (char, (x0, y0, x1, y1))


def test_random_routing_numbers_have_the_checksum_asked_for() -> None:
    rng = random.Random(4)
    assert all(routing_checksum_ok(random_routing(rng)) for _ in range(200))
    assert not any(routing_checksum_ok(random_routing(rng, valid=False)) for _ in range(200))


def test_ground_truth_is_consistent_and_the_same_seed_gives_the_same_checks(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 3, seed=9, review_rate=0.3)
    second = generate(tmp_path / "b", 1, seed=9, review_rate=0.3)  # the same seed: the same first check
    for a, b in zip(first, second, strict=False):
        assert a.name == b.name and a.read_bytes() == b.read_bytes()
        assert a.with_suffix(".json").read_text() == b.with_suffix(".json").read_text()
    assert len(second) == 1
    kinds = set()
    for a in first:
        truth = json.loads(a.with_suffix(".json").read_text())
        fields = parse_micr_line(truth["micr"])
        assert (fields.routing, fields.account, fields.check_number) == (
            truth["routing"],
            truth["account"],
            truth["check_number"],
        )
        assert routing_checksum_ok(truth["routing"]) == (truth["expect"] == "accept")
        assert abs(truth["angle"]) <= 5
        kinds.add(truth["expect"])
    assert kinds == {"accept", "review"}


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), "--count", "2", "--seed", "1"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "check-0000.jpg",
        "check-0000.json",
        "check-0001.jpg",
        "check-0001.json",
    ]
    assert "wrote 2 checks" in capsys.readouterr().err


def test_amount_fields_and_flat_fronts_are_deterministic(tmp_path: Path) -> None:
    from openchecks.check.words import parse_legal
    from openchecks.micr.synth import FONTS, make_front

    for style in ("printed", "handwritten"):
        first, truth = make_front(random.Random(5), style=style, split="held_out")
        again, same = make_front(random.Random(5), style=style, split="held_out")
        assert first.tobytes() == again.tobytes() and truth == same
        assert truth.amount_style == style and truth.dpi == 200 and first.size == (1200, 550)
        if truth.font != "default":  # the fonts are installed: a held-out one drew the amounts
            assert truth.font in FONTS[style]["held_out"]
        legal = parse_legal(truth.legal_text)
        assert legal is not None and f"{legal.cents // 100}.{legal.cents % 100:02d}" == truth.declared_amount
    assert main([str(tmp_path), "--count", "1", "--amount-style", "handwritten", "--fonts", "held_out"]) == 0
    written = json.loads((tmp_path / "check-0000.json").read_text())
    assert written["amount_style"] == "handwritten" and {"font", "declared_amount"} <= set(written)
