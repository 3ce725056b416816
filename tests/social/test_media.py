"""Images agents attach: only real, reasonable images go to X, re-encoded without EXIF."""

import io

import pytest
from PIL import Image

from social.media import ImageRejected, prepare_image


def image_bytes(fmt="JPEG", size=(64, 48), exif=None) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **kwargs)
    return out.getvalue()


@pytest.mark.parametrize("fmt,extension", [("JPEG", "jpg"), ("PNG", "png"), ("GIF", "gif"), ("WEBP", "webp")])
def test_the_four_formats_x_accepts_pass(fmt, extension):
    prepared = prepare_image(image_bytes(fmt))
    assert (prepared.extension, prepared.width, prepared.height) == (extension, 64, 48)
    assert Image.open(io.BytesIO(prepared.content)).format == fmt


def test_exif_such_as_gps_position_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # camera maker
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    original = image_bytes("JPEG", exif=exif)
    assert b"SpyCam" in original
    prepared = prepare_image(original)
    assert b"SpyCam" not in prepared.content
    assert not Image.open(io.BytesIO(prepared.content)).getexif()


def test_a_fake_image_is_refused_with_a_clear_message():
    with pytest.raises(ImageRejected, match="not an image Perch can read"):
        prepare_image(b"%PDF-1.7 this is a PDF renamed to photo.jpg")


def test_an_oversized_file_is_refused_before_decoding():
    with pytest.raises(ImageRejected, match=r"5\.\d MB; X accepts at most 5 MB"):
        prepare_image(b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 100))


def test_a_decompression_bomb_is_refused():
    # A tiny PNG claiming 20000 × 20000 pixels: small on disk, 1.2 GB once decoded.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    with pytest.raises(ImageRejected, match="pixels"):
        prepare_image(out.getvalue())


def test_other_image_formats_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "BMP")
    with pytest.raises(ImageRejected, match="BMP images are not accepted"):
        prepare_image(out.getvalue())
