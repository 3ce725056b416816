"""On the demo's self-serve X account, in real Chromium: a keyword tweet that never addressed the brand offers no Like
and no public Reply, only Reply by DM (the composer then says "Private DM"); a tweet that @mentions the brand is
answered in public ("Public reply on X"), and Move to DM leaves the public reply, then the DM, in the customer's
history. Issue 17."""

import pytest
import requests
from playwright.sync_api import expect

from interactions.models import Message
from tests.e2e.helpers import Console, accept_offer, settled
from tests.e2e.test_conversation import MAYA, TOM, demo, poll  # noqa: F401 (demo is a fixture)
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SIZES = [(1280, 800), (1920, 1080)]


def tweet(simulator: str, author_id: str, text: str) -> dict:
    response = requests.post(f"{simulator}/tweet", json={"author_id": author_id, "text": text}, timeout=10)
    response.raise_for_status()
    return response.json()


def activity(simulator: str, user_id: str) -> dict:
    return requests.get(f"{simulator}/activity", params={"user_id": user_id}, timeout=10).json()


def shots(page, screenshot, name: str) -> None:
    """The page at both sizes agents use, then back to the test's own size."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)  # the layout settles (grid columns, wrapped action rows)
        screenshot(f"{name}-{width}x{height}")
    page.set_viewport_size({"width": 1440, "height": 900})


def send(view, text: str) -> None:
    box = view.get_by_label("Write a message")
    box.fill(text)
    box.press("Enter")
    expect(view.locator(".bubble.outbound .delivery").last).to_have_text("Sent")


def test_an_unsummoned_keyword_tweet_is_answered_by_dm_and_a_mention_moves_to_dm(demo, page, screenshot):  # noqa: F811
    simulator = demo
    console = Console()
    console.watch(page, "ana")
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")
    page.get_by_role("switch", name="Twitter Not Ready").click()
    expect(page.get_by_role("switch", name="Twitter Ready")).to_be_visible()

    # Found by the demo's keyword monitoring ("lost bag"): Maya never wrote to @perchdemoair.
    keyword = tweet(simulator, MAYA, "Airline lost bag again, third time this year")
    poll()
    conversation = accept_offer(page, "Twitter", "Maya Patel")
    first = conversation.get_by_label("Tweet thread").locator(".tweet").first
    expect(first).to_contain_text("Not addressed to @perchdemoair")
    expect(first).to_contain_text("Airline lost bag again")
    expect(conversation.get_by_role("button", name="Like")).to_have_count(0)  # self-serve: X has no likes for it
    expect(first.get_by_role("button", name="Reply", exact=True)).to_have_count(0)
    expect(first.get_by_role("button", name="Move to DM")).to_have_count(0)
    reply_by_dm = first.get_by_role("button", name="Reply by DM")
    expect(reply_by_dm).to_be_visible()
    # Nothing here X lets the account answer in public: the composer says so and keeps Send off (a note still goes).
    expect(conversation.locator(".composer-destination")).to_contain_text("Public reply on X not allowed here")
    conversation.get_by_label("Write a message").fill("See acme.com/bags")  # no price for what cannot be sent
    expect(conversation.locator(".composer-destination .reply-cost-price")).to_be_hidden()
    conversation.get_by_label("Write a message").fill("Checked the baggage desk: no trace yet")
    expect(conversation.get_by_role("button", name="Send")).to_be_disabled()
    expect(conversation.get_by_role("button", name="Add private note")).to_be_enabled()
    shots(page, screenshot, "reply-by-dm-unsummoned")

    reply_by_dm.click()
    chat = page.locator("#centre").get_by_role("article", name="Interaction with Maya Patel")
    expect(chat.locator(".composer-destination")).to_have_text("Private DM")
    expect(page.get_by_label("My interactions").locator("li", has_text="Maya Patel")).to_have_count(2)
    expect(page).to_have_url(f"{page.url.split('/workspace/')[0]}/workspace/interactions/{chat_id(MAYA)}/")
    shots(page, screenshot, "reply-by-dm-composer")
    send(chat, "Hi Maya, so sorry about your bag. Could you send us your booking code?")
    maya = activity(simulator, MAYA)
    assert maya["replies"] == []  # nothing in public: X would have refused it
    assert [d["text"] for d in maya["dms"] if d["sender_id"] == DEMO_ACCOUNT_USER_ID] == [
        "Hi Maya, so sorry about your bag. Could you send us your booking code?"
    ]
    assert keyword["id"] in set(Message.objects.filter(kind="tweet").values_list("external_id", flat=True))

    # Tom @mentions the brand: a public reply is fine, and the composer says it is public.
    mention = tweet(simulator, TOM, "@perchdemoair my refund never arrived")
    poll()
    conversation = accept_offer(page, "Twitter", "Tom Becker")
    expect(conversation.locator(".composer-destination")).to_contain_text("Public reply on X")
    first = conversation.get_by_label("Tweet thread").locator(".tweet").first
    expect(first).not_to_contain_text("Not addressed")
    expect(first.get_by_role("button", name="Reply", exact=True)).to_be_visible()
    expect(conversation.get_by_role("button", name="Like")).to_have_count(0)
    shots(page, screenshot, "reply-public-summoned")

    first.get_by_role("button", name="Move to DM").click()
    chat = page.locator("#centre").get_by_role("article", name="Interaction with Tom Becker")
    expect(chat.locator(".composer-destination")).to_have_text("Private DM")
    mine = page.get_by_label("My interactions")
    expect(mine.locator("li", has_text="Tom Becker")).to_have_count(2)  # the tweet and the DM conversation
    send(chat, "Hi Tom, let's sort out your refund here: what is your booking code?")
    tom = activity(simulator, TOM)
    assert [(r["in_reply_to_tweet_id"], r["text"]) for r in tom["replies"]] == [
        (mention["id"], "@tombecker We've sent you a DM so we can sort this out privately.")
    ]

    # The customer's history holds both, the public reply last (the transcript reads like the chat, oldest first).
    page.get_by_role("tab", name="Communication").click()
    panel = page.get_by_role("tabpanel", name="Communication")
    expect(panel.get_by_role("searchbox", name="Search contacts")).to_be_visible()
    settled(page)  # the tab's content has its listeners: typing now searches
    panel.get_by_role("searchbox", name="Search contacts").fill("@tombeck")
    panel.get_by_role("list", name="Search results").get_by_role("link", name="Tom Becker").click()
    lines = panel.get_by_role("list", name="Transcript with Tom Becker").locator(".line .line-text")
    expect(lines).to_have_count(3)
    assert lines.all_inner_texts() == [
        "@perchdemoair my refund never arrived",
        "We've sent you a DM so we can sort this out privately.",
        "Hi Tom, let's sort out your refund here: what is your booking code?",
    ]
    shots(page, screenshot, "move-to-dm-history")
    assert console.errors == []


def chat_id(author_id: str) -> int:
    from interactions.models import Interaction

    return Interaction.objects.get(kind="chat", contact__identities__external_id=author_id).pk
