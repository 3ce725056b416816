"""Images agents attach: only real, reasonable images go to X, re-encoded without EXIF."""

import io

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from interactions.attachments import ImageRejected, prepare_image


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


# --- Metadata: nothing but pixels goes to X (a polyglot's <script> hid in a JPEG comment and survived) ------------
SCRIPT = b"<script>alert('perch')</script>"


def gif_blocks(data: bytes) -> tuple[bytes, list[bytes]]:
    """Splits a GIF into its head (header, screen, global colours) and its blocks (extensions and frames)."""
    packed = data[10]
    head_end = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    blocks, at = [], head_end
    while data[at] != 0x3B:
        start = at
        if data[at] == 0x21:
            at += 2
        else:  # an image: descriptor, local colours, LZW code size
            local = data[at + 9]
            at += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0) + 1
        while data[at]:
            at += data[at] + 1
        at += 1
        blocks.append(data[start:at])
    return data[:head_end], blocks


def sub_blocks(payload: bytes) -> bytes:
    pieces = [payload[i : i + 255] for i in range(0, len(payload), 255)]
    return b"".join(bytes([len(piece)]) + piece for piece in pieces) + b"\0"


def animated_gif(frames: int, size: tuple[int, int]) -> bytes:
    """An animated GIF of `frames` copies of one solid frame, built from Pillow's bytes (encoding 200 big frames
    with Pillow takes a quarter of a minute; copying one encoded frame takes nothing)."""
    out = io.BytesIO()
    Image.new("P", size, 1).save(out, "GIF", duration=40)
    head, blocks = gif_blocks(out.getvalue())
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return head + loop + b"".join(blocks) * frames + b";"


def test_a_jpeg_comment_is_stripped():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, "JPEG", comment=SCRIPT)
    assert SCRIPT in out.getvalue()
    prepared = prepare_image(out.getvalue())
    assert SCRIPT not in prepared.content
    assert "comment" not in Image.open(io.BytesIO(prepared.content)).info


@pytest.mark.parametrize("frames", [1, 3], ids=["still", "animated"])
def test_gif_comments_and_application_extensions_are_stripped(frames):
    out = io.BytesIO()
    images = [Image.new("RGB", (40, 30), (80 * i, 200, 40)) for i in range(frames)]
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], comment=SCRIPT, duration=80, loop=0)
    head, blocks = gif_blocks(out.getvalue())
    xmp = b"\x21\xff\x0bXMP DataXMP" + sub_blocks(b"<x:xmpmeta>" + SCRIPT + b"</x:xmpmeta>")
    comment = b"\x21\xfe" + sub_blocks(SCRIPT)
    original = head + xmp + blocks[0] + comment + b"".join(blocks[1:]) + b";"  # a comment before a later frame too
    assert Image.open(io.BytesIO(original)).n_frames == frames
    prepared = prepare_image(original)
    assert SCRIPT not in prepared.content and b"XMP" not in prepared.content
    reopened = Image.open(io.BytesIO(prepared.content))
    assert (reopened.format, reopened.n_frames, "comment" in reopened.info) == ("GIF", frames, False)
    if frames > 1:
        assert (reopened.info["duration"], reopened.info["loop"]) == (80, 0)  # the animation itself is kept


def test_png_text_chunks_exif_and_xmp_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    info.add_text("Software", SCRIPT.decode(), zip=True)
    info.add_itxt("XML:com.adobe.xmp", SCRIPT.decode())
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 10, 200)).save(out, "PNG", pnginfo=info, exif=exif)
    original = out.getvalue()
    assert SCRIPT in original and b"SpyCam" in original
    prepared = prepare_image(original)
    assert SCRIPT not in prepared.content and b"SpyCam" not in prepared.content
    assert not {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} & chunk_types(prepared.content)


def test_webp_exif_and_xmp_are_stripped():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."
    Image.new("RGB", (40, 30), (200, 200, 10)).save(out, "WEBP", exif=exif, xmp=SCRIPT)
    assert SCRIPT in out.getvalue()
    prepared = prepare_image(out.getvalue())
    assert SCRIPT not in prepared.content and b"SpyCam" not in prepared.content


def test_an_icc_profile_is_applied_to_the_pixels_and_not_sent():
    # A profile is the photo's colours, but also bytes anyone can write: Perch converts to sRGB and drops it.
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (180, 60, 20)).save(out, "PNG", icc_profile=srgb)
    prepared = prepare_image(out.getvalue())
    reopened = Image.open(io.BytesIO(prepared.content))
    assert "icc_profile" not in reopened.info
    assert all(abs(a - b) <= 2 for a, b in zip(reopened.convert("RGB").getpixel((5, 5)), (180, 60, 20), strict=True))
    broken = io.BytesIO()
    Image.new("RGB", (40, 30)).save(broken, "JPEG", icc_profile=SCRIPT * 10)  # not a profile at all
    assert SCRIPT not in prepare_image(broken.getvalue()).content


def chunk_types(png_bytes: bytes) -> set[bytes]:
    types, at = set(), 8
    while at < len(png_bytes):
        length = int.from_bytes(png_bytes[at : at + 4], "big")
        types.add(png_bytes[at + 4 : at + 8])
        at += 12 + length
    return types


# --- Animated GIFs: X's limits on frames and pixels, checked before a single frame is decoded --------------------
@pytest.mark.timeout(10)  # decoding and re-encoding this GIF took 50 s, inside the send's transaction
def test_the_probes_gif_200_frames_of_2000_by_2000_is_refused_at_once_with_the_reason():
    data = animated_gif(200, (2000, 2000))
    assert len(data) < 800_000  # 785 KB on the wire, 800 million pixels decoded
    with pytest.raises(ImageRejected, match=r"200 frames of 2000 × 2000 pixels.*at most 1280 × 1080"):
        prepare_image(data)


@pytest.mark.timeout(10)
def test_an_animated_gif_over_36_million_pixels_in_all_is_refused():
    # X's limit is 300 million, which took 65 s and 1.5 GB to re-encode: Perch gives an animation one photo's budget.
    with pytest.raises(ImageRejected, match=r"30 frames of 1280 × 1080 pixels \(41 million\).*at most 36 million"):
        prepare_image(animated_gif(30, (1280, 1080)))


def test_an_animated_gif_over_350_frames_is_refused():
    with pytest.raises(ImageRejected, match=r"351 frames.*at most 350"):
        prepare_image(animated_gif(351, (20, 20)))


def test_an_animated_gif_within_xs_limits_keeps_its_frames_and_timing():
    frames = [Image.new("RGB", (320, 240), (2 * i, 100, 255 - 2 * i)) for i in range(120)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=60, loop=3)
    prepared = prepare_image(out.getvalue())
    reopened = Image.open(io.BytesIO(prepared.content))
    assert (prepared.extension, prepared.content_type, reopened.n_frames) == ("gif", "image/gif", 120)
    assert (reopened.info["duration"], reopened.info["loop"]) == (60, 3)


def test_a_photo_is_turned_upright_as_its_exif_said_before_the_exif_is_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was held on its side
    prepared = prepare_image(image_bytes("JPEG", size=(64, 48), exif=exif))
    assert (prepared.width, prepared.height) == (48, 64)
    assert not Image.open(io.BytesIO(prepared.content)).getexif()
