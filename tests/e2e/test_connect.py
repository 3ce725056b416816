"""The Connect view in real Chromium (issue 18): from the header to a contact found by search, the transcript of
every interaction in reading order, Like and Reply on a tweet in it, a DM with an emoji and an image, the
notification picker, the ☰ contact card, a reload; and what the right panel's Communication tab did before (Write a
message, "… replied — Show", the desktop notification, the X icon), now here. Sizes: 1280×800, 1920×1080, 1024."""

from datetime import timedelta

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import Contact
from interactions import services
from interactions.models import Interaction, Message, NotificationTemplate
from social.models import XAccount
from tests.e2e.helpers import KEEP_NOTIFICATIONS, Console, in_worker_thread, settled
from tests.e2e.test_conversation import MAYA, customer_dm, demo, png_file, poll  # noqa: F401 (demo is a fixture)
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
EARLIER = 40  # messages of an old conversation: more than a page, so "Older" has something to bring


def activity(simulator: str, user_id: str) -> dict:
    return requests.get(f"{simulator}/activity", params={"user_id": user_id}, timeout=10).json()


def maya_has_history(simulator: str) -> dict:
    """Maya DMed the brand (a long chat, long ago) and tweeted at it; Ana handled both: done, Maya is hers."""
    customer_dm(simulator, "Hi, my bag never arrived")
    posted = requests.post(f"{simulator}/tweet", json={"author_id": MAYA, "text": "@perchdemoair still no bag, day 3"},
                           timeout=10).json()  # fmt: skip
    poll()
    ana = get_user_model().objects.get(username="ana")

    def handle_them():
        for interaction in Interaction.objects.order_by("pk"):
            services.interaction_offer(interaction_id=interaction.pk, agent=ana)
            services.interaction_accept(interaction_id=interaction.pk, agent=ana)
            services.interaction_end(interaction_id=interaction.pk, agent=ana)
            services.interaction_mark_done(interaction_id=interaction.pk, agent=ana)

    in_worker_thread(handle_them)
    chat = Interaction.objects.get(kind="chat")
    long_ago = timezone.now() - timedelta(days=7)
    Message.objects.bulk_create(
        Message(interaction=chat, x_account=chat.x_account, direction="in", kind="dm", text=f"Earlier message {n}",
                created_at=long_ago + timedelta(minutes=n))
        for n in range(1, EARLIER + 1)
    )  # fmt: skip
    return posted


