"""Tesseract in this process through its C API (libtesseract, by ctypes), with the loaded models kept.

The `tesseract` command loads its model, dictionary and parameters from disk on every run (for `eng` about
0.07 s of CPU before it reads anything) and starts a process. A warm container keeps them: an initialised
`TessBaseAPI` per (model directory, language, engine mode, `-c` variables) goes back to a free list after
each page and serves the next one (the page segmentation mode and resolution are set per page), so a warm
container loads each model at most once per worker thread. A cold container pays the loads, as the command
did.

`pages(images, lang, options, kind, nice, timeout)` gives, for each image, the text the command writes for
it with the same options: its TSV rows (`kind="tsv"`, with the header row) or its hOCR page (`"hocr"`).
The options are the command-line ones this project passes (`--tessdata-dir D`, `--oem N`, `--psm N`,
`--dpi N`, `-c name=value`); anything else, a model file that is not there, or no libtesseract raises
`Unsupported` and the caller runs the command instead. The pages are read in worker threads started at
the CPU priority `nice` steps nicer than the process (Linux gives every thread its own nice value, as
`nice -n` gave the command), with one OpenMP thread (OMP_THREAD_LIMIT=1 before the library loads, as the
command runs); ctypes releases the GIL during each call, so pages are read at the same time on several
cores. OPENCHECKS_TESSERACT_CLI=1 turns this off (the command every time).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import shlex
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
# The command's default page segmentation (the library's own default is a single block).
PSM_AUTO = 3
OEM_DEFAULT = 3
# Where Debian's tesseract-ocr-eng puts `eng` (the command's default directory).
SYSTEM_TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"
WORKERS = 3
# Loaded models kept between pages (each about 10-20 MB resident for `eng` and the MICR models).
KEPT_HANDLES = 8


class Unsupported(Exception):
    """This call cannot run through the library (no libtesseract, or an option it does not map)."""


class Failed(RuntimeError):
    """The library could not load the model or read the page."""


class Timeout(Failed):
    """The page was not read within its time limit."""


@dataclass(frozen=True)
class Options:
    """The command-line options, as the library takes them."""

    datapath: str
    lang: str
    oem: int = OEM_DEFAULT
    psm: int = PSM_AUTO
    variables: tuple[tuple[str, str], ...] = ()
    dpi: int | None = None

    @property
    def handle_key(self) -> tuple[str, str, int, tuple[tuple[str, str], ...]]:
        return (self.datapath, self.lang, self.oem, self.variables)


# Renderer switches of the command: the library is asked for the text directly instead.
_RENDERERS = {"tessedit_create_tsv", "tessedit_create_hocr"}


def parse_options(lang: str, options: Sequence[str]) -> Options:
    """The command's options as `Options`; raises Unsupported for anything else."""
    datapath = os.environ.get("TESSDATA_PREFIX") or SYSTEM_TESSDATA  # the command's default directory
    oem, psm, dpi = OEM_DEFAULT, PSM_AUTO, None
    variables: list[tuple[str, str]] = []
    items = iter(options)
    for item in items:
        try:
            if item == "--tessdata-dir":
                datapath = next(items)
            elif item == "--oem":
                oem = int(next(items))
            elif item == "--psm":
                psm = int(next(items))
            elif item == "--dpi":
                dpi = int(next(items))
            elif item == "-c":
                name, _, value = next(items).partition("=")
                if name not in _RENDERERS:
                    variables.append((name, value))
            else:
                raise Unsupported(f"option {item!r}")
        except (StopIteration, ValueError) as exc:
            raise Unsupported(f"option {item!r} without a value") from exc
    return Options(datapath, lang, oem, psm, tuple(sorted(variables)), dpi)


def parse_config(lang: str, config: str) -> Options:
    return parse_options(lang, shlex.split(config))


# ------------------------------------------------------------------------------------------------ library

_LIB: ctypes.CDLL | None = None
_LIB_LOCK = threading.Lock()
_LIB_FAILED = False


