"""Train the glyph model of `amount_glyphs`: `python -m openchecks.check.amount_train [--samples N]`.

Courtesy amounts are drawn as `openchecks.micr.synth` draws them, in the *tuning* fonts only (handwriting and
printed), at 150-300 dpi with blur and noise; each crop goes through the reader's own segmentation, and crops
whose glyph count matches the text label their glyphs in order. A one-hidden-layer network (numpy, Adam,
softmax) is fitted and written to `models/glyphs.npz` (float16, about 30 kB). The held-out fonts are only
scored at the end, never used to choose anything. Needs the fonts of infra/apt-dev-packages.txt.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from openchecks.check.amount_glyphs import (
    CLASSES,
    MODEL_PATH,
    Glyph,
    Model,
    features,
    ink_mask,
    line_height_of,
    remove_rules,
    segment,
)
from openchecks.micr.synth import courtesy_text, draw_text_in, fonts, random_cents


def render(rng: random.Random, font: Path, style: str) -> tuple[np.ndarray, str, float]:
    """One courtesy amount crop (uint8 grey), its text and dpi."""
    dpi = rng.uniform(150, 300)
    text = courtesy_text(random_cents(rng), style, rng)
    if rng.random() < 0.2:
        text = "$" + text
    w, h = round(1.3 * dpi), round(0.45 * dpi)
    img = Image.new("RGB", (w, h), (245, 245, 240))
    box = (0.1 * dpi, 0.1 * dpi, w - 0.05 * dpi, h - 0.12 * dpi)
    ink = (rng.randint(0, 50), rng.randint(0, 50), rng.randint(40, 140))
    draw_text_in(img, text, box, font, ink, rng, style == "handwritten")
    img = img.convert("L")
    # Variety the fonts lack: slant, width and stroke weight.
    shear, stretch = rng.uniform(-0.3, 0.3), rng.uniform(0.8, 1.2)
    img = img.transform(
        (round(w * stretch), h),
        Image.Transform.AFFINE,
        (1 / stretch, shear, -shear * h / 2, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
        fillcolor=245,
    )
    weight = rng.random()
    if weight < 0.25:
        img = img.filter(ImageFilter.MinFilter(3))
    elif weight > 0.85 and dpi > 220:
        img = img.filter(ImageFilter.MaxFilter(3))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.9)))
    arr = np.asarray(img, dtype=np.float32)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(1, 6), arr.shape)
    return np.clip(arr + noise, 0, 255).astype(np.uint8), text, dpi


def labelled_glyphs(rng: random.Random, font: Path, style: str) -> list[tuple[np.ndarray, int]]:
    gray, text, dpi = render(rng, font, style)
    glyphs = segment(remove_rules(ink_mask(gray), dpi))
    height = line_height_of(glyphs)
    tall = [g for g in glyphs if g.height >= 0.5 * height]
    wanted = [c for c in text if c in CLASSES]
    if len(tall) != len(wanted):
        return []
    return [(features(g, height), CLASSES.index(c)) for g, c in zip(tall, wanted, strict=True)]


def bundled_digits(rng: random.Random, copies: int) -> tuple[list[np.ndarray], list[int]]:
    """scikit-learn's bundled handwritten digits (8x8, 43 writers), upsampled, slanted and thresholded."""
    from sklearn.datasets import load_digits  # a training-only dependency (the dev extra)

    digits = load_digits()
    xs: list[np.ndarray] = []
    ys: list[int] = []
    for _ in range(copies):
        for image, label in zip(digits.images, digits.target, strict=True):
            img = Image.fromarray((image * 15).astype(np.uint8)).resize((32, 32), Image.Resampling.BILINEAR)
            shear = rng.uniform(-0.25, 0.25)
            img = img.transform(
                (32, 32), Image.Transform.AFFINE, (1, shear, -shear * 16, 0, 1, 0), Image.Resampling.BILINEAR
            )
            mask = np.asarray(img) >= rng.uniform(70, 130)
            rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
            if len(rows) < 4 or len(cols) < 1:
                continue
            sub = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
            glyph = Glyph(0, 0, sub.shape[1], sub.shape[0], sub)
            xs.append(features(glyph, sub.shape[0] * rng.uniform(0.95, 1.1)))
            ys.append(int(label))
    return xs, ys