def transcript_gap(page) -> float:
    """How far the transcript is from its bottom (0: it shows the latest message)."""
    return page.evaluate(
        "() => { const el = document.querySelector('[data-connect-transcript]');"
        " return el.scrollHeight - el.scrollTop - el.clientHeight; }"
    )


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_an_agent_finds_a_contact_reads_everything_likes_and_answers_a_tweet_and_writes_a_dm(
    demo,  # noqa: F811
    page,
    live_server_url,
    screenshot,
    tmp_path,
):
    simulator = demo
    # Like is Enterprise's only: the demo account and its sandbox app are Enterprise here.
    XAccount.objects.update(access=XAccount.Access.ENTERPRISE)
    requests.post(f"{simulator}/users", json={"username": "perchdemoair", "tier": "enterprise"}, timeout=10)
    posted = maya_has_history(simulator)
    NotificationTemplate.objects.create(
        name="Bag found", text="Hi {contact_name}, {agent_name} from {brand_handle} here: your bag is found."
    )
    console = Console()
    console.watch(page, "ana")
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")

    # From the header.
    views = page.get_by_role("navigation", name="Views")
    expect(views.get_by_role("link", name="Workspace")).to_have_attribute("aria-current", "page")
    views.get_by_role("link", name="Connect").click()
    expect(page).to_have_url(f"{live_server_url}/workspace/connect/")
    expect(views.get_by_role("link", name="Connect")).to_have_attribute("aria-current", "page")
    expect(page.locator("#live-status")).to_have_text("Live")  # live here too
    contacts = page.get_by_role("complementary", name="Contacts")
    expect(contacts.get_by_role("list", name="Assigned Contacts", exact=True)).to_contain_text("Maya Patel")
    settled(page)

    # Search, then open her.
    contacts.get_by_role("searchbox", name="Search contacts").fill("@mayapat")
    results = contacts.get_by_role("list", name="Search results")
    expect(results).to_contain_text("Maya Patel")
    expect(results).not_to_contain_text("Tom Becker")
    results.get_by_role("link", name="Maya Patel").click()
    maya = page.get_by_role("region", name="Communication with Maya Patel")
    expect(maya).to_be_visible()
    maya_id = Contact.objects.get(display_name="Maya Patel").pk
    expect(page).to_have_url(f"{live_server_url}/workspace/connect/?contact={maya_id}")
    expect(contacts.locator(f'.contact-item[data-contact-id="{maya_id}"]').first).to_have_attribute(
        "aria-current", "true"
    )

    # The transcript reads like a chat: oldest at the top, opened at the latest; "Older" adds above, nothing jumps.
    transcript = maya.get_by_role("list", name="Transcript with Maya Patel")
    texts = transcript.locator(".bubble-text, .tweet-text")
    expect(texts.last).to_contain_text("still no bag, day 3")
    assert "Hi, my bag never arrived" in texts.nth(texts.count() - 2).inner_text()
    assert transcript_gap(page) < 2
    expect(transcript.get_by_text("Earlier message 1", exact=True)).to_have_count(0)  # a page back
    page.locator("[data-connect-transcript]").evaluate("el => { el.scrollTop = 0; }")
    first = transcript.locator(".bubble-text").first.inner_text()  # what the agent reads at the top now
    anchor = transcript.get_by_text(first, exact=True)
    before = anchor.bounding_box()["y"]
    transcript.get_by_role("link", name="Older").click()
    expect(transcript.get_by_text("Earlier message 1", exact=True)).to_be_attached()
    assert abs(anchor.bounding_box()["y"] - before) < 4, "Older moved what the agent was reading"
    sequence = transcript.locator(".sequence-twitter")
    expect(sequence.locator(".sequence-head")).to_contain_text("Done")

    # Like and Reply on the tweet (Enterprise: both allowed).
    tweet = sequence.locator(".tweet", has_text="still no bag")
    tweet.get_by_role("button", name="Like").click()
    expect(tweet.locator(".liked")).to_have_text("♥ Liked")
    assert [like["tweet_id"] for like in activity(simulator, MAYA)["likes"]] == [posted["id"]]
    settled(page)
    tweet = transcript.locator(".tweet", has_text="still no bag")
    tweet.get_by_role("button", name="Reply", exact=True).click()
    composer = maya.locator(".connect-composer")
    expect(composer.locator(".composer-destination")).to_contain_text("Public reply on X to @mayapatel")
    box = maya.get_by_label("Write a message")
    expect(box).to_be_focused()
    box.fill("So sorry Maya, your bag is on the next flight.")
    box.press("Enter")
    reply = transcript.locator(".tweet.from-brand", has_text="next flight")
    expect(reply.locator(".delivery")).to_have_text("Sent")
    replies = [r for r in activity(simulator, MAYA)["replies"] if r["in_reply_to_tweet_id"] == posted["id"]]
    assert [r["text"] for r in replies] == ["@mayapatel So sorry Maya, your bag is on the next flight."]
    assert transcript_gap(page) < 2  # the new reply in view
    # The Like and the reply are each held by a new Twitter interaction of Ana's, done at once (hers was done).
    assert Interaction.objects.filter(state="done", kind="twitter", agent__username="ana").count() == 3

    # A DM with an emoji (the picker) and an image (Attach).
    settled(page)
    expect(composer.locator(".composer-destination")).to_contain_text("Private DM on X @mayapatel")
    box = maya.get_by_label("Write a message")
    box.fill("Here is your claim label ")
    maya.get_by_role("button", name="Emoji").click()
    page.locator("emoji-picker").get_by_role("menuitem").first.click()  # offline data, no network
    expect(box).to_have_value("Here is your claim label 😀")
    maya.locator("input[type=file]").set_input_files(str(png_file(tmp_path)))
    expect(maya.locator(".image-preview img")).to_be_visible()
    maya.get_by_role("button", name="Send", exact=True).click()
    bubble = transcript.locator(".bubble.outbound", has_text="Here is your claim label 😀")
    expect(bubble.locator(".delivery")).to_have_text("Sent")
    expect(bubble.locator("img")).to_be_visible()
    brand_dms = [d for d in activity(simulator, MAYA)["dms"] if d["sender_id"] == DEMO_ACCOUNT_USER_ID]
    assert len(brand_dms) == 1 and brand_dms[0]["media_keys"] and brand_dms[0]["text"] == "Here is your claim label 😀"
    expect(page.get_by_role("navigation", name="Views")).to_be_visible()
    for width, height in ((1280, 800), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)  # the layout settles
        screenshot(f"connect-{width}x{height}")
        assert no_sideways_scroll(page), f"{width}×{height}"
    page.set_viewport_size({"width": 1440, "height": 900})

    # The notification picker: the template's text as Maya will read it, sent on her default channel (X, a DM).
    settled(page)
    notify = maya.locator(".connect-notify")
    notify.get_by_label("Send a notification").select_option(label="Bag found")
    preview = "Hi Maya Patel, Ana from @perchdemoair here: your bag is found."
    expect(notify.locator(".notify-preview")).to_have_text(preview)
    notify.get_by_role("button", name="Send notification").click()
    expect(maya.locator(".connect-notify")).to_contain_text("Notification added to the outbox")
    notification = transcript.locator(".bubble.outbound", has_text="your bag is found")
    expect(notification.locator(".delivery")).to_have_text("Sent")
    brand_dms = [d["text"] for d in activity(simulator, MAYA)["dms"] if d["sender_id"] == DEMO_ACCOUNT_USER_ID]
    assert brand_dms[-1] == preview  # on her default channel, X: a DM

    # ☰ hides and shows the contact card, remembered; a reload keeps Maya open.
    card = page.get_by_role("complementary", name="Contact information")
    toggle = maya.get_by_role("button", name="Contact information")
    expect(card).to_be_visible()
    expect(card).to_contain_text("@mayapatel")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(card).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(maya).to_be_visible()
    expect(card).to_be_hidden()
    assert transcript_gap(page) < 2
    maya.get_by_role("button", name="Contact information").click()
    expect(card).to_be_visible()

    # At 1024 px nothing overlaps: the contacts are a drawer (☰ Contacts), the card shows only when asked.
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(card).to_be_hidden()
    expect(contacts).to_be_hidden()
    screenshot("connect-1024x768")
    assert no_sideways_scroll(page)
    maya.get_by_role("button", name="Contacts").click()
    expect(contacts).to_be_visible()
    contacts.get_by_role("list", name="Assigned Contacts", exact=True).get_by_role("link", name="Maya Patel").click()
    expect(contacts).to_be_hidden()
    assert console.errors == []


