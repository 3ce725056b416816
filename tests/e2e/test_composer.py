"""The composer in real Chromium, as the walk through a shift found it: a file that is no image is refused before
it is uploaded, an attached image can be removed before Send, a refusal from the server is said once, in the
composer, with the header where it was, and the transcript follows an image just sent down to its status."""

import re

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from interactions.attachments import MAX_BYTES, TOO_BIG
from interactions.models import Interaction, Message
from tests.e2e.helpers import accept_offer
from tests.e2e.test_conversation import MAYA, accept_dm, customer_dm, demo, png_file, poll  # noqa: F401 (a fixture)
from tests.e2e.test_long_names import console_errors
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def uploads(page) -> list[str]:
    """The requests the page posts with a file in them (an empty file input is posted as filename="")."""
    posted = []

    def request(r):
        if r.method == "POST" and re.search(rb'filename="[^"]+"', r.post_data_buffer or b""):
            posted.append(r.url)

    page.on("request", request)
    return posted


def brand_dms(simulator):
    dms = requests.get(f"{simulator}/activity", params={"user_id": MAYA}, timeout=10).json()["dms"]
    return [d for d in dms if d["sender_id"] == DEMO_ACCOUNT_USER_ID]


def test_a_file_that_is_no_image_is_refused_before_upload_and_an_image_can_be_removed(demo, page, tmp_path):  # noqa: F811
    errors = console_errors(page)
    posted = uploads(page)
    conversation = accept_dm(demo, page, "Here is my boarding pass")
    composer = conversation.locator("form.composer")
    file_input = composer.locator("input[type=file]")
    fake = tmp_path / "boarding-pass.png"
    fake.write_bytes(b"%PDF-1.7 this is a PDF saved under an image's name")

    file_input.set_input_files(str(fake))
    error = composer.get_by_role("alert")
    expect(error).to_have_text("This file is not an image we can send.")
    expect(composer.locator(".image-preview img")).to_have_count(0)
    assert file_input.evaluate("input => input.files.length") == 0  # nothing left to upload

    # An image over the server's limit: refused in the server's words, before upload (the limit comes from the page).
    big = tmp_path / "big.png"
    big.write_bytes(png_file(tmp_path).read_bytes() + b"\0" * MAX_BYTES)
    file_input.set_input_files(str(big))
    expect(error).to_have_text(TOO_BIG)
    assert file_input.evaluate("input => input.files.length") == 0

    # A real image: previewed, then removed before Send — the DM goes out without it.
    file_input.set_input_files(str(png_file(tmp_path)))
    expect(composer.locator(".image-preview img")).to_be_visible()
    expect(composer.locator(".composer-error")).to_be_empty()  # the earlier refusal is gone
    composer.get_by_role("button", name="Remove the attached image").click()
    expect(composer.locator(".image-preview img")).to_have_count(0)
    assert file_input.evaluate("input => input.files.length") == 0
    composer.get_by_label("Write a message").fill("We have it, thank you")
    composer.get_by_role("button", name="Send").click()
    expect(conversation.locator(".bubble.outbound .delivery")).to_have_text("Sent")
    assert [(d["text"], bool(d.get("media_keys"))) for d in brand_dms(demo)] == [("We have it, thank you", False)]
    assert not Message.objects.filter(direction="out").exclude(media=[]).exists()
    assert posted == [], f"a file went up: {posted}"
    assert errors == []


