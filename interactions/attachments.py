"""Images, both ways: what an agent attaches before it is sent, and what a customer sent before an agent sees it.

Only what Pillow decodes as JPEG, PNG, GIF or WEBP within X's limits passes, and only its pixels are kept: it is
re-encoded from them, without EXIF, comments, XMP, text chunks, application extensions or a colour profile (applied
to the pixels first), so nothing hidden in a file (a polyglot's <script>, a GPS position) survives. Its type and
extension come from the decoder, never from a file name or a URL. The limits live here, once, for every caller
(the composer's own check in the browser reads MAX_BYTES from the page); downloading from X is the X app's.
"""

import io
import warnings
from dataclasses import dataclass

from PIL import GifImagePlugin, Image, ImageCms, ImageOps, ImageSequence

MAX_BYTES = 5 * 1024 * 1024  # X's limit for images (x-api/media/quickstart/best-practices.mdx): what an agent sends
MAX_MB = MAX_BYTES // 1024 // 1024
TOO_BIG = f"The image is over {MAX_MB} MB; X accepts at most {MAX_MB} MB."  # an upload refused before it is read
MAX_PIXELS = 36_000_000  # about 6000 × 6000; more is a decompression bomb, not a photo
# X's limits for animated GIFs ("a GIF may fail during Post creation" beyond them). X allows 300 million pixels in
# all (width × height × frames), but at that size one GIF took 65 s and 1.5 GB to re-encode (bench/images.py): Perch
# gives an animation the pixel budget of one photo. The probe's 200 frames of 2000 × 2000 (785 KB) had locked the
# database for 50 s.
MAX_GIF_WIDTH, MAX_GIF_HEIGHT = 1280, 1080
MAX_GIF_FRAMES = 350
MAX_GIF_PIXELS = MAX_PIXELS  # width × height × frames
FORMATS = {  # Pillow's name → (extension, Content-Type)
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# Frames that share the GIF's palette stay palette images instead of RGB: re-encoding them skips quantizing (5× faster).
GifImagePlugin.LOADING_STRATEGY = GifImagePlugin.LoadingStrategy.RGB_AFTER_DIFFERENT_PALETTE_ONLY


class ImageRejected(ValueError):
    """The file is not an image Perch will send or show; the message says why, in words an agent understands."""


@dataclass(frozen=True)
class PreparedImage:
    content: bytes
    format: str  # Pillow's name, a key of FORMATS
    width: int
    height: int

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]

    @property
    def filename(self) -> str:
        return f"image.{self.extension}"


def prepare_image(data: bytes, *, max_bytes: int = MAX_BYTES) -> PreparedImage:
    """Accepts JPEG, PNG, GIF or WEBP up to `max_bytes` (MAX_BYTES) and 36 megapixels (in all the frames of an animated
    GIF, which X also limits to 1280 × 1080 and 350 frames); returns it re-encoded from its pixels alone. Raises
    ImageRejected, saying why."""
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The image is {_mb(len(data)):.1f} MB; X accepts at most {_mb(max_bytes):.0f} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise ImageRejected(f"{image.format} images are not accepted; send JPEG, PNG, GIF or WEBP.")
            frames = _check_size(image)
            content, (width, height) = _reencode(image, frames)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("The image is far too large in pixels to be a real photo; it was refused.") from exc
    except Exception as exc:  # noqa: BLE001  (a hostile file makes Pillow raise almost anything: all mean "unreadable")
        raise ImageRejected("This file is not an image Perch can read (JPEG, PNG, GIF or WEBP).") from exc
    if len(content) > max_bytes:
        raise ImageRejected(f"The image is over {_mb(max_bytes):.0f} MB once prepared for X; send a smaller one.")
    return PreparedImage(content, image.format, width, height)


def stored_image_type(file) -> PreparedImage | None:
    """What a stored file is, by its decoder's reading of its header: an empty PreparedImage (format and size) for
    JPEG, PNG, GIF or WEBP, None for anything else — rows stored before re-encoding may hold pages or scripts."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(file)
    except Exception:  # noqa: BLE001  (not an image, or a hostile one: either way not served)
        return None
    if image.format not in FORMATS:
        return None
    return PreparedImage(b"", image.format, image.width, image.height)


def _mb(size: int) -> float:
    return size / 1024 / 1024


def _check_size(image: Image.Image) -> int:
    """Refuses, before decoding anything, what would cost too much to decode; returns the frames to re-encode."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        most = MAX_PIXELS // 1_000_000
        raise ImageRejected(f"The image is {width} × {height} pixels; Perch accepts at most {most} megapixels.")
    frames = image.n_frames if image.format == "GIF" else 1  # animated PNG and WEBP: their first frame is sent
    if frames == 1:
        return 1
    described = f"The animated GIF has {frames} frames of {width} × {height} pixels"
    if width > MAX_GIF_WIDTH or height > MAX_GIF_HEIGHT:
        raise ImageRejected(f"{described}; X accepts animated GIFs of at most {MAX_GIF_WIDTH} × {MAX_GIF_HEIGHT}.")
    if frames > MAX_GIF_FRAMES:
        raise ImageRejected(f"{described}; X accepts at most {MAX_GIF_FRAMES} frames.")
    if width * height * frames > MAX_GIF_PIXELS:
        total = round(width * height * frames / 1_000_000)
        raise ImageRejected(
            f"{described} ({total} million); Perch accepts at most {MAX_GIF_PIXELS // 1_000_000} million pixels in all."
        )
    return frames


def _bare(picture: Image.Image) -> Image.Image:
    """Forgets everything the decoder read besides the pixels (and which palette entry is transparent)."""
    transparency = picture.info.get("transparency")
    picture.info = {} if transparency is None else {"transparency": transparency}
    return picture


def _in_srgb(image: Image.Image) -> Image.Image:
    """Applies the photo's colour profile to its pixels; the profile is not sent (its bytes are anyone's to write)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, SRGB, outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: the pixels as they are


def _reencode(image: Image.Image, frames: int) -> tuple[bytes, tuple[int, int]]:
    out = io.BytesIO()
    if frames > 1:  # an animated GIF: every frame, its timing and looping, and nothing else
        loop = {"loop": image.info["loop"]} if "loop" in image.info else {}
        durations, pictures = [], []
        for frame in ImageSequence.Iterator(image):
            durations.append(frame.info.get("duration", 0))
            pictures.append(_bare(frame.copy()))
        pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=durations, comment=b"", **loop)
        return out.getvalue(), image.size
    image.load()
    try:
        ImageOps.exif_transpose(image, in_place=True)  # upright as its EXIF says, since that EXIF is not sent
    except (OSError, ValueError, TypeError, SyntaxError):
        pass  # unreadable EXIF: the pixels as they are
    picture = _bare(_in_srgb(image))
    if image.format == "JPEG":
        picture = picture if picture.mode == "RGB" else picture.convert("RGB")
        picture.save(out, "JPEG", quality=90, optimize=True, comment=b"")
    elif image.format == "GIF":
        picture.save(out, "GIF", comment=b"")
    elif image.format == "WEBP":
        picture.save(out, "WEBP", quality=90)
    else:
        picture.save(out, "PNG", optimize=True)
    return out.getvalue(), picture.size
