"""The Contact tab as a contact card, in real Chromium (issue 18): an agent accepts Maya's DM and sees who she is
first (name, every channel, the default outbound one, the assigned agent, notes); adds her email address, has an
invalid phone number refused in words, adds a valid one (SMS, "not connected"), makes Email the default, and opens
last week's conversation from the history."""

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from tests.e2e.helpers import Console, settled
from tests.e2e.test_conversation import (  # noqa: F401 (demo is a fixture)
    MAYA,
    accept_dm,
    demo,
    earlier_conversation_with_maya,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SIZES = [(1280, 800), (1920, 1080)]


def shots(page, screenshot, name: str) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)  # the grid's columns settle
        screenshot(f"{name}-{width}x{height}")
    page.set_viewport_size({"width": 1440, "height": 900})


def add_channel(card, channel: str, value: str) -> None:
    card.locator("summary", has_text="Add channel").click()
    card.get_by_label("Channel", exact=True).select_option(label=channel)
    card.get_by_label("Address").fill(value)
    card.get_by_role("button", name="Add channel").click()


def test_the_contact_card_lists_and_edits_every_channel_and_opens_the_history(demo, page, screenshot):  # noqa: F811
    console = Console()
    console.watch(page, "ana")
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")
    earlier = earlier_conversation_with_maya()
    conversation = accept_dm(demo, page, "Hi, my bag never arrived")
    expect(conversation.get_by_label("Transcript")).to_contain_text("my bag never arrived")

    tab = page.get_by_label("Contact Maya Patel")
    card = tab.get_by_role("region", name="Maya Patel", exact=True)
    expect(card.get_by_role("heading", name="Maya Patel")).to_be_visible()
    expect(card).to_contain_text("Assigned to you")  # accepting made her Ana's contact
    channels = card.get_by_role("list", name="Channels of Maya Patel").locator(".channel-row")
    expect(channels).to_have_count(1)
    expect(channels.first.locator(".channel-label")).to_contain_text("X (Twitter)")
    expect(channels.first.locator(".channel-value")).to_have_text("@mayapatel")
    expect(channels.first.locator(".channel-detail")).to_have_text(MAYA)
    expect(channels.first.locator(".badge-default")).to_have_text("default")
    expect(tab.get_by_label("Name", exact=True)).to_be_hidden()  # editing comes second, behind Edit contact
    settled(page)

    add_channel(card, "Email", "Maya.Patel@Example.com")
    expect(channels).to_have_count(2)
    expect(channels.nth(1).locator(".channel-value")).to_have_text("maya.patel@example.com")  # one mailbox, lower-cased
    expect(card.get_by_role("status")).to_have_text("Channel added.")
    settled(page)

    add_channel(card, "SMS", "+1 555")
    refusal = card.get_by_role("alert")
    expect(refusal).to_have_text(
        "“+1 555” is not a valid phone number: write it with its country code, e.g. +44 20 7946 0958."
    )
    console.forgive("ana", "422")  # the browser logs the refusal's status; the page shows it in words
    expect(card.get_by_label("Address")).to_have_value("+1 555")  # kept, to correct
    expect(channels).to_have_count(2)
    shots(page, screenshot, "contact-card-refused")
    settled(page)
    card.get_by_label("Address").fill("+44 20 7946 0958")
    card.get_by_role("button", name="Add channel").click()
    expect(channels).to_have_count(3)
    expect(channels.nth(2).locator(".channel-label")).to_contain_text("SMS")
    expect(channels.nth(2).locator(".channel-value")).to_have_text("+44 20 7946 0958")
    expect(channels.nth(2).locator(".badge-off")).to_have_text("not connected")
    settled(page)

    tab.locator("summary", has_text="Edit contact").click()
    default = tab.get_by_label("Default outbound channel")
    expect(default.locator("option")).to_have_text(["X (Twitter)", "Email"])  # only the channels that can send
    default.select_option(label="Email")
    tab.get_by_label("Notes").fill("Prefers email after 6pm")
    shots(page, screenshot, "contact-card-edit")
    tab.get_by_role("button", name="Save contact").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(channels.nth(1).locator(".badge-default")).to_have_text("default")
    expect(channels.first.locator(".badge-default")).to_have_count(0)
    expect(card).to_contain_text("Prefers email after 6pm")
    maya = Contact.objects.get(display_name="Maya Patel")
    assert maya.default_outbound_channel == "email"
    assert set(maya.identities.values_list("channel", "external_id")) == {
        ("twitter", MAYA), ("email", "maya.patel@example.com"), ("sms", "+442079460958")}  # fmt: skip
    shots(page, screenshot, "contact-card")

    history = tab.locator(".history li")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("Done · 1 message · Resolved")
    history.nth(1).get_by_role("link").click()
    past = page.locator("#centre").get_by_role("article", name="Interaction with Maya Patel")
    expect(past).to_contain_text("Can I bring a bike?")
    expect(page).to_have_url(f"{page.url.split('/workspace/')[0]}/workspace/interactions/{earlier.pk}/")
    assert console.errors == []