def _declare(lib: ctypes.CDLL) -> None:
    vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    signatures: dict[str, tuple[object, list[object]]] = {
        "TessBaseAPICreate": (vp, []),
        "TessBaseAPIDelete": (None, [vp]),
        "TessBaseAPIInit4": (i, [vp, cp, cp, i, vp, i, vp, vp, ctypes.c_size_t, ctypes.c_bool]),
        "TessBaseAPISetVariable": (ctypes.c_bool, [vp, cp, cp]),
        "TessBaseAPISetPageSegMode": (None, [vp, i]),
        "TessBaseAPISetImage": (None, [vp, cp, i, i, i, i]),
        "TessBaseAPISetSourceResolution": (None, [vp, i]),
        "TessBaseAPIRecognize": (i, [vp, vp]),
        "TessBaseAPIGetTsvText": (vp, [vp, i]),
        "TessBaseAPIGetHOCRText": (vp, [vp, i]),
        "TessBaseAPIClear": (None, [vp]),
        "TessDeleteText": (None, [vp]),
        "TessMonitorCreate": (vp, []),
        "TessMonitorDelete": (None, [vp]),
        "TessMonitorSetDeadlineMSecs": (None, [vp, i]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def library() -> ctypes.CDLL:
    """libtesseract, loaded once (with one OpenMP thread, as `run_tesseract` runs the command)."""
    global _LIB, _LIB_FAILED
    if os.environ.get("OPENCHECKS_TESSERACT_CLI") == "1":
        raise Unsupported("OPENCHECKS_TESSERACT_CLI=1")
    with _LIB_LOCK:
        if _LIB is None and not _LIB_FAILED:
            os.environ.setdefault("OMP_THREAD_LIMIT", "1")
            name = ctypes.util.find_library("tesseract") or "libtesseract.so.5"
            try:
                lib = ctypes.CDLL(name)
                _declare(lib)
                _LIB = lib
            except (OSError, AttributeError):
                _LIB_FAILED = True
        if _LIB is None:
            raise Unsupported("libtesseract is not installed")
        return _LIB


def available() -> bool:
    """Whether pages are read through the library in this process (else by the command)."""
    try:
        library()
    except Unsupported:
        return False
    return True


# ------------------------------------------------------------------------------------------------ handles


HandleKey = tuple[str, str, int, tuple[tuple[str, str], ...]]
# Initialised handles not in use, by model and variables (a handle serves one page at a time, from any
# worker thread); past KEPT_HANDLES in all, a returned handle is freed instead of kept.
_FREE: dict[HandleKey, list[int]] = {}
_FREE_LOCK = threading.Lock()


def _take(lib: ctypes.CDLL, options: Options) -> int:
    """A free handle with `options`' model and variables, else a new one (the model loaded from disk)."""
    key = options.handle_key
    with _FREE_LOCK:
        free = _FREE.get(key)
        if free:
            return free.pop()
    handle = lib.TessBaseAPICreate()
    count = len(options.variables)
    names = (ctypes.c_char_p * max(1, count))(*[n.encode() for n, _ in options.variables])
    values = (ctypes.c_char_p * max(1, count))(*[v.encode() for _, v in options.variables])
    datapath = options.datapath.rstrip("/") + "/"
    failed = lib.TessBaseAPIInit4(
        handle, datapath.encode(), options.lang.encode(), options.oem, None, 0, names, values, count, False
    )
    if failed:
        lib.TessBaseAPIDelete(handle)
        raise Failed(f"tesseract could not load {options.lang} from {options.datapath}")
    # The library's notes ("Estimating resolution as 291") go to stderr, which is the activation's log;
    # the command wrote them to a pipe nobody read.
    lib.TessBaseAPISetVariable(handle, b"debug_file", b"/dev/null")
    with _STATS_LOCK:
        _STATS["loads"] += 1
    return int(handle)


def _give(lib: ctypes.CDLL, options: Options, handle: int) -> None:
    with _FREE_LOCK:
        if sum(len(v) for v in _FREE.values()) < KEPT_HANDLES:
            _FREE.setdefault(options.handle_key, []).append(handle)
            return
    lib.TessBaseAPIDelete(handle)


_STATS = {"loads": 0, "pages": 0}
_STATS_LOCK = threading.Lock()


def stats() -> dict[str, int]:
    """Models loaded and pages read through the library in this process (for tests and benchmarks)."""
    with _STATS_LOCK:
        return dict(_STATS)


def _text(lib: ctypes.CDLL, pointer: int | None) -> str:
    if not pointer:
        return ""
    try:
        return ctypes.string_at(pointer).decode("utf-8", "replace")
    finally:
        lib.TessDeleteText(pointer)


def _read_page(options: Options, image: Image.Image, kind: str, timeout: float) -> str:
    lib = library()
    handle = _take(lib, options)
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB" if image.mode in ("RGBA", "P", "CMYK") else "L")
    depth = 1 if image.mode == "L" else 3
    data = image.tobytes()
    lib.TessBaseAPISetPageSegMode(handle, options.psm)
    lib.TessBaseAPISetImage(handle, data, image.width, image.height, depth, image.width * depth)
    # --dpi is the command's user_defined_dpi; 0 (its default) again for a page without it, since the handle
    # is kept and serves pages with other options.
    lib.TessBaseAPISetVariable(handle, b"user_defined_dpi", str(options.dpi or 0).encode())
    monitor = lib.TessMonitorCreate()
    started = time.monotonic()
    try:
        lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout * 1000)))
        failed = lib.TessBaseAPIRecognize(handle, monitor) != 0
        # The deadline stops the word recognition; the layout analysis before it is timed here (the command
        # was killed at its timeout whatever it was doing).
        if time.monotonic() - started >= timeout:
            raise Timeout(f"tesseract took more than {timeout:g} s (timeout)")
        if failed:
            raise Failed("tesseract could not read the page")
        if kind == "tsv":
            text = _text(lib, lib.TessBaseAPIGetTsvText(handle, 0))
        else:
            text = _text(lib, lib.TessBaseAPIGetHOCRText(handle, 0))
    finally:
        lib.TessMonitorDelete(monitor)
        lib.TessBaseAPIClear(handle)
        _give(lib, options, handle)
    with _STATS_LOCK:
        _STATS["pages"] += 1
    return text


