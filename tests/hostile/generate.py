"""The hostile-file corpus, generated deterministically (same bytes on every run) into a directory.

    python -m tests.hostile.generate OUTDIR      # writes every file and prints one line per case

Nothing large is committed: the bomb, the 100-megapixel TIFF and the 11 MB file are built here at test time.
Each `FileCase` says what the API must do with the upload when it is confirmed:
- `status` 4xx + `code`: the confirm call refuses it with that JSON error, and nothing is kept (the object
  and the draft deposit are deleted);
- `status` 202: the file really is a decodable JPEG/PNG/TIFF (a polyglot, odd EXIF); it is processed and
  must end in a final status, and the archive copies the UI shows must not carry the hidden payload.
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

# Bytes that must never survive into an archive copy of an accepted polyglot.
PAYLOAD_MARKERS = (b"PK\x03\x04", b"<script", b"alert(")


@dataclass(frozen=True)
class FileCase:
    """One hostile upload: file name, content type declared when creating the deposit, the answer."""

    name: str
    content_type: str
    status: int
    code: str
    build: Callable[[], bytes]
    what: str


def _check_like(size: tuple[int, int] = (640, 280)) -> Image.Image:
    image = Image.new("RGB", size, (244, 242, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, size[0] - 9, size[1] - 9), outline=(40, 40, 40), width=2)
    draw.text((30, 30), "PAY TO THE ORDER OF  hostile corpus", fill=(0, 0, 0))
    draw.text((30, size[1] - 40), "A063100277A 123456789C 0042", fill=(0, 0, 0))
    return image


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def jpeg() -> bytes:
    return _encode(_check_like(), "JPEG", quality=80)


def png() -> bytes:
    return _encode(_check_like(), "PNG")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A 1-bit greyscale PNG whose header claims `width` x `height` (400 megapixels) in about 50 KB."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    block = row * 256
    body = b"".join(packer.compress(block) for _ in range(height // 256))
    body += packer.compress(row * (height % 256)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def tiff_100mp() -> bytes:
    """A real 10000 x 10000 bilevel TIFF (100 megapixels), CCITT group 4 compressed to a few KB."""
    return _encode(Image.new("1", (10000, 10000), 1), "TIFF", compression="group4")


def truncated_jpeg() -> bytes:
    data = jpeg()
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = png()
    return data[: int(len(data) * 0.6)]


def jpeg_zip_polyglot() -> bytes:
    """A valid JPEG with a ZIP (holding an HTML page with a script) appended: both parsers accept it."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.html", "<html><script>alert(document.cookie)</script></html>")
    return jpeg() + archive.getvalue()


def jpeg_script_comment() -> bytes:
    """A valid JPEG whose COM segment holds markup."""
    return _encode(_check_like(), "JPEG", quality=80, comment=b"<script>alert(1)</script>")


def gif_js_polyglot() -> bytes:
    """GIF89a header that is also a JavaScript statement (the classic GIFAR/GIF-JS trick)."""
    return b"GIF89a/*\x0a\x00\x0a\x00\x00\x00\x00*/=1;alert(document.domain);//" + b"\x00" * 32 + b";"


def exif_huge() -> bytes:
    """A JPEG whose EXIF ImageDescription and UserComment fill the 64 KB APP1 segment."""
    exif = Image.Exif()
    exif[0x010E] = "D" * 30000  # ImageDescription
    exif[0x013B] = "<script>alert(1)</script>" + "A" * 20000  # Artist
    return _encode(_check_like(), "JPEG", quality=80, exif=exif.tobytes())


def exif_bad_orientation() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 9999  # Orientation outside 1..8
    return _encode(_check_like(), "JPEG", quality=80, exif=exif.tobytes())


def exif_malformed() -> bytes:
    """EXIF whose first IFD claims 65535 entries with no data behind it, and an offset past the end."""
    raw = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0xFFFF) + b"\x00" * 10
    return _encode(_check_like(), "JPEG", quality=80, exif=raw)


