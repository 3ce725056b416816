"""The agent's day in real Chromium: a DM conversation from offer to Mark Done, and a public reply with the ring."""

import pytest
import requests
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from interactions.models import Interaction
from social import polling
from social.models import XAccount
from tests.e2e.helpers import accept_offer, in_worker_thread
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
MAYA = "1790000000000000101"


def poll():
    in_worker_thread(lambda: polling.poll_account(account_id=XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID).pk))


@pytest.fixture
def demo(live_server_url, page):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    page.goto(f"{live_server_url}/accounts/login/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#live-status")).to_have_text("Live")
    return f"{live_server_url}/x-sandbox/simulator/api"


def customer_dm(simulator, text):
    dm = {"sender_id": MAYA, "recipient_id": DEMO_ACCOUNT_USER_ID, "text": text}
    requests.post(f"{simulator}/dm", json=dm, timeout=10).raise_for_status()


def png_file(tmp_path):
    path = tmp_path / "label.png"
    Image.new("RGB", (60, 40), (14, 116, 110)).save(path, "PNG")
    return path


def accept_dm(demo, page, text):
    """Ana goes Ready on Chat, Maya DMs the brand, Ana accepts the offer. Returns the view."""
    page.get_by_role("switch", name="Chat Not Ready").click()
    customer_dm(demo, text)
    poll()
    return accept_offer(page, "Chat", "Maya Patel")


def earlier_conversation_with_maya():
    """Maya wrote before: last week's DM, marked done as Resolved."""
    from contacts.models import Contact
    from interactions.models import Label, Message

    earlier = Interaction.objects.create(
        kind="chat", contact=Contact.objects.get(display_name="Maya Patel"), thread_key="last-week",
        x_account=XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID), state="done",
        disposition=Label.objects.get(name="Resolved"),
    )  # fmt: skip
    Message.objects.create(interaction=earlier, direction="in", kind="dm", text="Can I bring a bike?")
    return earlier


def test_a_dm_from_offer_to_mark_done(demo, page, screenshot, tmp_path):
    simulator = demo
    earlier_conversation_with_maya()
    conversation = accept_dm(simulator, page, "Hi, my bag <b>never</b> arrived")
    expect(conversation.get_by_label("Transcript")).to_contain_text("Hi, my bag <b>never</b> arrived")  # as text
    contact_tab = page.get_by_label("Contact Maya Patel")
    expect(contact_tab).to_contain_text("@mayapatel")
    x_row = contact_tab.get_by_role("list", name="Channels of Maya Patel").get_by_role("listitem").first
    expect(x_row.locator(".channel-value")).to_have_text("@mayapatel")  # the X account, on the contact card
    expect(x_row).to_contain_text(MAYA)
    expect(x_row.locator(".badge-default")).to_have_text("default")
    history = contact_tab.locator(".history li")
    expect(history).to_have_count(2)  # this conversation and last week's, with how it ended
    expect(history.nth(1)).to_contain_text("Done · 1 message · Resolved")

    box = conversation.get_by_label("Write a message")
    box.fill("So sorry! Here is your claim label ")
    conversation.get_by_role("button", name="Emoji").click()
    page.locator("emoji-picker").get_by_role("menuitem").first.click()  # offline data, no network
    expect(box).to_have_value("So sorry! Here is your claim label 😀")
    conversation.locator("input[type=file]").set_input_files(str(png_file(tmp_path)))
    expect(conversation.locator(".image-preview img")).to_be_visible()
    box.press("Enter")
    expect(conversation.get_by_label("Transcript")).to_contain_text("So sorry! Here is your claim label")
    expect(conversation.locator(".bubble.outbound .delivery")).to_have_text("Sent")
    expect(conversation.locator(".bubble.outbound img")).to_be_visible()
    sent = requests.get(f"{simulator}/activity", params={"user_id": MAYA}, timeout=10).json()["dms"]
    brand_dms = [d for d in sent if d["sender_id"] == DEMO_ACCOUNT_USER_ID]
    assert len(brand_dms) == 1 and brand_dms[0]["media_keys"] and "claim label" in brand_dms[0]["text"]

    customer_dm(simulator, "Thank you, got it!")
    poll()
    expect(conversation.get_by_label("Transcript")).to_contain_text("Thank you, got it!")  # live, no reload
    expect(history.first).to_contain_text("Active · 3 messages")  # the Contact tab's history follows too
    screenshot("conversation-dm")

    conversation.get_by_role("button", name="End chat").click()
    expect(conversation.locator(".interaction-state")).to_have_text("Ended")
    page.get_by_label("Disposition").select_option(label="Refund issued")
    page.get_by_label("Note", exact=True).fill("Sent a claim label")
    page.get_by_role("button", name="Mark Done").click()
    expect(page.get_by_role("heading", name="Marked done")).to_be_visible()
    done = Interaction.objects.exclude(thread_key="last-week").get(contact__display_name="Maya Patel")
    assert (done.state, done.disposition.name, done.done_note) == ("done", "Refund issued", "Sent a claim label")
    expect(page.get_by_label("My interactions")).not_to_contain_text("Maya Patel")


