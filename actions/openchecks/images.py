"""Check-image validation and the derived copies: a normalised image for reading, and archive JPEGs.

`validate_image`/`decode` accept only what the pipeline can read safely: at most 10 MB, a JPEG, PNG or
TIFF that decodes completely, at most 40 megapixels (checked from the header before any pixel is decoded,
so a decompression bomb costs nothing), with the EXIF orientation applied. `archive_copies` makes the
1200 px and 300 px wide JPEGs the UI shows.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps

from openchecks.errors import TooLarge, UnsupportedMedia

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff"}
ARCHIVE_WIDTHS = {"large": 1200, "small": 300}
ARCHIVE_QUALITY = 85

# Pillow's own bomb guard raises above 2x its limit and only warns between; ours is explicit and lower.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# A truncated file must fail, never be padded with grey.
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class ImageInfo:
    """What validation learnt about an accepted image (width/height after EXIF orientation)."""

    format: str
    content_type: str
    width: int
    height: int
    size: int

    def to_dict(self) -> dict[str, object]:
        return {
            "format": self.format,
            "content_type": self.content_type,
            "width": self.width,
            "height": self.height,
            "size": self.size,
        }


def check_size(size: int) -> None:
    """Raise when a file of `size` bytes cannot be a check image (empty or over 10 MB)."""
    if size <= 0:
        raise UnsupportedMedia("The file is empty; choose a photo or scan of the check.", code="image_empty")
    if size > MAX_IMAGE_BYTES:
        raise TooLarge(
            f"The image is {size / 1048576:.1f} MB; the limit is {MAX_IMAGE_BYTES // 1048576} MB. "
            "Take the photo at a lower resolution or crop it.",
            code="image_too_large",
        )


def _open(data: bytes) -> Image.Image:
    check_size(len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Exception as exc:  # decoders raise many types on hostile input; each one means "not readable"
        if isinstance(exc, Image.DecompressionBombWarning | Image.DecompressionBombError):
            raise TooLarge(
                "The image has too many pixels; the limit is 40 megapixels.", code="image_too_many_pixels"
            ) from None
        raise UnsupportedMedia(
            "The file is not an image we can read; upload a JPEG, PNG or TIFF photo of the check.",
            code="image_unreadable",
        ) from None
    if image.format not in ALLOWED_FORMATS:
        raise UnsupportedMedia(
            f"{image.format or 'This'} images are not accepted; upload a JPEG, PNG or TIFF.",
            code="image_unsupported_type",
        )
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise TooLarge(
            f"The image is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels); the limit "
            "is 40 megapixels.",
            code="image_too_many_pixels",
        )
    return image


def load_image(data: bytes) -> Image.Image:
    """Decode `data` completely after the size, type and pixel checks, with EXIF orientation applied.

    Raises UnsupportedMedia (not an image, unsupported type, truncated or corrupt) or TooLarge."""
    image = _open(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            # In place: the decoded image is ours alone, and without an orientation tag the copy that
            # exif_transpose returns otherwise is a second full-size image for nothing.
            ImageOps.exif_transpose(image, in_place=True)
    except Exception as exc:  # a damaged file can fail anywhere in a decoder or in the EXIF parser
        raise UnsupportedMedia(
            "The image file is damaged or incomplete (it could not be decoded); upload it again.",
            code="image_corrupt",
        ) from exc
    return image


def decode(data: bytes) -> tuple[ImageInfo, Image.Image]:
    """Validate `data` as a check image and decode it once: (description, oriented image)."""
    fmt = _open(data).format or ""
    image = load_image(data)
    info = ImageInfo(
        format=fmt, content_type=ALLOWED_FORMATS[fmt], width=image.width, height=image.height, size=len(data)
    )
    return info, image


def validate_image(data: bytes) -> ImageInfo:
    """Validate `data` as a check image and return its description (see the module docstring)."""
    return decode(data)[0]


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit scans: scale to 8 bits instead of clipping everything above 255 to white.
        return image.point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def jpeg_of_width(image: Image.Image, width: int) -> bytes:
    """A JPEG at most `width` pixels wide (never enlarged), aspect ratio kept."""
    rgb = _to_rgb(image)
    if rgb.width > width:
        height = max(1, round(rgb.height * width / rgb.width))
        # reducing_gap=1.0: the largest integer reduce (box averaging) first, then Lanczos for the rest. A
        # 200 dpi personal check (1200 px) to 300 px is then a 4x4 box average: 1.3 ms instead of 6.3 ms
        # with a gap of 2.0 (a 2x reduce and Lanczos from 600 px), 39 dB from a Lanczos-only resize, as far
        # as the JPEG at quality 85 itself is from its input.
        rgb = rgb.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=1.0)
    out = io.BytesIO()
    # comment=b"": Pillow would otherwise copy the upload's JPEG comment (attacker text) into the copy.
    rgb.save(out, format="JPEG", quality=ARCHIVE_QUALITY, comment=b"")
    return out.getvalue()


def archive_copies(image: Image.Image) -> dict[str, bytes]:
    """{"large": 1200 px JPEG, "small": 300 px JPEG} of an oriented image."""
    return {name: jpeg_of_width(image, width) for name, width in ARCHIVE_WIDTHS.items()}