def dataset(
    rng: random.Random, split: str, samples: int, digit_copies: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    pool = [(f, "handwritten") for f in fonts("handwritten", split)] + [
        (f, "printed") for f in fonts("printed", split)
    ]
    if not pool:
        raise SystemExit(f"no {split} fonts installed: install the fonts in infra/apt-dev-packages.txt")
    xs: list[np.ndarray] = []
    ys: list[int] = []
    for i in range(samples):
        font, style = pool[i % len(pool)]
        for x, y in labelled_glyphs(rng, font, style):
            xs.append(x)
            ys.append(y)
    if digit_copies:
        bx, by = bundled_digits(rng, digit_copies)
        xs += bx
        ys += by
    return np.stack(xs), np.array(ys)


def train(
    x: np.ndarray, y: np.ndarray, hidden: int = 96, epochs: int = 40, seed: int = 0, lr: float = 0.003
) -> Model:
    """Fit the network with Adam on cross-entropy plus a little L2."""
    g = np.random.default_rng(seed)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 0.05
    xn = ((x - mean) / scale).astype(np.float32)
    k = len(CLASSES)
    params = {
        "w1": g.normal(0, np.sqrt(2 / x.shape[1]), (x.shape[1], hidden)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": g.normal(0, np.sqrt(1 / hidden), (hidden, k)).astype(np.float32),
        "b2": np.zeros(k, np.float32),
    }
    m = {n: np.zeros_like(p) for n, p in params.items()}
    v = {n: np.zeros_like(p) for n, p in params.items()}
    onehot = np.eye(k, dtype=np.float32)[y]
    step = 0
    for _epoch in range(epochs):
        order = g.permutation(len(xn))
        for start in range(0, len(order), 128):
            idx = order[start : start + 128]
            xb, tb = xn[idx], onehot[idx]
            h = np.maximum(0, xb @ params["w1"] + params["b1"])
            logits = h @ params["w2"] + params["b2"]
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            d = (p - tb) / len(idx)
            grads = {"w2": h.T @ d + 1e-4 * params["w2"], "b2": d.sum(axis=0)}
            dh = (d @ params["w2"].T) * (h > 0)
            grads["w1"] = xb.T @ dh + 1e-4 * params["w1"]
            grads["b1"] = dh.sum(axis=0)
            step += 1
            for n in params:
                m[n] = 0.9 * m[n] + 0.1 * grads[n]
                v[n] = 0.999 * v[n] + 0.001 * grads[n] ** 2
                mh = m[n] / (1 - 0.9**step)
                vh = v[n] / (1 - 0.999**step)
                params[n] -= lr * mh / (np.sqrt(vh) + 1e-8)
    return Model(mean=mean, scale=scale, **params)


def accuracy(model: Model, x: np.ndarray, y: np.ndarray) -> float:
    return float((model.probabilities(x).argmax(axis=1) == y).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m openchecks.check.amount_train", description=__doc__)
    parser.add_argument("--samples", type=int, default=4000, help="amount crops to draw (default 4000)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--digit-copies", type=int, default=2, help="passes over scikit-learn's bundled digits (0: none)"
    )
    parser.add_argument(
        "--held-out-samples", type=int, help="held-out amount crops to score (default max(200, samples/5))"
    )
    parser.add_argument("--epochs", type=int, default=40, help="passes over the glyphs (default 40)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    held_out = args.held_out_samples if args.held_out_samples is not None else max(200, args.samples // 5)
    started = time.perf_counter()
    rng = random.Random(args.seed)
    x, y = dataset(rng, "tune", args.samples, args.digit_copies)
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(0.9 * len(x))
    model = train(x[:cut], y[:cut], epochs=args.epochs, seed=args.seed)
    valid = accuracy(model, x[cut:], y[cut:])
    print(f"{len(x)} glyphs from the tuning fonts and bundled digits; validation accuracy {valid:.3f}")
    model = train(x, y, epochs=args.epochs, seed=args.seed)
    hx, hy = dataset(random.Random(args.seed + 1), "held_out", held_out)
    print(f"held-out fonts: {len(hx)} glyphs, accuracy {accuracy(model, hx, hy):.3f} (not used for fitting)")
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
