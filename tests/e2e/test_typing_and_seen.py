"""Typing and Seen in the agent's browser: "typing…" under the chat while the customer types (gone a few seconds
after X stops saying so, and at once when their message arrives), then Seen after Sent once they read the answer.

The customer's X app is the sandbox's: its payload builders make the dm.indicate_typing and dm.read payloads. Until
the XAA webhook branch lands they are handed to social.ingest.indicators.receive in-process, inside a transaction,
as the webhook view does; the second test drives the same through the simulator's API and Perch's webhook."""

import time

import pytest
import requests
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from interactions.models import Message
from social import polling
from social.ingest.indicators import receive
from social.models import XAccount
from social.sandbox.indicators import read_payload, typing_payload
from social.sandbox.models import SandboxDMEvent, SandboxUser
from tests.conftest import ARTIFACTS
from tests.e2e.helpers import accept_offer, in_worker_thread, sign_in
from tests.social.conftest import switch_to_webhook
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
MAYA = "1790000000000000101"
SHOWN_FOR = 6  # seconds: typing.js's default, as in production


def account() -> XAccount:
    return XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID)


def poll():
    in_worker_thread(lambda: polling.poll_account(account_id=account().pk))


@pytest.fixture
def demo(live_server_url, page):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server_url, "ana")
    return f"{live_server_url}/x-sandbox/simulator/api"


def customer_dm(simulator, text):
    dm = {"sender_id": MAYA, "recipient_id": DEMO_ACCOUNT_USER_ID, "text": text}
    requests.post(f"{simulator}/dm", json=dm, timeout=10).raise_for_status()


def delivered(event_type: str, build) -> None:
    """What the XAA webhook view does with a delivery of `event_type`: receive() inside its transaction, the pushes
    after commit (off Playwright's thread, as a web process would)."""
    maya, brand = SandboxUser.objects.get(pk=MAYA), SandboxUser.objects.get(pk=DEMO_ACCOUNT_USER_ID)
    payload = build(maya, brand)

    def work():
        with transaction.atomic():
            receive(account=account(), event_type=event_type, payload=payload, includes={})

    in_worker_thread(work)


def maya_types():
    delivered("dm.indicate_typing", lambda maya, brand: typing_payload(
        sender=maya, recipient=brand, at=timezone.now(), origin="http://127.0.0.1"))  # fmt: skip


def maya_reads():
    """Maya reads the brand's DMs up to the last one it sent her (what the simulator's Read button chooses)."""
    last = SandboxDMEvent.objects.filter(sender_id=DEMO_ACCOUNT_USER_ID, recipient_id=MAYA).latest("created_at")
    delivered("dm.read", lambda maya, brand: read_payload(
        sender=maya, recipient=brand, last_read_event_id=last.pk, at=timezone.now(), origin="http://127.0.0.1",
    ))  # fmt: skip


def snapshot(page, name: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))  # the viewport: 1280 × 800


def answered_chat(simulator, page):
    """Maya DMs the brand, Ana (Ready on Chat) accepts and answers; returns the conversation once it says Sent."""
    page.get_by_role("switch", name="Chat Not Ready").click()
    customer_dm(simulator, "Hi, my bag never arrived")
    poll()
    conversation = accept_offer(page, "Chat", "Maya Patel")
    box = conversation.get_by_label("Write a message")
    box.fill("So sorry! It is on its way to you today.")
    box.press("Enter")
    expect(conversation.locator(".bubble.outbound .delivery")).to_have_text("Sent")
    return conversation


def test_the_agent_sees_the_customer_typing_then_seen(demo, page):
    conversation = answered_chat(demo, page)
    typing = conversation.locator(".bubble.typing")
    expect(typing).to_be_hidden()

    maya_types()
    expect(typing).to_be_visible()
    shown_at = time.monotonic()
    expect(typing).to_have_text("Maya Patel is typing…")  # the name for screen readers; "typing…" on screen
    expect(conversation.get_by_label("Transcript").locator("li").last).to_have_class("bubble inbound typing")
    snapshot(page, "typing-indicator")
    page.wait_for_timeout(3000)
    expect(typing).to_be_visible()  # for a few seconds: X says it again every few seconds while she types
    expect(typing).to_be_hidden(timeout=(SHOWN_FOR + 3) * 1000)  # X stopped saying so: it goes by itself
    assert time.monotonic() - shown_at >= SHOWN_FOR - 0.5

    maya_types()
    expect(typing).to_be_visible()
    customer_dm(demo, "Great, thank you!")
    poll()
    expect(conversation.get_by_label("Transcript")).to_contain_text("Great, thank you!")
    expect(typing).to_be_hidden(timeout=1000)  # her message is here: at once, not seconds later

    sent = conversation.locator(".bubble.outbound")
    expect(sent.locator(".seen")).to_have_count(0)
    maya_reads()
    expect(sent.locator(".seen")).to_have_text("Seen")  # live, no reload
    expect(sent.locator(".delivery")).to_have_text("Sent")  # the third tick comes after Sent
    message = Message.objects.get(direction="out", kind="dm", interaction__contact__display_name="Maya Patel")
    assert message.seen_at is not None
    history = page.locator("#conversation-panel .line.outbound")  # the Conversation tab shows it too
    expect(history.locator(".seen")).to_have_text("Seen")
    snapshot(page, "seen-receipt")


def test_the_simulator_drives_typing_and_seen_through_perchs_webhook(demo, page, live_server_url):
    """The acceptance test of issue 16's item 3, end to end: the simulator's typing and read actions → the sandbox's
    signed XAA delivery → Perch's webhook view → receive() → the agent's browser."""
    from workspace.celery import app as celery_app

    eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True  # connect inline: no worker
    try:
        switch_to_webhook(account(), live_server_url)  # registers the webhook and its subscriptions at the sandbox
    finally:
        celery_app.conf.task_always_eager = eager
    page.get_by_role("switch", name="Chat Not Ready").click()
    customer_dm(demo, "Hi, my bag never arrived")  # delivered to the webhook: no poll
    conversation = accept_offer(page, "Chat", "Maya Patel")
    box = conversation.get_by_label("Write a message")
    box.fill("So sorry! It is on its way to you today.")
    box.press("Enter")
    expect(conversation.locator(".bubble.outbound .delivery")).to_have_text("Sent")

    typing = conversation.locator(".bubble.typing")
    who = {"sender_id": MAYA, "recipient_id": DEMO_ACCOUNT_USER_ID}
    requests.post(f"{demo}/typing", json=who, timeout=10).raise_for_status()
    expect(typing).to_be_visible()
    expect(typing).to_be_hidden(timeout=(SHOWN_FOR + 3) * 1000)
    requests.post(f"{demo}/read", json=who, timeout=10).raise_for_status()
    expect(conversation.locator(".bubble.outbound .seen")).to_have_text("Seen")