def test_the_customer_goes_quiet_after_the_answer_and_the_agent_sees_them_leave(demo, page, screenshot):
    from datetime import timedelta

    from django.db.models import F

    from interactions.models import Message
    from interactions.services import interactions_end_quiet_chats

    conversation = accept_dm(demo, page, "Is my flight on time?")
    box = conversation.get_by_label("Write a message")
    box.fill("Yes, it leaves at 10:40 from gate B12.")
    box.press("Enter")
    expect(conversation.locator(".bubble.outbound .delivery")).to_have_text("Sent")

    # Maya never writes again: half an hour later the sweep (beat, every minute) ends the chat on her side.
    half_an_hour = timedelta(minutes=31)
    Message.objects.update(created_at=F("created_at") - half_an_hour, sent_at=F("sent_at") - half_an_hour)
    in_worker_thread(interactions_end_quiet_chats)
    expect(conversation.locator(".interaction-state")).to_have_text("Ended")  # live, no reload
    expect(conversation).to_contain_text("The customer has left")
    expect(page.get_by_label("My interactions")).to_contain_text("Ended")
    screenshot("customer-left")
    page.get_by_label("Disposition").select_option(label="Resolved")
    page.get_by_role("button", name="Mark Done").click()
    expect(page.get_by_role("heading", name="Marked done")).to_be_visible()
    assert Interaction.objects.get().ended_by == "customer"


TOM = "1790000000000000102"


def accept_mention(demo, page, author_id, text, name):
    """A customer tweets at the brand; Ana (Ready on Twitter) accepts the offer. Returns the tweet and the view."""
    tweet = requests.post(f"{demo}/tweet", json={"author_id": author_id, "text": text}, timeout=10).json()
    poll()
    page.get_by_role("alertdialog", name=f"New Twitter interaction from {name}").get_by_role(
        "button", name="Accept"
    ).click()
    return tweet, page.get_by_role("article", name=f"Interaction with {name}")


