"""Read one MICR line image with Tesseract and a MICR model (libtesseract in this process with the models
kept loaded, `openchecks.micr.tessapi`; the `tesseract` command where the library is not there).

Returns the raw line written with the Unicode E-13B symbols, one confidence (0-100) per character of that text
(spaces count as certain), and the time taken. The model directory is an argument (`tessdata`, from the
`tessdata_dir` package parameter); without one, the action image's build-time directory
(`/opt/openchecks/tessdata`, written by infra/runtime/Dockerfile) when it exists, else this checkout's
`.cache/tessdata` (`python -m infra.models install`). Nothing here reads the environment at import.
"""

from __future__ import annotations

import html
import os
import re
import shlex
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from openchecks.micr import tessapi
from openchecks.micr.symbols import LETTER_TO_SYMBOL, MCR2_TO_SYMBOL

# Tesseract is batch work: at a lower CPU priority it yields to the API and the database when a machine is
# busy (bench/bench_load.py) and costs nothing when it is idle. `nice=0` turns this off; the actions set this
# default from the `ocr_nice` package parameter (`set_ocr_nice`).
OCR_NICE = 10


def set_ocr_nice(level: int) -> None:
    """The CPU priority of every later Tesseract run in this process (0: normal)."""
    global OCR_NICE
    OCR_NICE = max(0, min(19, int(level)))


# Where infra/runtime/Dockerfile installs the models in the action image.
IMAGE_TESSDATA = Path("/opt/openchecks/tessdata")
_REPO = Path(__file__).resolve().parents[3]


def default_tessdata() -> Path:
    """The model directory used when none is passed: the action image's, else this checkout's."""
    return (
        IMAGE_TESSDATA if (IMAGE_TESSDATA / "e13b.traineddata").is_file() else _REPO / ".cache" / "tessdata"
    )


TESSDATA = default_tessdata()


def model_dir(tessdata: str | Path | None = None) -> Path:
    """`tessdata` when given (non-empty), else the default directory."""
    return Path(tessdata) if tessdata else TESSDATA


class TesseractMissingError(RuntimeError):
    """The `tesseract` command is not installed."""


class TesseractTimeout(RuntimeError):
    """Tesseract did not finish within its time limit (an overloaded machine): nothing was read."""


def run_tesseract(args: list[str], nice: int = OCR_NICE, timeout: float = 10.0) -> None:
    """Run the `tesseract` command with `args`, one OpenMP thread (its threads cost more to start than they
    save on one line: 0.3 s -> 0.07 s measured) and at `nice`. Raises RuntimeError with its message."""
    command = ["tesseract", *args]
    if nice:
        command = ["nice", "-n", str(nice), *command]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, env=env, check=False)
    except FileNotFoundError as exc:
        raise TesseractMissingError("tesseract is not installed (apt-get install tesseract-ocr)") from exc
    except subprocess.TimeoutExpired as exc:
        raise TesseractTimeout(f"tesseract took more than {timeout:g} s (timeout)") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"tesseract failed ({done.returncode}): {message[-1] if message else ''}")


_TSV_NUMBERS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num")
_TSV_BOX = ("left", "top", "width", "height")


def _parse_tsv(rows: list[str], count: int) -> list[dict[str, list[Any]]]:
    """Tesseract's TSV, one column dict for each of `count` pages (`page_num` 1, 2, ...)."""
    header = rows[0].split("\t") if rows else []
    pages: dict[int, dict[str, list[Any]]] = {}
    for row in rows[1:]:
        cells = row.split("\t")
        if len(cells) < len(header) - 1:
            continue
        cells += [""] * (len(header) - len(cells))
        page = int(cells[header.index("page_num")]) if "page_num" in header else 1
        out = pages.setdefault(page, {name: [] for name in header})
        for name, cell in zip(header, cells, strict=True):
            if name == "page_num":
                out[name].append(1)  # each image's words as a run of its own gives them
            elif name in _TSV_NUMBERS or name in _TSV_BOX:
                out[name].append(int(cell))
            elif name == "conf":
                out[name].append(float(cell))
            else:
                out[name].append(cell)
    return [pages.get(page, {name: [] for name in header}) for page in range(1, count + 1)]


