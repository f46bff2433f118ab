"""The courtesy-amount CRNN in numpy: the committed model, its layers against plain loops, the CTC decoding,
and a read of a front drawn in a held-out printed font (never seen in training)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from openchecks.check import amount_crnn
from openchecks.check.amount import crnn_candidate, prepare_crops
from openchecks.check.amount_crnn import (
    CHARSET,
    HEIGHT,
    beam_decode,
    greedy_decode,
    load_network,
    normalise,
    read_line,
)
from openchecks.micr.synth import make_front
from PIL import Image, ImageOps

from tests.conftest import require_fonts

pytestmark = pytest.mark.unit


def test_the_committed_model_loads_and_is_small() -> None:
    net = load_network()
    assert amount_crnn.MODEL_PATH.stat().st_size < 1_000_000
    assert len(net.convs) == 4 and net.out_w.shape[0] == len(CHARSET) + 1
    x = np.zeros((HEIGHT, 64), np.float32)
    x[8:24, 10:50] = 1.0
    logp = net.log_probs(x)
    assert logp.shape == (16, len(CHARSET) + 1)
    assert np.allclose(np.exp(logp).sum(axis=1), 1.0, atol=1e-4)


def test_a_missing_model_is_a_clear_error(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(amount_crnn.CrnnModelMissingError, match="amount_crnn_train"):
        load_network(Path(str(tmp_path)) / "none.npz")


def test_the_convolution_is_a_3x3_cross_correlation_with_zero_padding() -> None:
    g = np.random.default_rng(1)
    a = g.normal(size=(3, 5, 7)).astype(np.float32)
    w = g.normal(size=(4, 3, 3, 3)).astype(np.float32)
    b = g.normal(size=4).astype(np.float32)
    padded = np.pad(a, ((0, 0), (1, 1), (1, 1)))
    want = np.zeros((4, 5, 7), np.float32)
    for o in range(4):
        for y in range(5):
            for x in range(7):
                want[o, y, x] = (padded[:, y : y + 3, x : x + 3] * w[o]).sum() + b[o]
    assert np.allclose(amount_crnn._conv3x3(a, w, b), want, atol=1e-4)


def test_the_matrix_product_in_blocks_is_the_product() -> None:
    g = np.random.default_rng(2)
    a, b = g.normal(size=(700, 300)).astype(np.float32), g.normal(size=(300, 40)).astype(np.float32)
    assert np.allclose(amount_crnn._matmul(a, b), a @ b, atol=1e-3)


def test_the_lstm_step_follows_torchs_gate_order() -> None:
    g = np.random.default_rng(3)
    hidden, inputs = 3, 2
    w_ih, w_hh = g.normal(size=(4 * hidden, inputs)), g.normal(size=(4 * hidden, hidden))
    b = g.normal(size=4 * hidden)
    seq = g.normal(size=(4, inputs))
    h, c = np.zeros(hidden), np.zeros(hidden)
    want = []
    for x in seq:
        z = w_ih @ x + w_hh @ h + b
        i, f, cell, o = (z[k * hidden : (k + 1) * hidden] for k in range(4))
        c = (1 / (1 + np.exp(-f))) * c + (1 / (1 + np.exp(-i))) * np.tanh(cell)
        h = (1 / (1 + np.exp(-o))) * np.tanh(c)
        want.append(h)
    got = amount_crnn._lstm(seq.astype(np.float32), w_ih, w_hh, b)
    assert np.allclose(got, np.array(want), atol=1e-5)


def _columns(*spec: dict[str, float]) -> np.ndarray:
    """A probability matrix from columns {char: p} ("" is the blank); the rest of each column is spread."""
    probs = np.zeros((len(spec), len(CHARSET) + 1))
    for t, column in enumerate(spec):
        for ch, p in column.items():
            probs[t, 0 if ch == "" else CHARSET.index(ch) + 1] = p
        rest = 1.0 - probs[t].sum()
        probs[t][probs[t] == 0] = rest / max(1, int((probs[t] == 0).sum()))
    return probs


def test_greedy_decoding_merges_repeats_and_needs_a_blank_between_doubles() -> None:
    probs = _columns(
        {"1": 0.9}, {"1": 0.8}, {"": 0.9}, {"1": 0.7}, {".": 0.95}, {"0": 0.9}, {"": 0.6}, {"0": 0.9}
    )
    text, weakest = greedy_decode(probs)
    assert text == "11.00"
    assert weakest == pytest.approx(0.6)


def test_beam_decoding_sums_the_paths_of_a_string() -> None:
    """Two columns each 55% blank, 45% "7": the best path is blank-blank (""), 0.3025, but "7" has three
    paths (7-7, 7-blank, blank-7) worth 0.6975 together."""
    probs = np.zeros((2, len(CHARSET) + 1))
    probs[:, 0], probs[:, CHARSET.index("7") + 1] = 0.55, 0.45
    assert greedy_decode(probs)[0] == ""
    ranked = beam_decode(probs)
    assert ranked[0][0] == "7" and ranked[0][1] == pytest.approx(0.6975)
    assert dict(ranked)[""] == pytest.approx(0.3025)
    assert sum(p for _, p in ranked) == pytest.approx(1.0)


def test_a_blank_crop_reads_nothing() -> None:
    assert normalise(Image.new("L", (200, 60), 255)) is None
    assert read_line(Image.new("L", (200, 60), 255)) is None


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_reads_an_amount_in_a_held_out_printed_font(seed: int) -> None:
    """The numpy forward pass on a front whose font the network never saw: the figures read exactly."""
    require_fonts("printed", "held_out")
    front, truth = make_front(random.Random(seed), style="printed", split="held_out")
    crops = prepare_crops(np.asarray(ImageOps.grayscale(front)), 200)
    assert crops.courtesy is not None
    read = read_line(crops.courtesy)
    assert read is not None and read.alternatives[0] == (read.text, read.probability)
    got = crnn_candidate(read)
    assert got.cents == round(float(truth.declared_amount) * 100), (truth.font, truth.courtesy_text, read)
    assert got.confidence > 0.5
