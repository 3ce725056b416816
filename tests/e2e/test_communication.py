"""The right panel in real Chromium: tabs (keyboard, remembered), the Communication tab (search, Assigned Contacts,
Write a message → a DM that reaches the sandbox and shows Sent), and a customer's reply announced with Show."""

import pytest
import requests
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from contacts.models import Contact
from tests.e2e.test_conversation import MAYA, customer_dm, demo, poll  # noqa: F401 (demo is a fixture)
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def settled(page):
    """htmx binds new content once it settles (20 ms after the swap): a quick test must not type before that."""
    expect(page.locator(".htmx-added, .htmx-settling")).to_have_count(0)


def test_tabs_switch_with_the_keyboard_and_are_remembered(demo, page):  # noqa: F811
    tabs = page.get_by_role("tablist", name="Details")
    expect(tabs.get_by_role("tab", name="Contact")).to_have_attribute("aria-selected", "true")
    tabs.get_by_role("tab", name="Contact").focus()
    page.keyboard.press("ArrowRight")
    communication = tabs.get_by_role("tab", name="Communication")
    expect(communication).to_have_attribute("aria-selected", "true")
    expect(communication).to_be_focused()
    expect(page.get_by_role("tabpanel", name="Communication")).to_contain_text("Assigned Contacts")
    page.keyboard.press("ArrowRight")  # wraps round to the first tab
    expect(tabs.get_by_role("tab", name="Conversation")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowLeft")
    expect(communication).to_have_attribute("aria-selected", "true")
    page.reload()
    expect(page.get_by_role("tablist", name="Details").get_by_role("tab", name="Communication")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.get_by_role("tabpanel", name="Communication")).to_contain_text("Assigned Contacts")


def test_communication_tab_search_async_dm_and_contact_replied_show(demo, page, screenshot):  # noqa: F811
    simulator = demo
    ana = get_user_model().objects.get(username="ana")
    Contact.objects.filter(display_name="Maya Patel").update(assigned_agent=ana)

    page.get_by_role("tab", name="Communication").click()
    panel = page.get_by_role("tabpanel", name="Communication")
    expect(panel.get_by_role("list", name="Assigned Contacts", exact=True)).to_contain_text("Maya Patel")
    expect(panel.get_by_role("list", name="Unassigned contacts")).to_contain_text("Tom Becker")
    settled(page)

    panel.get_by_role("searchbox", name="Search contacts").fill("@tombeck")
    results = panel.get_by_role("list", name="Search results")
    expect(results).to_contain_text("Tom Becker")
    expect(results).not_to_contain_text("Maya Patel")

    panel.get_by_role("list", name="Assigned Contacts", exact=True).get_by_role("link", name="Maya Patel").click()
    contact = panel.get_by_role("region", name="Communication with Maya Patel")
    expect(contact).to_contain_text("@mayapatel")
    settled(page)
    contact.get_by_label("Write a message").fill("Good news: your bag is in Lisbon <3")
    contact.get_by_role("button", name="Send").click()
    transcript = contact.get_by_role("list", name="Transcript with Maya Patel")
    expect(transcript).to_contain_text("Good news: your bag is in Lisbon <3")
    expect(transcript.locator(".line.outbound .delivery")).to_have_text("Sent")
    sent = requests.get(f"{simulator}/activity", params={"user_id": MAYA}, timeout=10).json()["dms"]
    assert [d["text"] for d in sent if d["sender_id"] == DEMO_ACCOUNT_USER_ID] == [
        "Good news: your bag is in Lisbon <3"
    ]
    expect(page.get_by_label("My interactions")).not_to_contain_text("Maya Patel")  # no live chat taken on
    screenshot("communication-tab")

    # Away on the Contact tab, Ana hears that Maya answered; Show brings her back to Maya.
    page.get_by_role("tab", name="Contact").click()
    customer_dm(simulator, "Wonderful, thank you!")
    poll()
    toast = page.locator("#contact-replied .toast")
    expect(toast).to_have_text("Maya Patel replied. Show")
    screenshot("contact-replied")
    toast.get_by_role("button", name="Show").click()
    expect(page.get_by_role("tab", name="Communication")).to_have_attribute("aria-selected", "true")
    contact = page.get_by_role("region", name="Communication with Maya Patel")
    expect(contact.get_by_role("list", name="Transcript with Maya Patel")).to_contain_text("Wonderful, thank you!")
    expect(page.get_by_role("list", name="Notifications")).to_contain_text("Maya Patel replied.")
    expect(toast).to_have_count(0)
    settled(page)

    # Answering now takes the waiting conversation (offered to Ana and accepted): it is hers, live.
    contact.get_by_label("Write a message").fill("Delivery is booked for tomorrow.")
    contact.get_by_label("Write a message").press("Enter")
    expect(contact.locator(".line.outbound .delivery").last).to_have_text("Sent")  # the latest, at the bottom
    expect(page.get_by_label("My interactions")).to_contain_text("Maya Patel")
    screenshot("communication-tab-answered")


# Headless Chromium shows no desktop notifications to click: the page is made to look hidden and each Notification
# it creates is kept (the real constructor still runs), so the test can click it as the agent would.
KEEP_NOTIFICATIONS = """
Object.defineProperty(document, "hidden", { get: () => true });
const RealNotification = window.Notification;
window.perchNotifications = [];
window.Notification = class extends RealNotification {
  constructor(title, options) { super(title, options); window.perchNotifications.push(this); }
};
"""


def test_the_desktop_notification_show_opens_the_communication_tab(demo, page, live_server_url):  # noqa: F811
    simulator = demo
    ana = get_user_model().objects.get(username="ana")
    Contact.objects.filter(display_name="Maya Patel").update(assigned_agent=ana)
    page.context.grant_permissions(["notifications"], origin=live_server_url)
    page.add_init_script(KEEP_NOTIFICATIONS)
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.get_by_role("tab", name="Contact")).to_have_attribute("aria-selected", "true")

    customer_dm(simulator, "Is anyone there?")
    poll()
    expect(page.locator("#contact-replied .toast")).to_have_count(1)
    # Named, like the toast (the name isolated: it cannot reorder the words after it).
    assert page.evaluate("window.perchNotifications.map(n => n.title)") == ["\u2068Maya Patel\u2069 replied"]
    page.evaluate("window.perchNotifications[0].onclick()")
    expect(page.get_by_role("tab", name="Communication")).to_have_attribute("aria-selected", "true")
    contact = page.get_by_role("region", name="Communication with Maya Patel")
    expect(contact.get_by_role("list", name="Transcript with Maya Patel")).to_contain_text("Is anyone there?")