def over_10_mb() -> bytes:
    """11 MB that start like a JPEG (the size alone must refuse it, without decoding)."""
    return b"\xff\xd8\xff\xe0" + bytes(range(256)) * (11 * 4096)


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="600" height="260">'
    b'<script>alert(document.cookie)</script><rect width="600" height="260" fill="white"/></svg>'
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>fetch('/api/v1/namespaces')</script></body></html>"

FILES: tuple[FileCase, ...] = (
    FileCase(
        "not-an-image.txt",
        "image/jpeg",
        415,
        "image_unreadable",
        lambda: b"this is a plain text file, not a photo of a check\n" * 40,
        "plain text",
    ),
    FileCase("zero-bytes.jpg", "image/jpeg", 415, "image_empty", lambda: b"", "empty file"),
    FileCase("truncated.jpg", "image/jpeg", 415, "image_corrupt", truncated_jpeg, "JPEG cut in half"),
    FileCase("truncated.png", "image/png", 415, "image_corrupt", truncated_png, "PNG cut at 60 %"),
    FileCase(
        "bomb.png",
        "image/png",
        413,
        "image_too_many_pixels",
        png_bomb,
        "PNG decompression bomb, 20000x20000 in ~50 KB",
    ),
    FileCase(
        "100mp.tiff", "image/tiff", 413, "image_too_many_pixels", tiff_100mp, "10000x10000 TIFF (100 MP)"
    ),
    FileCase("script.svg", "image/jpeg", 415, "image_unreadable", lambda: SVG, "SVG with <script>"),
    FileCase("page.html", "image/png", 415, "image_unreadable", lambda: HTML, "HTML page with a script"),
    FileCase("macro.pdf", "image/jpeg", 415, "image_unreadable", lambda: PDF, "PDF with JavaScript"),
    FileCase("gif-js.gif", "image/jpeg", 415, "image_unreadable", gif_js_polyglot, "GIF + JS polyglot"),
    FileCase(
        "real.gif",
        "image/png",
        415,
        "image_unsupported_type",
        lambda: _encode(_check_like(), "GIF"),
        "a real GIF (unsupported type)",
    ),
    FileCase(
        "real.bmp",
        "image/png",
        415,
        "image_unsupported_type",
        lambda: _encode(_check_like(), "BMP"),
        "a real BMP (unsupported type)",
    ),
    FileCase(
        "real.webp",
        "image/jpeg",
        415,
        "image_unsupported_type",
        lambda: _encode(_check_like(), "WEBP"),
        "a real WebP (unsupported type)",
    ),
    FileCase("over-10mb.jpg", "image/jpeg", 413, "image_too_large", over_10_mb, "11 MB"),
    FileCase(
        "header-only.jpg",
        "image/jpeg",
        415,
        "image_unreadable",
        lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200,
        "JPEG SOI + garbage",
    ),
    FileCase("jpeg-zip.jpg", "image/jpeg", 202, "", jpeg_zip_polyglot, "JPEG + ZIP polyglot (a valid JPEG)"),
    FileCase("jpeg-comment.jpg", "image/jpeg", 202, "", jpeg_script_comment, "JPEG with <script> in COM"),
    FileCase("exif-huge.jpg", "image/jpeg", 202, "", exif_huge, "EXIF fields of 30 KB and 20 KB"),
    FileCase("exif-orientation.jpg", "image/jpeg", 202, "", exif_bad_orientation, "EXIF orientation 9999"),
    FileCase("exif-malformed.jpg", "image/jpeg", 202, "", exif_malformed, "EXIF IFD claiming 65535 entries"),
)


def generate(outdir: Path) -> dict[str, Path]:
    """Write every file of FILES into `outdir`; returns name -> path."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for case in FILES:
        path = outdir / case.name
        path.write_bytes(case.build())
        paths[case.name] = path
    return paths


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.hostile.generate OUTDIR", file=sys.stderr)
        return 2
    for name, path in generate(Path(argv[0])).items():
        print(f"{name}\t{path.stat().st_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