def test_a_mention_thread_reply_like_and_a_second_branch(demo, page, screenshot):
    simulator = demo
    # The demo account is self-serve (no likes); this test likes, so it and its sandbox app are Enterprise here.
    XAccount.objects.filter(x_user_id=DEMO_ACCOUNT_USER_ID).update(access=XAccount.Access.ENTERPRISE)
    requests.post(f"{simulator}/users", json={"username": "perchdemoair", "tier": "enterprise"}, timeout=10)
    page.get_by_role("switch", name="Twitter Not Ready").click()
    expect(page.get_by_role("switch", name="Twitter Ready")).to_be_visible()
    tweet, conversation = accept_mention(demo, page, MAYA, "@perchdemoair where is my bag?", "Maya Patel")
    box = conversation.get_by_label("Write a message")
    box.fill("Sorry Maya! Could you DM us your booking code? 🙏")
    conversation.get_by_role("button", name="Send").click()
    tree = conversation.get_by_label("Tweet thread")
    avatar = tree.locator(".tweet").first.locator("img.tweet-avatar")  # X's profile image, allowed by the CSP
    expect(avatar).to_have_attribute("src", f"{simulator.removesuffix('/simulator/api')}/avatars/mayapatel")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=avatar.element_handle())
    brand_reply = tree.locator(".tweet.from-brand")
    # As X shows it: X put "@mayapatel" in front of the reply; it is the "Replying to" line, not the text.
    expect(brand_reply.locator(".tweet-replying-to")).to_have_text("Replying to @mayapatel")
    expect(brand_reply.locator(".tweet-text")).to_have_text("Sorry Maya! Could you DM us your booking code? 🙏")
    expect(brand_reply.locator(".delivery")).to_have_text("Sent")
    expect(tree.locator(".tweet.depth-1")).to_have_count(1)  # indented under the tweet it answers
    # Measured in one go in the page: a live refresh may swap the tree between two separate reads.
    indent = page.evaluate(
        """() => {
            const tree = document.querySelector('[aria-label="Tweet thread"]');
            const x = (selector) => tree.querySelector(selector).getBoundingClientRect().x;
            return x(".tweet.depth-1") - x(".tweet.depth-0");
        }"""
    )
    assert indent >= 20
    tree.locator(".tweet").first.get_by_role("button", name="Like").click()
    expect(tree.locator(".tweet").first.locator(".liked")).to_be_visible()
    activity = requests.get(f"{simulator}/activity", params={"user_id": MAYA}, timeout=10).json()
    assert [r["in_reply_to_tweet_id"] for r in activity["replies"]] == [tweet["id"]]
    assert [lk["tweet_id"] for lk in activity["likes"]] == [tweet["id"]]

    # Maya answers the brand's reply: the same branch, one level deeper, live.
    reply_id = activity["replies"][0]["id"]
    requests.post(f"{simulator}/tweet", timeout=10, json={
        "author_id": MAYA, "text": "@perchdemoair sent you a DM", "in_reply_to_tweet_id": reply_id,
    }).raise_for_status()  # fmt: skip
    poll()
    expect(tree.locator(".tweet.depth-2")).to_contain_text("sent you a DM")
    screenshot("conversation-tweet-tree")

    # Tom joins under Maya's first tweet, which the brand already answered: a branch of its own, offered anew.
    requests.post(f"{simulator}/tweet", timeout=10, json={
        "author_id": TOM, "text": "@mayapatel @perchdemoair mine is lost too", "in_reply_to_tweet_id": tweet["id"],
    }).raise_for_status()  # fmt: skip
    poll()
    page.get_by_role("alertdialog", name="New Twitter interaction from Tom Becker").get_by_role(
        "button", name="Accept"
    ).click()
    second = page.get_by_role("article", name="Interaction with Tom Becker")
    expect(second.get_by_label("Tweet thread")).to_contain_text("mine is lost too")
    expect(second.get_by_label("Tweet thread")).not_to_contain_text("sent you a DM")
    my_list = page.get_by_label("My interactions")
    expect(my_list).to_contain_text("Maya Patel")
    expect(my_list).to_contain_text("Tom Becker")
    assert Interaction.objects.filter(kind="twitter").count() == 2
    expect(tree.locator(".tweet")).to_have_count(0)  # Maya's view was replaced by Tom's in the centre
    screenshot("second-branch")


def ring_colour(ring):
    return ring.locator(".ring-fill").evaluate("el => getComputedStyle(el).stroke")


def test_the_reply_ring_at_0_260_275_and_281(demo, page, screenshot):
    page.get_by_role("switch", name="Twitter Not Ready").click()
    expect(page.get_by_role("switch", name="Twitter Ready")).to_be_visible()
    _, conversation = accept_mention(demo, page, MAYA, "@perchdemoair where is my bag?", "Maya Patel")
    box = conversation.get_by_label("Write a message")
    ring = conversation.get_by_role("progressbar")
    send = conversation.get_by_role("button", name="Send")
    count = ring.locator(".ring-count")

    expect(ring).to_have_attribute("aria-valuenow", "0")
    expect(ring).to_have_attribute("data-state", "ok")
    expect(count).to_have_text("")
    expect(send).to_be_disabled()  # nothing to send
    url_and_emoji = "https://example.com/a/long/path/to/the/claim/form 👍 "  # 23 + 1 + 2 + 1 = 27, like X counts
    box.fill(url_and_emoji + "x" * (259 - 27))
    expect(ring).to_have_attribute("aria-valuenow", "259")
    expect(count).to_have_text("")  # the countdown starts with 20 left
    box.fill(url_and_emoji + "x" * (260 - 27))
    expect(ring).to_have_attribute("aria-valuenow", "260")
    expect(ring).to_have_attribute("aria-label", "260 of 280 characters")
    expect(count).to_have_text("20")
    expect(send).to_be_enabled()
    box.fill(url_and_emoji + "x" * (275 - 27))
    expect(ring).to_have_attribute("aria-valuenow", "275")
    expect(ring).to_have_attribute("data-state", "warning")
    expect(count).to_have_text("5")
    assert ring_colour(ring) == "rgb(234, 179, 8)"  # yellow
    expect(send).to_be_enabled()
    screenshot("reply-ring-275")
    box.fill(url_and_emoji + "x" * (281 - 27))
    expect(ring).to_have_attribute("data-state", "over")
    expect(count).to_have_text("-1")
    assert ring_colour(ring) == "rgb(220, 38, 38)"  # red
    expect(send).to_be_disabled()
    screenshot("reply-ring-281")
    box.press("Enter")  # Enter cannot send what X would refuse
    page.wait_for_timeout(300)
    assert not Interaction.objects.get().messages.filter(direction="out").exists()
