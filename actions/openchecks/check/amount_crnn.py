"""The courtesy amount read as one line, without segmenting it: a small CRNN (conv -> BiLSTM -> CTC) in numpy.

The network (`models/amount_crnn.npz`, float16, trained offline by `bench/amount_crnn_train.py` with torch on
amounts drawn in the *tuning* fonts of `openchecks.micr.synth`; the held-out fonts never reach it) reads the
courtesy crop as `amount.prepare_crops` cuts it (rules whitened, about 300 dpi), scaled to `HEIGHT` rows:

    4 x (3x3 conv + ReLU + max pool: 2x2, 2x2, 2x1, 2x1) -> one column of 2 x C features per 4 pixels of
    width -> a bidirectional LSTM -> a linear layer -> per column, the probability of each character of
    `CHARSET` and of the CTC blank (index 0).

Inference needs numpy only (conv as one matrix product over stride-trick windows; the LSTM step by step).
`read_line` decodes with a small prefix beam search: the most likely strings and their probabilities
(paths summed), so the vote can weigh the alternatives like those of the glyph model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

MODEL_PATH = Path(__file__).resolve().parent / "models" / "amount_crnn.npz"
CHARSET = "0123456789.,-*$/ "
HEIGHT = 32
MAX_WIDTH = 512
# Grey levels darker than this are ink (the crops come with ink at <= 96 on white).
INK_LEVEL = 160
POOLS = ((2, 2), (2, 2), (2, 1), (2, 1))
BEAM = 8
# OpenBLAS runs a matrix product on one thread up to about this many multiply-adds (M x N x K).
SINGLE_THREAD_MNK = 1 << 18


class CrnnModelMissingError(RuntimeError):
    """The CRNN model file is missing (train it with `bench/amount_crnn_train.py`)."""


@dataclass(frozen=True)
class CrnnRead:
    """The line read: the best string, its probability, the alternatives (string, probability), best first,
    and the smallest per-column probability of the best path (how sure the weakest column was)."""

    text: str
    probability: float
    alternatives: tuple[tuple[str, float], ...]
    weakest: float


def normalise(image: Image.Image | np.ndarray) -> np.ndarray | None:
    """The network's input: the crop's ink (1.0) on paper (0.0), cut to the ink's box and `HEIGHT` rows high,
    its width a multiple of 4; None without ink."""
    gray = np.asarray(image.convert("L") if isinstance(image, Image.Image) else image, dtype=np.uint8)
    ys, xs = np.nonzero(gray < INK_LEVEL)
    if len(ys) < 4:
        return None
    # The rows of most of the ink (a speck left of a rule does not squash the line), a margin around.
    lo, hi = np.percentile(ys, [0.5, 99.5])
    pad = max(2, round(0.12 * (hi - lo + 1)))
    y0, y1 = max(0, int(lo) - pad), min(gray.shape[0], int(hi) + pad + 1)
    x0, x1 = max(0, int(xs.min()) - 2), min(gray.shape[1], int(xs.max()) + 3)
    crop = Image.fromarray(gray[y0:y1, x0:x1])
    width = round(crop.width * HEIGHT / crop.height)
    width = min(MAX_WIDTH, max(16, 4 * round(width / 4)))
    small = crop.resize((width, HEIGHT), Image.Resampling.BILINEAR)
    return (255.0 - np.asarray(small, dtype=np.float32)) / 255.0


@dataclass(frozen=True)
class Network:
    """The weights, as float32 arrays: convs [(w (O, C, 3, 3), b)], the LSTM per direction, the output."""

    convs: tuple[tuple[np.ndarray, np.ndarray], ...]
    lstm: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]  # (w_ih, w_hh, b) forward, backward
    out_w: np.ndarray
    out_b: np.ndarray

    @classmethod
    def load(cls, path: Path) -> Network:
        with np.load(path) as data:
            arrays = {k: data[k].astype(np.float32) for k in data.files}
        convs = []
        i = 0
        while f"conv{i}.weight" in arrays:
            convs.append((arrays[f"conv{i}.weight"], arrays[f"conv{i}.bias"]))
            i += 1
        lstm = []
        for suffix in ("", "_reverse"):
            lstm.append(
                (
                    arrays[f"lstm.weight_ih_l0{suffix}"],
                    arrays[f"lstm.weight_hh_l0{suffix}"],
                    arrays[f"lstm.bias_ih_l0{suffix}"] + arrays[f"lstm.bias_hh_l0{suffix}"],
                )
            )
        return cls(tuple(convs), tuple(lstm), arrays["out.weight"], arrays["out.bias"])

    def log_probs(self, x: np.ndarray) -> np.ndarray:
        """Per column of `x` (HEIGHT x W, from `normalise`): log-probabilities (W/4, 1 + len(CHARSET))."""
        a = x[None].astype(np.float32)
        for (w, b), (ph, pw) in zip(self.convs, POOLS, strict=True):
            a = _pool(np.maximum(_conv3x3(a, w, b), 0.0), ph, pw)
        c, h, t = a.shape
        seq = a.transpose(2, 0, 1).reshape(t, c * h)
        forward = _lstm(seq, *self.lstm[0])
        backward = _lstm(seq[::-1], *self.lstm[1])[::-1]
        logits = _matmul(np.concatenate([forward, backward], axis=1), self.out_w.T) + self.out_b
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`a @ b` in blocks of rows small enough that OpenBLAS keeps each to one thread: its threads cost many
    times the product itself on a busy machine (about 4 ms instead of 0.1 ms for one of these layers)."""
    rows = max(1, SINGLE_THREAD_MNK // max(1, a.shape[1] * b.shape[1]))
    if a.shape[0] <= rows:
        return a @ b
    return np.concatenate([a[i : i + rows] @ b for i in range(0, a.shape[0], rows)])


def _conv3x3(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A 3x3 convolution, stride 1, zero padding 1: `a` (C, H, W), `w` (O, C, 3, 3) -> (O, H, W)."""
    c, h, wd = a.shape
    padded = np.pad(a, ((0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # C, H, W, 3, 3
    cols = windows.transpose(1, 2, 0, 3, 4).reshape(h * wd, c * 9)
    out = _matmul(cols, w.reshape(w.shape[0], -1).T) + b
    return out.T.reshape(w.shape[0], h, wd)


def _pool(a: np.ndarray, ph: int, pw: int) -> np.ndarray:
    c, h, w = a.shape
    return a[:, : h - h % ph, : w - w % pw].reshape(c, h // ph, ph, w // pw, pw).max(axis=(2, 4))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _lstm(seq: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One LSTM direction over `seq` (T, In), torch's gate order (input, forget, cell, output)."""
    hidden = w_hh.shape[1]
    gates_in = _matmul(seq, w_ih.T) + b
    h = np.zeros(hidden, np.float32)
    c = np.zeros(hidden, np.float32)
    out = np.empty((len(seq), hidden), np.float32)
    for t in range(len(seq)):
        g = gates_in[t] + w_hh @ h
        i, f = _sigmoid(g[:hidden]), _sigmoid(g[hidden : 2 * hidden])
        cell, o = np.tanh(g[2 * hidden : 3 * hidden]), _sigmoid(g[3 * hidden :])
        c = f * c + i * cell
        h = o * np.tanh(c)
        out[t] = h
    return out


def greedy_decode(probs: np.ndarray) -> tuple[str, float]:
    """The best path collapsed (repeats merged, blanks dropped) and its weakest column's probability."""
    best = probs.argmax(axis=1)
    chars = [CHARSET[k - 1] for i, k in enumerate(best) if k != 0 and (i == 0 or k != best[i - 1])]
    return "".join(chars), float(probs.max(axis=1).min()) if len(probs) else 0.0


def _add(beams: dict[str, tuple[float, float]], prefix: str, blank: float, char: float) -> None:
    b, c = beams.get(prefix, (0.0, 0.0))
    beams[prefix] = (b + blank, c + char)


def beam_decode(probs: np.ndarray, beam: int = BEAM) -> list[tuple[str, float]]:
    """CTC prefix beam search over `probs` (T, 1 + len(CHARSET), blank 0): [(string, probability)], best
    first. Each prefix keeps the probability of its paths ending in a blank and of those ending in its last
    character, so a doubled character ("00") needs a blank between its two columns, as CTC defines it."""
    beams: dict[str, tuple[float, float]] = {"": (1.0, 0.0)}  # prefix -> (ends in blank, ends in char)
    for column in probs.astype(np.float64):
        nxt: dict[str, tuple[float, float]] = {}
        likely = [int(k) for k in np.argsort(column)[::-1][:4] if k != 0 and column[k] > 1e-4]
        for prefix, (pb, pc) in beams.items():
            _add(nxt, prefix, (pb + pc) * column[0], 0.0)
            for k in likely:
                ch = CHARSET[k - 1]
                if prefix and prefix[-1] == ch:
                    _add(nxt, prefix, 0.0, pc * column[k])  # the same character held
                    _add(nxt, prefix + ch, 0.0, pb * column[k])  # a new one after a blank
                else:
                    _add(nxt, prefix + ch, 0.0, (pb + pc) * column[k])
        beams = dict(sorted(nxt.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:beam])
    return [(p, b + c) for p, (b, c) in beams.items()]


@cache
def load_network(path: Path = MODEL_PATH) -> Network:
    if not path.is_file():
        raise CrnnModelMissingError(f"{path} is missing: run `python bench/amount_crnn_train.py`")
    return Network.load(path)


def read_line(image: Image.Image | np.ndarray, network: Network | None = None) -> CrnnRead | None:
    """Read the courtesy crop `image` (as `prepare_crops` gives it); None without ink."""
    x = normalise(image)
    if x is None:
        return None
    probs = np.exp((network or load_network()).log_probs(x))
    ranked = beam_decode(probs)
    text, weakest = greedy_decode(probs)
    best_text, best_p = ranked[0] if ranked else (text, 0.0)
    return CrnnRead(best_text, float(best_p), tuple((t, float(p)) for t, p in ranked), weakest)
