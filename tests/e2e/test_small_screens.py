"""The workspace on a laptop: usable at 1024×768 (nothing cut off, no sideways scrolling, Send reachable) and
readable at 1280×800."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_agent_tools import ana_with_a_dm  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def assert_fits(page, width, height):
    conversation = page.get_by_role("article", name="Interaction with Maya Patel")
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"the page scrolls sideways by {sideways}px at {width}×{height}"
    for control in (
        conversation.get_by_label("Write a message"),
        conversation.get_by_role("button", name="Send"),
        conversation.get_by_role("button", name="Add private note"),
        conversation.get_by_role("button", name="End chat"),
        page.get_by_role("tab", name="Contact"),
        page.get_by_label("My interactions").get_by_role("link", name="Maya Patel"),
    ):
        expect(control).to_be_in_viewport(ratio=1)
    clipped = page.locator(".tab, .interaction-head h1").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent.trim())"
    )
    assert clipped == [], f"cut off at {width}×{height}: {clipped}"
    box = conversation.get_by_label("Write a message").bounding_box()
    assert box["width"] >= 300, f"the composer is {box['width']}px wide at {width}×{height}"


@pytest.mark.parametrize("width,height", [(1024, 768), (1280, 800)])
def test_the_conversation_fits_a_laptop_screen(ana_with_a_dm, page, screenshot, width, height):  # noqa: F811
    conversation = page.get_by_role("article", name="Interaction with Maya Patel")
    conversation.get_by_label("Write a message").fill("Noted: bag tag LH 123456, checked in at Lisbon")
    conversation.get_by_role("button", name="Add private note").click()
    expect(conversation.get_by_role("listitem", name="Private note by Ana")).to_be_visible()
    conversation.get_by_text("+ Add label").click()
    conversation.get_by_role("button", name="Escalated").click()
    expect(conversation.get_by_role("list", name="Labels")).to_contain_text("Escalated")
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": width, "height": height})
    assert_fits(page, width, height)
    screenshot(f"workspace-{width}x{height}")