def tesseract_pages(
    images: Sequence[Image.Image], lang: str, options: Sequence[str], kind: str, nice: int, timeout: float
) -> list[str]:
    """For each image, the text Tesseract writes for it with the command-line `options`: its TSV rows with
    the header row (`kind="tsv"`) or its hOCR page (`"hocr"`). Through libtesseract in this process with the
    models kept loaded (`openchecks.micr.tessapi`: a warm container loads each model once), else ONE run of
    the command for all the images (a text file naming them: the pages of one document, each read on its
    own). Both give the same text for the same image and options."""
    try:
        return tessapi.pages(images, lang, options, kind, nice, timeout)
    except tessapi.Unsupported:
        pass
    except tessapi.Timeout as exc:
        raise TesseractTimeout(str(exc)) from exc
    except tessapi.Failed as exc:
        raise RuntimeError(f"tesseract failed: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        sources = []
        for number, image in enumerate(images):
            source = Path(tmp) / f"image{number}.png"
            image.save(source, format="PNG", compress_level=1)
            sources.append(str(source))
        if len(sources) == 1:
            source_arg = sources[0]
        else:
            listing = Path(tmp) / "images.txt"
            listing.write_text("\n".join(sources) + "\n", encoding="utf-8")
            source_arg = str(listing)
        base = Path(tmp) / "out"
        flag = "tessedit_create_tsv=1" if kind == "tsv" else "tessedit_create_hocr=1"
        run_tesseract([source_arg, str(base), "-l", lang, *options, "-c", flag], nice=nice, timeout=timeout)
        text = (Path(tmp) / f"out.{kind}").read_text(encoding="utf-8", errors="replace")
    if kind == "hocr":
        return _page_hocr(text)
    return _tsv_pages(text.splitlines(), len(images))


def _tsv_pages(rows: list[str], count: int) -> list[str]:
    """A multi-image TSV split into one TSV per image, each numbered page 1 (as a run of its own gives)."""
    header = rows[0] if rows else tessapi.TSV_HEADER
    column = header.split("\t").index("page_num")
    pages: list[list[str]] = [[header] for _ in range(count)]
    for row in rows[1:]:
        cells = row.split("\t")
        if len(cells) > column and cells[column].isdigit() and 1 <= int(cells[column]) <= count:
            pages[int(cells[column]) - 1].append("\t".join([*cells[:column], "1", *cells[column + 1 :]]))
    return ["\n".join(page) for page in pages]


def _image_data_pages(
    images: Sequence[Image.Image], lang: str, config: str, timeout: float, nice: int
) -> list[dict[str, list[Any]]]:
    """`image_data` for several images read together (`tesseract_pages`), one column dict per image."""
    texts = tesseract_pages(images, lang, shlex.split(config), "tsv", nice, timeout)
    return [_parse_tsv(text.splitlines(), 1)[0] for text in texts]


def image_data(
    image: Image.Image, *, lang: str = "eng", config: str = "", timeout: float = 10.0, nice: int | None = None
) -> dict[str, list[Any]]:
    """Tesseract's words in `image` with their boxes and confidences, column by column (the keys and types of
    pytesseract's `image_to_data(..., output_type=DICT)`: `text`, `conf` (-1 for no word, else 0-100),
    `left`, `top`, `width`, `height`, `block_num`, `par_num`, `line_num`, ...), run as every Tesseract here
    runs (`run_tesseract`: one OpenMP thread, at `OCR_NICE`). pytesseract's own calls left OpenMP on: 0.16 s
    of CPU a call instead of 0.09. `config` is extra command-line options ("--psm 6", "--tessdata-dir D").
    Inside `SharedRun.joined()` the thread's first call is made together with the other threads' (one
    Tesseract process for all). Raises TesseractTimeout after `timeout` seconds and RuntimeError when
    Tesseract fails."""
    level = OCR_NICE if nice is None else nice
    party = getattr(_LOCAL, "party", None)
    if isinstance(party, SharedRun) and not getattr(_LOCAL, "used", True) and not tessapi.available():
        # (Through the library the model is already loaded: nothing to share, so no waiting for the other.)
        _LOCAL.used = True
        return party.image_data(image, lang, config, timeout, level)
    return _image_data_pages([image], lang, config, timeout, level)[0]


_LOCAL = threading.local()


@dataclass
class _Request:
    image: Image.Image
    key: tuple[str, str, int]
    timeout: float
    result: dict[str, list[Any]] | None = None
    error: BaseException | None = None
    taken: bool = False
    done: bool = False


class SharedRun:
    """One Tesseract process for the first `image_data` call of each of `parties` threads (each inside
    `joined()`): Tesseract `eng` spends about 0.07 s of CPU loading its model and dictionary before it reads
    anything, so the amount on the front and the endorsement on the back, read at the same time in two
    threads, cost one start-up instead of two. Each image is a page of its own, read as a run of its own
    reads it. A thread that leaves `joined()` without a call withdraws; calls with other options (language,
    `config`, nice) run separately; a call waits at most `wait` seconds for the others, then runs alone."""

    def __init__(self, parties: int, wait: float = 1.0) -> None:
        self._cond = threading.Condition()
        self._open = parties
        self._pending: list[_Request] = []
        self._wait = wait

    @contextmanager
    def joined(self) -> Iterator[None]:
        _LOCAL.party, _LOCAL.used = self, False
        try:
            yield
        finally:
            used = _LOCAL.used
            _LOCAL.party, _LOCAL.used = None, True
            if not used:
                with self._cond:
                    self._open -= 1
                    self._cond.notify_all()

    def image_data(
        self, image: Image.Image, lang: str, config: str, timeout: float, nice: int
    ) -> dict[str, list[Any]]:
        request = _Request(image, (lang, config, nice), timeout)
        deadline = time.monotonic() + self._wait
        take: list[_Request] = []
        with self._cond:
            self._open -= 1
            self._pending.append(request)
            self._cond.notify_all()
            while not request.taken:
                left = deadline - time.monotonic()
                if self._open <= 0 or left <= 0:
                    # Everyone has arrived or withdrawn (or the wait is over): this thread runs what waits.
                    take = self._pending if self._open <= 0 else [request]
                    self._pending = [r for r in self._pending if r not in take]
                    for r in take:
                        r.taken = True
                    break
                self._cond.wait(left)
        if take:
            self._run(take)
        with self._cond:
            while not request.done:
                self._cond.wait()
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _run(self, requests: list[_Request]) -> None:
        groups: dict[tuple[str, str, int], list[_Request]] = {}
        for r in requests:
            groups.setdefault(r.key, []).append(r)
        for (lang, config, nice), group in groups.items():
            try:
                timeout = max(r.timeout for r in group)
                pages = _image_data_pages([r.image for r in group], lang, config, timeout, nice)
                for r, page in zip(group, pages, strict=True):
                    r.result = page
            except BaseException as exc:  # every caller sees its run's failure, as a run of its own
                for r in group:
                    r.error = exc
            finally:
                with self._cond:
                    for r in group:
                        r.done = True
                    self._cond.notify_all()


class ModelMissingError(RuntimeError):
    """The MICR model file is not installed (run `python -m infra.models install`)."""


@dataclass(frozen=True)
class Engine:
    """One way of running Tesseract: model, engine mode, page segmentation mode, how it writes the symbols."""

    name: str
    lang: str
    oem: int
    psm: int
    symbol_map: dict[str, str]


ENGINES = {
    "e13b": Engine("e13b", "e13b", 1, 13, LETTER_TO_SYMBOL),
    "e13b-psm7": Engine("e13b-psm7", "e13b", 1, 7, LETTER_TO_SYMBOL),
    "mcr2": Engine("mcr2", "mcr2", 0, 13, MCR2_TO_SYMBOL),
}


@dataclass(frozen=True)
class Preprocess:
    """How a line crop is prepared: scale to a height, binarise, pad with white (all round, or left/right)."""

    name: str
    height: int | None = None
    binarise: bool = False
    pad: int = 0
    pad_x: int = 0


PREPROCESSING = {
    "raw": Preprocess("raw"),
    "pad": Preprocess("pad", pad=12),
    "h48+pad": Preprocess("h48+pad", height=48, pad=12),
    "h64+pad": Preprocess("h64+pad", height=64, pad=12),
    "bin+pad": Preprocess("bin+pad", binarise=True, pad=12),
    "h48+bin+pad": Preprocess("h48+bin+pad", height=48, binarise=True, pad=12),
    "pad3": Preprocess("pad3", pad=3),
    "h48": Preprocess("h48", height=48),
    "h40": Preprocess("h40", height=40),
    "h56": Preprocess("h56", height=56),
    "bin": Preprocess("bin", binarise=True),
    "padx16": Preprocess("padx16", pad_x=16),
}
DEFAULT_ENGINE = "e13b"
# A crop whose darkest and lightest pixels differ by less than this holds no print.
BLANK_CONTRAST = 48
DEFAULT_PREPROCESS = "raw"


@dataclass(frozen=True)
class Recognition:
    """What Tesseract read on one line: `text` (Unicode symbols), `confidences` aligned with `text`."""

    text: str
    confidences: tuple[float, ...]
    seconds: float
    engine: str

    def min_confidence(self) -> float:
        return min(self.confidences, default=0.0)


def otsu_threshold(gray: np.ndarray) -> int:
    """The grey level that best splits `gray` (uint8) into ink and paper (Otsu's method)."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 128
    levels = np.arange(256, dtype=np.float64)
    weight_bg = np.cumsum(hist)
    weight_fg = total - weight_bg
    cum_mean = np.cumsum(hist * levels)
    mean_all = cum_mean[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * weight_bg - cum_mean * total) ** 2 / (weight_bg * weight_fg)
    between = np.nan_to_num(between)
    return int(np.argmax(between))


def prepare_line(image: Image.Image, preprocess: Preprocess) -> Image.Image:
    """Apply `preprocess` to a line crop and return an 8-bit greyscale image."""
    gray = ImageOps.grayscale(image) if image.mode != "L" else image
    if preprocess.height and gray.height != preprocess.height:
        width = max(1, round(gray.width * preprocess.height / gray.height))
        gray = gray.resize((width, preprocess.height), Image.Resampling.LANCZOS)
    if preprocess.binarise:
        arr = np.asarray(gray)
        gray = Image.fromarray(np.where(arr > otsu_threshold(arr), 255, 0).astype(np.uint8))
    if preprocess.pad:
        gray = ImageOps.expand(gray, border=preprocess.pad, fill=255)
    if preprocess.pad_x:
        gray = ImageOps.expand(gray, border=(preprocess.pad_x, 0, preprocess.pad_x, 0), fill=255)
    return gray


_CHAR = re.compile(r"<span class='ocrx_cinfo' title='[^']*x_conf ([0-9.]+)'>([^<]*)</span>")


def _parse_hocr(hocr: str, symbol_map: dict[str, str]) -> tuple[str, tuple[float, ...]]:
    text: list[str] = []
    confs: list[float] = []
    for line in re.split(r"<span class='ocr_line'", hocr)[1:]:
        if text:
            text.append(" ")
            confs.append(100.0)
        for word in re.split(r"<span class='ocrx_word'", line)[1:]:
            chars = _CHAR.findall(word)
            if not chars:
                continue
            if text and text[-1] != " ":
                text.append(" ")
                confs.append(100.0)
            for conf, raw in chars:
                for ch in html.unescape(raw):
                    text.append(symbol_map.get(ch, ch))
                    confs.append(float(conf))
    return "".join(text), tuple(confs)


def recognize_line(
    image: Image.Image,
    engine: str = DEFAULT_ENGINE,
    preprocess: str | Preprocess = DEFAULT_PREPROCESS,
    timeout: float = 10.0,
    *,
    tessdata: str | Path | None = None,
    nice: int | None = None,
) -> Recognition:
    """Read the MICR line in `image` (a crop holding one line) with the models in `tessdata` (default:
    `default_tessdata()`). Raises ModelMissingError without the model."""
    return recognize_lines([(image, preprocess)], engine, timeout, tessdata=tessdata, nice=nice)[0]


def _page_hocr(hocr: str) -> list[str]:
    """The pages of a multi-image hOCR document, in order."""
    return re.split(r"<div class='ocr_page'", hocr)[1:]


def recognize_lines(
    crops: Sequence[tuple[Image.Image, str | Preprocess]],
    engine: str = DEFAULT_ENGINE,
    timeout: float = 10.0,
    *,
    tessdata: str | Path | None = None,
    nice: int | None = None,
) -> list[Recognition]:
    """Read several line crops, each with its own preprocessing, in ONE Tesseract run (one Recognition per
    crop, in order): Tesseract loads its model once for all of them (for e13b about 0.03 s of CPU saved per
    extra crop; each page is still read on its own, so every text and confidence is the one a run per crop
    gives). Raises ModelMissingError without the model."""
    eng = ENGINES[engine]
    models = model_dir(tessdata)
    if not (models / f"{eng.lang}.traineddata").is_file():
        raise ModelMissingError(
            f"the MICR model {eng.lang}.traineddata is not in {models}: "
            "run `python -m infra.models install` or set the tessdata_dir package parameter"
        )
    started = time.perf_counter()
    prepared: list[Image.Image | None] = []
    for image, preprocess in crops:
        prep = PREPROCESSING[preprocess] if isinstance(preprocess, str) else preprocess
        line = prepare_line(image, prep)
        lo, hi = line.getextrema()
        blank = not isinstance(lo, int) or not isinstance(hi, int) or hi - lo < BLANK_CONTRAST or lo > 160
        # The LSTM model invents symbols on an empty crop; there is nothing to read.
        prepared.append(None if blank else line)
    pages: list[str] = []
    wanted = [line for line in prepared if line is not None]
    if wanted:
        options = [
            "--tessdata-dir",
            str(models),
            "--oem",
            str(eng.oem),
            "--psm",
            str(eng.psm),
            "--dpi",
            "300",
            "-c",
            "hocr_char_boxes=1",
        ]
        level = OCR_NICE if nice is None else nice
        pages = tesseract_pages(wanted, eng.lang, options, "hocr", level, timeout)
        if len(pages) != len(wanted):
            raise RuntimeError(f"tesseract returned {len(pages)} pages for {len(wanted)} lines")
    seconds = (time.perf_counter() - started) / max(1, len(crops))
    out: list[Recognition] = []
    read = iter(pages)
    for crop in prepared:
        text, confs = ("", ()) if crop is None else _parse_hocr(next(read), eng.symbol_map)
        out.append(Recognition(text=text, confidences=confs, seconds=seconds, engine=eng.name))
    return out