def test_the_right_panel_keeps_two_tabs_and_its_communication_tab_opens_the_connect_view(demo, page):  # noqa: F811
    tabs = page.get_by_role("tablist", name="Details")
    expect(tabs.get_by_role("tab", name="Contact")).to_have_attribute("aria-selected", "true")
    tabs.get_by_role("tab", name="Contact").focus()
    page.keyboard.press("ArrowRight")  # wraps round to the first tab
    conversation = tabs.get_by_role("tab", name="Conversation")
    expect(conversation).to_have_attribute("aria-selected", "true")
    expect(conversation).to_be_focused()
    page.reload()
    expect(page.get_by_role("tablist", name="Details").get_by_role("tab", name="Conversation")).to_have_attribute(
        "aria-selected", "true"
    )
    page.get_by_role("complementary", name="Details").get_by_role("link", name="Communication").click()
    expect(page.get_by_role("navigation", name="Views").get_by_role("link", name="Connect")).to_have_attribute(
        "aria-current", "page"
    )


def test_write_a_message_then_the_contacts_reply_is_shown_in_the_connect_view(demo, page, screenshot):  # noqa: F811
    simulator = demo
    ana = get_user_model().objects.get(username="ana")
    Contact.objects.filter(display_name="Maya Patel").update(assigned_agent=ana)
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Connect").click()
    contacts = page.get_by_role("complementary", name="Contacts")
    expect(contacts.get_by_role("list", name="Unassigned contacts")).to_contain_text("Tom Becker")
    contacts.get_by_role("list", name="Assigned Contacts", exact=True).get_by_role("link", name="Maya Patel").click()
    maya = page.get_by_role("region", name="Communication with Maya Patel")
    expect(maya).to_contain_text("@mayapatel")
    settled(page)
    maya.get_by_label("Write a message").fill("Good news: your bag is in Lisbon <3")
    maya.get_by_role("button", name="Send", exact=True).click()
    transcript = maya.get_by_role("list", name="Transcript with Maya Patel")
    expect(transcript).to_contain_text("Good news: your bag is in Lisbon <3")
    expect(transcript.locator(".bubble.outbound .delivery")).to_have_text("Sent")
    sent = activity(simulator, MAYA)["dms"]
    assert [d["text"] for d in sent if d["sender_id"] == DEMO_ACCOUNT_USER_ID] == [
        "Good news: your bag is in Lisbon <3"
    ]
    assert not Interaction.objects.filter(agent=ana, state__in=["active", "ended"]).exists()  # no live chat taken on

    # Back in the workspace, Ana hears that Maya answered; Show brings her to Maya in the Connect view.
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Workspace").click()
    expect(page.locator("#live-status")).to_have_text("Live")
    customer_dm(simulator, "Wonderful, thank you!")
    poll()
    toast = page.locator("#contact-replied .toast")
    expect(toast).to_have_text("Maya Patel replied. Show")
    screenshot("contact-replied")
    toast.get_by_role("link", name="Show").click()
    expect(maya.get_by_role("list", name="Transcript with Maya Patel")).to_contain_text("Wonderful, thank you!")
    expect(page.get_by_role("list", name="Your notices")).to_contain_text("Maya Patel replied.")
    expect(toast).to_have_count(0)
    settled(page)

    # Answering now takes the waiting conversation (offered to Ana and accepted): it is hers, live.
    maya.get_by_label("Write a message").fill("Delivery is booked for tomorrow.")
    maya.get_by_label("Write a message").press("Enter")
    expect(transcript.locator(".bubble.outbound", has_text="tomorrow").locator(".delivery")).to_have_text("Sent")
    assert Interaction.objects.get(agent=ana, state="active").contact.display_name == "Maya Patel"
    screenshot("connect-answered")