def test_the_x_icon_opens_a_chat_and_the_conversation_tab_shows_all_transcripts(demo, page, screenshot):  # noqa: F811
    simulator = demo
    customer_dm(simulator, "Earlier question about my seat")  # history: a chat Maya started, still queued
    poll()
    page.get_by_role("tab", name="Communication").click()
    panel = page.get_by_role("tabpanel", name="Communication")
    expect(panel).to_contain_text("Unassigned contacts")
    settled(page)
    panel.get_by_role("searchbox", name="Search contacts").fill("seat")  # found by message text
    panel.get_by_role("list", name="Search results").get_by_role("link", name="Maya Patel").click()
    expect(panel.get_by_role("region", name="Communication with Maya Patel")).to_be_visible()
    settled(page)
    panel.get_by_role("button", name="Start a Chat interaction on X").click()
    conversation = page.get_by_role("article", name="Interaction with Maya Patel")
    expect(conversation.locator(".interaction-state")).to_have_text("Active")
    expect(conversation.get_by_label("Transcript")).to_contain_text("Earlier question about my seat")
    expect(page.get_by_label("My interactions")).to_contain_text("Maya Patel")
    settled(page)
    page.get_by_role("tab", name="Conversation").click()
    history = page.get_by_role("tabpanel", name="Conversation")
    expect(history.get_by_role("list", name="Transcript with Maya Patel")).to_contain_text("Earlier question")
    conversation.get_by_label("Write a message").fill("Hi Maya, about your seat:")
    conversation.get_by_label("Write a message").press("Enter")
    expect(history.locator(".line.outbound .delivery")).to_have_text("Sent")  # the right panel follows live
    screenshot("conversation-tab")
