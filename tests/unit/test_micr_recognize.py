"""Tesseract through pytesseract on drawn MICR lines: symbols, confidences, models."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest
from openchecks.micr import recognize
from openchecks.micr.recognize import ModelMissingError, otsu_threshold, prepare_line, recognize_line
from openchecks.micr.symbols import ON_US, TRANSIT
from openchecks.micr.synth import MODULE_IN, PITCH_IN, draw_micr
from PIL import Image, ImageDraw, ImageFilter, ImageOps


def require_models() -> None:
    if not (recognize.TESSDATA / "e13b.traineddata").is_file():
        pytest.skip(f"needs the MICR models in {recognize.TESSDATA}: run `python -m infra.models install`")


def drawn_line(text: str, dpi: int = 200) -> Image.Image:
    """`text` drawn as E-13B and scaled like a located band (glyphs ~22 px high)."""
    width = round(len(text) * PITCH_IN * dpi + 0.4 * dpi)
    image = Image.new("RGB", (width, round(0.3 * dpi)), (245, 245, 240))
    draw_micr(ImageDraw.Draw(image), text, 0.2 * dpi, image.height - 0.09 * dpi, dpi)
    gray = image.convert("L").filter(ImageFilter.GaussianBlur(0.5))
    scale = 22 / (9 * MODULE_IN * dpi)
    gray = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.LANCZOS)
    # Cut like a located band: tight at the sides, about half a glyph of paper above and below.
    ink = np.asarray(gray) < 128
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    gray = gray.crop((int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1))
    return ImageOps.expand(gray, border=(4, 11, 4, 11), fill=245)


def test_reads_a_drawn_line_with_unicode_symbols_and_confidences() -> None:
    require_models()
    text = f"{TRANSIT}121000248{TRANSIT} 4861507788{ON_US} 0150"
    rec = recognize_line(drawn_line(text))
    assert rec.text.replace(" ", "") == text.replace(" ", "")
    assert len(rec.confidences) == len(rec.text)
    assert rec.min_confidence() > 80
    assert rec.engine == "e13b"


def test_mcr2_symbols_are_normalised() -> None:
    require_models()
    rec = recognize_line(drawn_line(f"{TRANSIT}121000248{TRANSIT} 4861507788{ON_US}"), "mcr2")
    assert not set(rec.text) & set("[$@")
    assert len(rec.confidences) == len(rec.text)


def test_a_blank_image_reads_as_nothing() -> None:
    require_models()
    rec = recognize_line(Image.new("L", (400, 44), 255))
    assert rec.text.strip() == ""
    assert rec.min_confidence() == 0.0


def test_missing_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(recognize, "TESSDATA", tmp_path)
    with pytest.raises(ModelMissingError, match="infra.models install"):
        recognize_line(Image.new("L", (100, 40), 255))


def test_prepare_line_scales_binarises_and_pads() -> None:
    image = Image.new("L", (200, 40), 200)
    ImageDraw.Draw(image).rectangle((20, 10, 60, 30), fill=30)
    out = prepare_line(image, recognize.Preprocess("t", height=20, binarise=True, pad=5))
    assert out.size == (100 + 10, 20 + 10)
    assert set(np.unique(np.asarray(out))) <= {0, 255}
    assert 30 <= otsu_threshold(np.asarray(image)) < 200


def _spy_tesseract(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    """Record every Tesseract command run through `run_tesseract` (and its child's environment), with the
    command forced (OPENCHECKS_TESSERACT_CLI=1: no libtesseract in this process)."""
    monkeypatch.setenv("OPENCHECKS_TESSERACT_CLI", "1")
    calls: list[tuple[list[str], dict[str, str]]] = []
    real = recognize.subprocess.run

    def spy(command: list[str], **kwargs: object) -> object:
        env = kwargs.get("env")
        calls.append((list(command), dict(env) if isinstance(env, dict) else {}))
        return real(command, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(recognize.subprocess, "run", spy)
    return calls


def test_image_data_gives_words_boxes_and_confidences(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy_tesseract(monkeypatch)
    image = Image.new("L", (700, 80), 255)
    ImageDraw.Draw(image).text((20, 20), "For mobile deposit", fill=0, font_size=36)
    data = recognize.image_data(image, config="--psm 7")
    words = [(t, c, left) for t, c, left in zip(data["text"], data["conf"], data["left"], strict=True) if t]
    assert [w for w, _, _ in words] == ["For", "mobile", "deposit"]
    assert all(0 < c <= 100 for _, c, _ in words) and words[0][2] < words[1][2] < words[2][2]
    assert all(isinstance(v, int) for v in data["top"] + data["height"] + data["line_num"])
    assert -1.0 in data["conf"]  # the page, block and line rows, as pytesseract gives them
    ((command, env),) = calls
    assert env["OMP_THREAD_LIMIT"] == "1" and command[command.index("--psm") + 1] == "7"


def test_image_data_times_out_as_tesseract_timeout() -> None:
    with pytest.raises(recognize.TesseractTimeout):
        recognize.image_data(Image.new("L", (3000, 3000), 255), timeout=0.001)


def test_the_amount_and_endorsement_readers_run_tesseract_with_one_thread_and_nice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pytesseract left OpenMP's threads on (0.16 s of CPU a call instead of 0.09) and the endorsement reader
    kept the nice level of import time: both readers now run Tesseract as the MICR reader does."""
    import random

    from openchecks.check import amount, back, endorsement
    from openchecks.micr import synth

    calls = _spy_tesseract(monkeypatch)
    monkeypatch.setattr(recognize, "OCR_NICE", 7)
    front, _ = synth.make_front(random.Random(3), style="printed", dpi=200)
    amount.read_amount(front, 200)
    drawn = back.draw_back(
        random.Random(3), endorsement="For mobile deposit only", style="printed", dpi=200, payee="Jo Doe"
    )
    endorsement.read_endorsement(drawn, 200, endorsement.DEFAULT_PHRASES)
    assert len(calls) >= 2
    for command, env in calls:
        assert env.get("OMP_THREAD_LIMIT") == "1" and command[:3] == ["nice", "-n", "7"], command


def test_the_library_reads_what_the_command_reads_and_keeps_its_models_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through libtesseract (openchecks.micr.tessapi) every page gives the text and confidences the command
    gives for it with the same options (MICR hOCR and `eng` TSV, with a whitelist), and a second read in the
    same process loads no model (what a warm container keeps), runs no command, at the nice level asked."""
    require_models()
    from openchecks.micr import tessapi

    line = drawn_line(f"{TRANSIT}121000248{TRANSIT} 4861507788{ON_US} 0150")
    words = Image.new("L", (700, 80), 255)
    ImageDraw.Draw(words).text((20, 20), "For mobile deposit $1,042.00", fill=0, font_size=36)
    crops: list[tuple[Image.Image, str]] = [(line, "raw"), (line, "h48")]
    configs = ("--psm 7", "--psm 6", "--psm 7 -c tessedit_char_whitelist=0123456789$.,")

    def everything() -> list[object]:
        micr = [(r.text, r.confidences) for r in recognize.recognize_lines(crops, "e13b")]
        return [*micr, *(recognize.image_data(words, config=config) for config in configs)]

    monkeypatch.setenv("OPENCHECKS_TESSERACT_CLI", "1")
    by_command = everything()
    monkeypatch.delenv("OPENCHECKS_TESSERACT_CLI")
    by_library = everything()
    assert by_library == by_command
    first = by_command[0]
    assert (
        isinstance(first, tuple)
        and first[0].replace(" ", "") == f"{TRANSIT}121000248{TRANSIT}4861507788{ON_US}0150"
    )
    loads = tessapi.stats()["loads"]
    commands = _spy_tesseract(monkeypatch)
    monkeypatch.delenv("OPENCHECKS_TESSERACT_CLI")
    monkeypatch.setattr(recognize, "OCR_NICE", 7)
    priorities: list[int] = []
    real_read = tessapi._read_page

    def spying(*args: object, **kwargs: object) -> str:
        priorities.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return real_read(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tessapi, "_read_page", spying)
    assert everything() == by_command
    assert (
        commands == [] and priorities and set(priorities) == {min(19, os.getpriority(os.PRIO_PROCESS, 0) + 7)}
    )
    # The nice-7 workers are new threads: they load their own models once, and then never again.
    loads_at_7 = tessapi.stats()["loads"]
    assert everything() == by_command
    assert tessapi.stats()["loads"] == loads_at_7 >= loads


def test_a_kept_handle_forgets_the_dpi_of_the_page_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """--dpi is set per page: a handle kept after a page read at --dpi 300 reads the next page at the
    resolution the command estimates for it (the hOCR page's scan_res), not at 300."""
    from openchecks.micr import tessapi

    if not tessapi.available():
        pytest.skip("needs libtesseract")
    words = Image.new("L", (700, 80), 255)
    ImageDraw.Draw(words).text((20, 20), "For mobile deposit", fill=0, font_size=36)

    def scan_res(options: list[str]) -> str:
        page = recognize.tesseract_pages([words], "eng", ["--psm", "7", *options], "hocr", 0, 10.0)[0]
        found = re.search(r"scan_res (\d+ \d+)", page)
        assert found, page
        return found.group(1)

    monkeypatch.setattr(tessapi, "WORKERS", 1)  # one worker thread: its one handle serves both pages
    monkeypatch.setattr(tessapi, "_POOLS", {})
    monkeypatch.setenv("OPENCHECKS_TESSERACT_CLI", "1")
    by_command = scan_res([])
    monkeypatch.delenv("OPENCHECKS_TESSERACT_CLI")
    loads = tessapi.stats()["loads"]
    assert scan_res(["--dpi", "300"]) == "300 300"
    assert scan_res([]) == by_command != "300 300"
    assert tessapi.stats()["loads"] - loads <= 1


def test_several_crops_in_one_tesseract_run_read_as_one_run_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """recognize_lines loads the model once for all crops (one Tesseract process) and gives every crop the
    text and confidences a run of its own gives; a blank crop is not sent to Tesseract at all."""
    require_models()
    text = f"{TRANSIT}121000248{TRANSIT} 4861507788{ON_US} 0150"
    line = drawn_line(text)
    crops: list[tuple[Image.Image, str]] = [(line, "raw"), (line, "padx16"), (line, "h48")]
    crops.append((Image.new("L", line.size, 250), "raw"))
    monkeypatch.setenv("OPENCHECKS_TESSERACT_CLI", "1")
    one_each = [recognize_line(image, "e13b", prep) for image, prep in crops]
    runs: list[list[str]] = []
    real = recognize.run_tesseract

    def counting(args: list[str], **kwargs: object) -> None:
        runs.append(args)
        real(args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recognize, "run_tesseract", counting)
    together = recognize.recognize_lines(crops, "e13b")
    assert len(runs) == 1
    assert [(r.text, r.confidences) for r in together] == [(r.text, r.confidences) for r in one_each]
    assert together[0].text.replace(" ", "") == text.replace(" ", "")
    assert together[-1].text == ""


def _printed(text: str) -> Image.Image:
    from PIL import ImageFont

    image = Image.new("L", (900, 90), 255)
    ImageDraw.Draw(image).text((20, 20), text, fill=0, font=ImageFont.load_default(size=40))
    return image


def _counting_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    monkeypatch.setenv("OPENCHECKS_TESSERACT_CLI", "1")  # a shared run is the command's (one start-up)
    runs: list[list[str]] = []
    real = recognize.run_tesseract

    def counting(args: list[str], **kwargs: object) -> None:
        runs.append(args)
        real(args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recognize, "run_tesseract", counting)
    return runs


def _in_threads(shared: recognize.SharedRun, calls: list[tuple[Image.Image, str] | None]) -> list[object]:
    """Each call in a thread of its own inside `shared.joined()` (None: a thread that makes no call)."""
    import threading

    out: list[object] = [None] * len(calls)

    def party(k: int) -> None:
        with shared.joined():
            call = calls[k]
            if call is not None:
                out[k] = recognize.image_data(call[0], lang="eng", config=call[1])

    threads = [threading.Thread(target=party, args=(k,)) for k in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return out


def test_a_shared_run_reads_two_threads_images_in_one_tesseract_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two threads' first calls (the amount and the endorsement in read_both): one Tesseract process, and
    each thread gets exactly the words a run of its own gives."""
    first, second = _printed("For mobile deposit only"), _printed("One thousand forty-two and 00/100")
    alone = [recognize.image_data(image, lang="eng", config="--psm 6") for image in (first, second)]
    runs = _counting_runs(monkeypatch)
    together = _in_threads(
        recognize.SharedRun(parties=2, wait=20.0), [(first, "--psm 6"), (second, "--psm 6")]
    )
    assert len(runs) == 1
    assert together == alone
    assert "mobile" in " ".join(alone[0]["text"])


def test_a_shared_run_does_not_wait_for_a_thread_that_withdrew(monkeypatch: pytest.MonkeyPatch) -> None:
    """A party that leaves without a call (no ink on the back, a failed reader) lets the other run at once,
    and calls with other options are not merged."""
    import time

    image = _printed("For mobile deposit only")
    runs = _counting_runs(monkeypatch)
    started = time.monotonic()
    out = _in_threads(recognize.SharedRun(parties=2, wait=20.0), [(image, "--psm 6"), None])
    assert time.monotonic() - started < 10
    assert len(runs) == 1 and out[0] is not None
    runs.clear()
    _in_threads(recognize.SharedRun(parties=2, wait=20.0), [(image, "--psm 6"), (image, "--psm 11")])
    assert len(runs) == 2