def test_the_desktop_notification_show_opens_the_connect_view(demo, page, live_server_url):  # noqa: F811
    simulator = demo
    ana = get_user_model().objects.get(username="ana")
    Contact.objects.filter(display_name="Maya Patel").update(assigned_agent=ana)
    page.context.grant_permissions(["notifications"], origin=live_server_url)
    page.add_init_script(KEEP_NOTIFICATIONS)
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")

    customer_dm(simulator, "Is anyone there?")
    poll()
    expect(page.locator("#contact-replied .toast")).to_have_count(1)
    # Named, like the toast (the name isolated: it cannot reorder the words after it).
    assert page.evaluate("window.perchNotifications.map(n => n.title)") == ["\u2068Maya Patel\u2069 replied"]
    page.evaluate("window.perchNotifications[0].onclick()")
    maya = page.get_by_role("region", name="Communication with Maya Patel")
    expect(maya.get_by_role("list", name="Transcript with Maya Patel")).to_contain_text("Is anyone there?")
    maya_id = Contact.objects.get(display_name="Maya Patel").pk
    expect(page).to_have_url(f"{live_server_url}/workspace/connect/?contact={maya_id}")

    # A history row of the contact card opens that conversation in the workspace.
    waiting = Interaction.objects.get(contact_id=maya_id)
    page.get_by_role("complementary", name="Contact information").locator(".history-row").first.click()
    expect(page).to_have_url(f"{live_server_url}/workspace/interactions/{waiting.pk}/")
    expect(page.get_by_role("article", name="Interaction with Maya Patel")).to_be_visible()