# ------------------------------------------------------------------------------------------------ workers

_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def close() -> None:
    """Stop the worker threads and free every loaded model (at exit: the library warns of what is left)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.shutdown(wait=True)
    with _FREE_LOCK:
        handles = [h for free in _FREE.values() for h in free]
        _FREE.clear()
    if _LIB is not None:
        for handle in handles:
            _LIB.TessBaseAPIDelete(handle)


atexit.register(close)


def _niced(level: int) -> None:
    """This thread `level` steps nicer than it started (as `nice -n level` runs the command)."""
    if level:
        try:
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + level))
        except (OSError, AttributeError):  # not Linux, or not allowed: the thread keeps its priority
            pass


def _pool(nice: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        pool = _POOLS.get(nice)
        if pool is None:
            pool = _POOLS[nice] = ThreadPoolExecutor(
                max_workers=WORKERS,
                thread_name_prefix=f"tesseract-nice{nice}",
                initializer=_niced,
                initargs=(nice,),
            )
        return pool


def pages(
    images: Sequence[Image.Image], lang: str, options: Sequence[str], kind: str, nice: int, timeout: float
) -> list[str]:
    """For each image, the TSV (with its header row) or hOCR page the command writes for it with `options`.
    Raises Unsupported (run the command instead), Timeout or Failed."""
    parsed = parse_options(lang, options)
    library()
    if not Path(parsed.datapath, f"{lang}.traineddata").is_file():
        raise Unsupported(f"{lang}.traineddata is not in {parsed.datapath}")
    pool = _pool(nice)
    futures = [pool.submit(_read_page, parsed, image, kind, timeout) for image in images]
    texts = [future.result() for future in futures]
    if kind == "tsv":
        return [TSV_HEADER + "\n" + text for text in texts]
    return texts
