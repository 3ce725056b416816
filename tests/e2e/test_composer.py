"""The composer in real Chromium, as the walk through a shift found it: a refusal from the server is said once, in
the composer, with the header where it was."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from interactions.models import Interaction
from tests.e2e.test_conversation import accept_dm, demo  # noqa: F401 (demo is a fixture)
from tests.e2e.test_long_names import console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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