def test_the_x_icon_opens_a_chat_in_the_workspace_with_every_transcript_beside_it(demo, page, screenshot):  # noqa: F811
    simulator = demo
    customer_dm(simulator, "Earlier question about my seat")  # history: a chat Maya started, still queued
    poll()
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Connect").click()
    contacts = page.get_by_role("complementary", name="Contacts")
    expect(contacts).to_contain_text("Unassigned contacts")
    settled(page)
    contacts.get_by_role("searchbox", name="Search contacts").fill("seat")  # found by message text
    contacts.get_by_role("list", name="Search results").get_by_role("link", name="Maya Patel").click()
    maya = page.get_by_role("region", name="Communication with Maya Patel")
    expect(maya).to_be_visible()
    settled(page)
    maya.get_by_role("button", name="Start a Chat interaction on X").click()
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


def test_a_notification_by_email_reaches_the_demo_mail_server_and_its_mailbox(
    demo,  # noqa: F811
    page,
    live_server_url,
    demo_mailbox,
    screenshot,
):
    """The Acceptance's email step, as a tester does it: Lucía's default outbound channel is Email (the demo's data);
    from the Connect view the agent sends her the "We miss you" notification and then writes her a message; both go
    through the outbox to the real SMTP server (the one `make run` starts), and the simulator's Mailbox shows them."""
    console = Console()
    console.watch(page, "ana")
    page.goto(f"{live_server_url}/workspace/connect/")
    expect(page.locator("#live-status")).to_have_text("Live")
    settled(page)
    contacts = page.get_by_role("complementary", name="Contacts")
    contacts.get_by_role("searchbox", name="Search contacts").fill("Lucía")
    contacts.get_by_role("list", name="Search results").get_by_role("link", name="Lucía Gómez").click()
    lucia = page.get_by_role("region", name="Communication with Lucía Gómez")
    expect(lucia.locator(".composer-destination")).to_contain_text("Email to lucia@example.com")
    settled(page)

    notify = lucia.locator(".connect-notify")
    notify.get_by_label("Send a notification").select_option(label="We miss you")
    expect(notify.locator(".notify-preview")).to_contain_text("Hi Lucía Gómez, it has been a while")
    notify.get_by_role("button", name="Send notification").click()
    transcript = lucia.get_by_role("list", name="Transcript with Lucía Gómez")
    sent = transcript.locator(".bubble.outbound", has_text="it has been a while")
    expect(sent.locator(".delivery")).to_have_text("Sent")
    expect(sent).to_contain_text("We miss you, Lucía Gómez")  # the subject, above the text

    settled(page)
    box = lucia.get_by_label("Write a message")
    box.fill("Hola Lucía, your seat on Friday's flight is confirmed 🎉")
    box.press("Enter")
    expect(transcript.locator(".bubble.outbound", has_text="seat on Friday").locator(".delivery")).to_have_text("Sent")

    emails = demo_mailbox.emails()  # what the SMTP server received, from its own Maildir
    assert [(e["to"], e["subject"]) for e in emails] == [
        ("lucia@example.com", "Message from Perch Demo Air"),
        ("lucia@example.com", "We miss you, Lucía Gómez"),
    ]
    assert "your seat on Friday's flight is confirmed 🎉" in emails[0]["text"]
    assert Message.objects.filter(kind="email", delivery="sent").count() == 2
    screenshot("connect-email-sent")

    # The tester sees them arrive in the simulator's Mailbox.
    simulator = page.context.new_page()
    simulator.goto(f"{live_server_url}/x-sandbox/simulator/")
    mailbox = simulator.get_by_role("region", name="Mailbox")
    expect(mailbox).to_contain_text("We miss you, Lucía Gómez")
    expect(mailbox).to_contain_text("Message from Perch Demo Air")
    simulator.close()
    assert console.errors == []