def wide_gif(tmp_path):
    """An animated GIF the browser shows gladly and X refuses: 1,300 px wide (X takes at most 1,280)."""
    path = tmp_path / "wide.gif"
    frames = [Image.new("RGB", (1300, 20), colour) for colour in ((200, 30, 30), (30, 30, 200))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def test_a_refusal_from_the_server_is_said_once_in_the_composer_and_the_header_stays(demo, page, tmp_path):  # noqa: F811
    errors = console_errors(page)
    conversation = accept_dm(demo, page, "Can you send me the form?")
    expect(page.locator(".htmx-added, .htmx-settling")).to_have_count(0)
    head = conversation.locator(".interaction-head")
    head.evaluate("el => { window.perchHeadBefore = el; }")
    height = head.bounding_box()["height"]
    composer = conversation.locator("form.composer")
    box = composer.get_by_label("Write a message")
    draft = "x" * 10_001  # no counter in a DM composer: only the server says it is too long

    box.fill(draft)
    composer.get_by_role("button", name="Send").click()
    said = "This message is 10,001 characters; X allows 10,000 in a DM."
    expect(composer.get_by_role("alert")).to_have_text(said)
    expect(page.get_by_text("This message is 10,001 characters")).to_have_count(1)  # once, and in the composer
    assert head.evaluate("el => el === window.perchHeadBefore")  # the header was not swapped…
    assert head.bounding_box()["height"] == height  # …nor moved
    expect(box).to_have_value(draft)

    # An image the browser shows but X refuses: said in the same place, in place of the first refusal.
    composer.locator("input[type=file]").set_input_files(str(wide_gif(tmp_path)))
    expect(composer.locator(".image-preview img")).to_be_visible()
    box.fill("The form, as a picture")
    composer.get_by_role("button", name="Send").click()
    expect(composer.get_by_role("alert")).to_contain_text("X accepts animated GIFs of at most 1280 × 1080")
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.get_by_text("animated GIFs of at most")).to_have_count(1)
    expect(composer.locator(".image-preview img")).to_be_visible()  # still attached, to swap for another
    assert head.evaluate("el => el === window.perchHeadBefore") and head.bounding_box()["height"] == height
    send_bar = composer.locator(".composer-bar").bounding_box()["height"]
    assert send_bar < 60, f"the refusal squeezed the Send bar to {send_bar}px"
    assert not Interaction.objects.get().messages.filter(direction="out").exists()
    assert errors == []


def tall_png(tmp_path):
    path = tmp_path / "receipt.png"
    Image.new("RGB", (120, 600), (240, 240, 240)).save(path, "PNG")
    return path


def test_after_sending_an_image_the_transcript_shows_it_and_its_status(demo, page, tmp_path):  # noqa: F811
    errors = console_errors(page)
    page.get_by_role("switch", name="Chat Not Ready").click()
    customer_dm(demo, "Did you get my receipt?")
    poll()
    interaction = Interaction.objects.get()
    Message.objects.bulk_create(
        Message(interaction=interaction, direction="in", kind="dm", text=f"Earlier line {n}") for n in range(40)
    )  # a conversation long enough to scroll
    conversation = accept_offer(page, "Chat", "Maya Patel")
    composer = conversation.locator("form.composer")
    composer.locator("input[type=file]").set_input_files(str(tall_png(tmp_path)))
    expect(composer.locator(".image-preview img")).to_be_visible()
    composer.get_by_label("Write a message").fill("Here is ours")

    # Injected latency: the sent image arrives after the transcript was placed (as over a real network, where the
    # send and its pushes are quicker than the picture), and makes it taller.
    held, holding = [], [True]

    def image_request(route):
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/workspace/messages/\d+/media/\d+/$"), image_request)
    composer.get_by_role("button", name="Send").click()
    sent = conversation.locator(".bubble.outbound").last
    expect(sent.locator(".delivery")).to_have_text("Sent")
    expect(page.locator(".htmx-added, .htmx-settling")).to_have_count(0)
    assert held, "the sent image was never asked for"
    holding[0] = False
    for route in held:
        route.continue_()
    image = sent.locator("img")
    expect(image).to_have_js_property("naturalHeight", 600)
    expect(image).to_be_in_viewport()
    expect(sent.locator(".delivery")).to_be_in_viewport()  # the status under the image, not cut off below
    scroller = f"#conversation-{interaction.pk} .transcript"
    gap = page.evaluate("sel => { const el = document.querySelector(sel); "
                        "return el.scrollHeight - el.scrollTop - el.clientHeight; }", scroller)  # fmt: skip
    assert gap < 5

    # The transcript re-fetched (a push: here Maya's answer): still at the bottom, the answer in view.
    customer_dm(demo, "Got it, thanks!")
    poll()
    expect(conversation.get_by_text("Got it, thanks!")).to_be_in_viewport()
    assert errors == []
