"""Image validation against the bad inputs the API must refuse, EXIF orientation, and the archive copies."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from openchecks import images
from openchecks.errors import TooLarge, UnsupportedMedia
from PIL import Image


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


@pytest.mark.parametrize(
    "fmt,content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("TIFF", "image/tiff")]
)
def test_accepted_formats(fmt: str, content_type: str) -> None:
    data = encode(Image.new("RGB", (320, 140), (200, 200, 200)), fmt)
    info = images.validate_image(data)
    assert (info.format, info.content_type, info.width, info.height, info.size) == (
        fmt,
        content_type,
        320,
        140,
        len(data),
    )


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "WEBP"])
def test_other_image_types_are_unsupported(fmt: str) -> None:
    data = encode(Image.new("RGB", (50, 50)), fmt)
    with pytest.raises(UnsupportedMedia) as info:
        images.validate_image(data)
    assert info.value.code == "image_unsupported_type"
    assert info.value.status == 415


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is not an image",
        b"%PDF-1.4\n",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"\x89PNG\r\n\x1a\n" + b"\0" * 20,
    ],
)
def test_non_images_are_unreadable(data: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as info:
        images.validate_image(data)
    assert info.value.code in ("image_unreadable", "image_corrupt")


def test_zero_bytes_is_refused() -> None:
    with pytest.raises(UnsupportedMedia) as info:
        images.validate_image(b"")
    assert info.value.code == "image_empty"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_refused(fmt: str) -> None:
    noisy = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    data = encode(noisy, fmt)
    with pytest.raises(UnsupportedMedia) as info:
        images.validate_image(data[: len(data) // 2])
    assert info.value.code in ("image_corrupt", "image_unreadable")


def test_over_ten_megabytes_is_refused_before_decoding() -> None:
    data = encode(Image.new("RGB", (10, 10)), "PNG") + b"\0" * (images.MAX_IMAGE_BYTES + 1)
    with pytest.raises(TooLarge) as info:
        images.validate_image(data)
    assert info.value.code == "image_too_large" and info.value.status == 413


def test_over_forty_megapixels_is_refused() -> None:
    data = encode(Image.new("1", (8000, 5001)), "PNG")  # 40.008 MP, a few kB on disk
    assert len(data) < 100_000
    with pytest.raises(TooLarge) as info:
        images.validate_image(data)
    assert info.value.code == "image_too_many_pixels"


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with a few bytes of pixel data: a bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_without_decoding() -> None:
    data = png_claiming(30000, 30000)  # 900 MP declared in about 100 bytes
    with pytest.raises(TooLarge) as info:
        images.validate_image(data)
    assert info.value.code == "image_too_many_pixels"


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = encode(Image.new("RGB", (600, 200), (255, 255, 255)), "JPEG", exif=exif)
    info = images.validate_image(data)
    assert (info.width, info.height) == (200, 600)
    assert images.load_image(data).size == (200, 600)


def test_archive_copies_are_jpegs_of_the_right_widths() -> None:
    picture = images.load_image(encode(Image.new("RGBA", (2400, 1100), (10, 20, 30, 128)), "PNG"))
    copies = images.archive_copies(picture)
    large = Image.open(io.BytesIO(copies["large"]))
    small = Image.open(io.BytesIO(copies["small"]))
    assert (large.format, large.size) == ("JPEG", (1200, 550))
    assert (small.format, small.size) == ("JPEG", (300, 138))


def test_archive_copy_never_enlarges() -> None:
    copies = images.archive_copies(images.load_image(encode(Image.new("L", (250, 100)), "PNG")))
    assert Image.open(io.BytesIO(copies["large"])).size == (250, 100)


def test_sixteen_bit_tiff_archive_copy_is_scaled_to_eight_bits() -> None:
    deep = Image.new("I;16", (64, 32), 40000)
    info, picture = images.decode(encode(deep, "TIFF"))
    assert (info.format, info.width, info.height) == ("TIFF", 64, 32)
    normal = Image.open(io.BytesIO(images.archive_copies(picture)["small"]))
    assert normal.format == "JPEG" and normal.mode == "RGB"
    red = normal.getchannel("R").getpixel((0, 0))
    assert isinstance(red, int) and 150 < red < 160  # 40000/256, not clipped to 255
