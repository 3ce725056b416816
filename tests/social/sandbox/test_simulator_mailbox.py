"""The simulator's Mailbox: what the demo SMTP server received from Perch, listed newest first by
`simulator/api/mailbox` (read from the server's Maildir) and shown on the simulator page, customer text escaped."""

import pytest
import requests
from playwright.sync_api import expect

from contacts.models import ContactIdentity
from interactions import outreach
from interactions.models import NotificationTemplate
from tests.e2e.helpers import Console
from tests.factories import AgentFactory, ContactFactory

HOSTILE = '<img src=x onerror="window.pwned=1">Lucía'


def email_contact(name: str, address: str):
    contact = ContactFactory(display_name=name, default_outbound_channel="email")
    ContactIdentity.objects.create(contact=contact, channel="email", external_id=address)
    return contact


def mailbox(live_server_url) -> list[dict]:
    response = requests.get(f"{live_server_url}/x-sandbox/simulator/api/mailbox", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["emails"]


@pytest.mark.django_db(transaction=True)  # the live server reads the database too: the test's rows are committed
def test_the_mailbox_lists_what_the_demo_server_received_newest_first(live_server_url, demo_mailbox):
    ana = AgentFactory(first_name="Ana", last_name="Alvarez")
    assert mailbox(live_server_url) == []
    outreach.contact_write(contact_id=email_contact("Lucía Gómez", "lucia@example.com").pk, agent=ana,
                           text="First, about your refund.", idempotency_key="m1")  # fmt: skip
    outreach.contact_write(contact_id=email_contact("Tom Becker", "tom@example.com").pk, agent=ana,
                           text="Second, about your bag.", idempotency_key="m2")  # fmt: skip
    newest, oldest = mailbox(live_server_url)
    assert (newest["to"], newest["subject"], newest["text"].strip()) == (
        "tom@example.com",
        "Message from Ana Alvarez",
        "Second, about your bag.",
    )
    assert oldest["to"] == "lucia@example.com" and oldest["text"].strip() == "First, about your refund."
    assert newest["received_at"] >= oldest["received_at"] and newest["received_at"].endswith("Z")
    assert newest["from"] == "Perch demo <care@perch.localhost>" and newest["message_id"].startswith("<")


@pytest.mark.django_db(transaction=True)
def test_the_mailbox_wants_simulator_access(live_server_url, demo_mailbox):
    response = requests.post(f"{live_server_url}/x-sandbox/simulator/api/mailbox", json={}, timeout=10)
    assert response.status_code == 405 and "Use GET here." in response.json()["detail"]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_hostile_subject_is_text_on_the_simulator_page(live_server_url, demo_mailbox, page, screenshot):
    ana = AgentFactory(first_name="Ana")
    contact = email_contact(HOSTILE, "lucia@example.com")
    chosen = NotificationTemplate.objects.create(
        name="Refund processed", subject="Your refund, {contact_name}",
        text="Hi {contact_name},\n<script>window.pwned=2</script> your refund is on its way. — {agent_name}",
    )  # fmt: skip
    outreach.contact_notify(contact_id=contact.pk, agent=ana, template_id=chosen.pk, idempotency_key="n1")
    assert len(demo_mailbox.emails()) == 1

    console = Console()
    console.watch(page, "simulator")
    for width, height in ((1280, 800), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server_url}/x-sandbox/simulator/")
        mail = page.locator("#mail-list .mail")
        expect(mail).to_have_count(1)
        expect(mail.locator(".mail-subject")).to_have_text(f"Your refund, {HOSTILE}")
        expect(mail.locator(".mail-to")).to_contain_text("To lucia@example.com")
        expect(mail.locator(".mail-text")).to_contain_text("<script>window.pwned=2</script> your refund")
        assert page.locator("#mail-list img, #mail-list script").count() == 0
        assert page.evaluate("window.pwned") is None
        mail.scroll_into_view_if_needed()
        screenshot(f"simulator-mailbox-{width}x{height}")
    assert console.errors == []
