"""python -m bench.images — what preparing an image costs (interactions.attachments.prepare_image), at its limits.

Each case runs in a forked child, so its time and peak memory are its own: the largest images Perch accepts (36
megapixels as JPEG, PNG and WEBP; animated GIFs of 36 million pixels in all, with one palette and with a palette
per frame), and what it refuses before decoding (X's 300 million pixels, which Perch does not take; the probe's 200
frames of 2000 × 2000; a GIF of 250,000 frames). "plain Pillow" decodes and saves the file as it is (its baseline
and, for X's 300 million, what accepting it would cost).
Since the send's transaction no longer holds the image work (interactions/outbox.py), these times are the agent's
wait for Send, never a lock other requests wait behind. Baseline: Pillow decoding and saving the same file plainly.
"""

import io
import multiprocessing
import resource
import time

from bench._common import report

ROUNDS = 1


def gradient(size: tuple[int, int]):
    from PIL import Image

    base = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (base, base.rotate(90), base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def still(fmt: str) -> bytes:
    out = io.BytesIO()
    gradient((6000, 6000)).save(out, fmt, **({} if fmt == "PNG" else {"quality": 80}))
    return out.getvalue()


PALETTE = [0, 0, 0, 200, 40, 40, 40, 40, 200, 40, 200, 40]


def gif(frames: int, size: tuple[int, int], *, palettes: bool = False) -> bytes:
    """`frames` frames alternating between two encoded ones: drawn from the global palette (the cheap case:
    frames stay palette images), or the second with a palette of its own (every frame decodes to RGB)."""
    from PIL import Image

    from tests.interactions.test_attachments import gif_blocks

    def encoded(index: int, palette: list[int]) -> tuple[bytes, bytes]:
        out = io.BytesIO()
        image = Image.new("P", size, index)
        image.putpalette(palette)
        image.save(out, "GIF", optimize=False)
        head, blocks = gif_blocks(out.getvalue())
        return head, b"".join(blocks)

    head, first = encoded(1, PALETTE)
    if palettes:
        second_palette = PALETTE[3:] + PALETTE[:3]
        pair = io.BytesIO()
        a, b = Image.new("P", size, 1), Image.new("P", size, 1)
        a.putpalette(PALETTE)
        b.putpalette(second_palette)
        a.save(pair, "GIF", save_all=True, append_images=[b], optimize=False)
        blocks = [block for block in gif_blocks(pair.getvalue())[1] if not block.startswith(b"\x21\xff")]
        first, second = b"".join(blocks[: len(blocks) // 2]), b"".join(blocks[len(blocks) // 2 :])
    else:
        second = encoded(2, PALETTE)[1]
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return head + loop + (first + second) * (frames // 2) + first * (frames % 2) + b";"


CASES = [
    ("JPEG 6000 × 6000", lambda: still("JPEG")),
    ("PNG 6000 × 6000", lambda: still("PNG")),
    ("WEBP 6000 × 6000", lambda: still("WEBP")),
    ("GIF 1280 × 1080 × 26 frames, one palette", lambda: gif(26, (1280, 1080))),
    ("GIF 1280 × 1080 × 26 frames, a palette each", lambda: gif(26, (1280, 1080), palettes=True)),
    ("GIF 480 × 270 × 277 frames, a palette each", lambda: gif(277, (480, 270), palettes=True)),
    ("GIF 1280 × 1080 × 217 frames (X's 300 million)", lambda: gif(217, (1280, 1080), palettes=True)),
    ("GIF 2000 × 2000 × 200 frames (the probe's)", lambda: gif(200, (2000, 2000))),
    ("GIF 1 × 1 × 250,000 frames", lambda: gif(250_000, (1, 1))),
]


def _measure(name: str, make, plain: bool, results) -> None:
    from PIL import Image

    from interactions.attachments import ImageRejected, prepare_image

    data = make()
    started = time.perf_counter()
    outcome = ""
    if plain:
        image = Image.open(io.BytesIO(data))
        out = io.BytesIO()
        image.save(out, image.format, save_all=getattr(image, "is_animated", False))
    else:
        try:
            prepare_image(data)
            outcome = "accepted"
        except ImageRejected as exc:
            outcome = str(exc)[:60]
    seconds = time.perf_counter() - started
    results.put((len(data), seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, outcome))


def run(name: str, make, *, plain: bool = False) -> tuple:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_measure, args=(name, make, plain, results))
    child.start()
    figures = results.get()
    child.join()
    return figures


def main() -> None:
    rows, figures = [], {}
    for name, make in CASES:
        size, seconds, peak_mb, outcome = run(name, make)
        heavy = "250,000" in name or "2000 × 2000" in name  # plain Pillow would take minutes
        baseline = "—" if heavy else f"{run(name, make, plain=True)[1]:.2f} s"
        rows.append([name, f"{size / 1024:,.0f} KB", f"{seconds:.2f} s", f"{peak_mb:,.0f} MB", baseline, outcome])
        figures[name] = {"bytes": size, "seconds": seconds, "peak_rss_mb": peak_mb, "outcome": outcome}
        print(f"  {name}: {seconds:.2f} s, {peak_mb:,.0f} MB, {outcome}", flush=True)
    slowest = max(v["seconds"] for v in figures.values())
    report(
        "images",
        f"images: slowest accepted or refused case {slowest:.1f} s (outside every transaction)",
        {"cases": figures},
        (["case", "file", "prepare_image", "peak memory", "plain Pillow", "outcome"], rows),
    )


if __name__ == "__main__":
    main()
