"""Images an agent attaches: checked, re-encoded and stripped before they go anywhere near X."""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024  # X's limit for DM images (tweet images too)
MAX_PIXELS = 36_000_000  # about 6000 × 6000; more is a decompression bomb, not a photo
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


class ImageRejected(ValueError):
    """The upload is not an image Perch will send; the message says why, in words an agent understands."""


@dataclass(frozen=True)
class PreparedImage:
    content: bytes
    extension: str
    width: int
    height: int

    @property
    def filename(self) -> str:
        return f"image.{self.extension}"


def prepare_image(data: bytes) -> PreparedImage:
    """Accepts JPEG, PNG, GIF or WEBP up to 5 MB and 36 megapixels; returns it re-encoded without EXIF."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"The image is {len(data) / 1024 / 1024:.1f} MB; X accepts at most 5 MB.")
    if not data:
        raise ImageRejected("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected(
                    f"The image is {image.width} × {image.height} pixels; Perch accepts at most 36 megapixels."
                )
            image_format = image.format
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("The image is far too large in pixels to be a real photo; it was refused.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ImageRejected("This file is not an image Perch can read (JPEG, PNG, GIF or WEBP).") from exc
    if image_format not in ALLOWED_FORMATS:
        raise ImageRejected(f"{image_format} images are not accepted; send JPEG, PNG, GIF or WEBP.")
    return _reencode(image, image_format)


def _reencode(image: Image.Image, image_format: str) -> PreparedImage:
    """Saving a fresh copy drops EXIF (location, camera) and anything hidden after the image data."""
    out = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif image_format == "GIF":
        image.save(out, "GIF", save_all=getattr(image, "is_animated", False))
    elif image_format == "WEBP":
        image.save(out, "WEBP", quality=90)
    else:
        image.save(out, "PNG", optimize=True)
    if out.tell() > MAX_BYTES:
        raise ImageRejected("The image is over 5 MB once prepared for X; send a smaller one.")
    return PreparedImage(out.getvalue(), ALLOWED_FORMATS[image_format], image.width, image.height)
