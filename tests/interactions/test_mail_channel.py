"""Email, the second outbound channel: Write a message to a contact whose default channel is Email → an outbox row →
the worker → Django's SMTP backend → the demo's real SMTP server (aiosmtpd), read back from its Maildir."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactIdentity
from interactions import outbox, outreach
from interactions.errors import InteractionError, NotYours
from interactions.mail import sending, tasks
from interactions.models import Interaction, Message
from tests.factories import PASSWORD, AgentFactory, ContactFactory, TwitterIdentityFactory, XAccountFactory
from tests.helpers import sign_in
from tests.social.conftest import png

pytestmark = pytest.mark.django_db


def email_contact(name="Lucía Gómez", address="lucia@example.com", default="email"):
    contact = ContactFactory(display_name=name, default_outbound_channel=default)
    ContactIdentity.objects.create(contact=contact, channel="email", external_id=address)
    return contact


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana", last_name="Alvarez")


def write(contact, agent, text="Your refund is on its way.", key="k1", **extra) -> Message:
    return outreach.contact_write(contact_id=contact.pk, agent=agent, text=text, idempotency_key=key, **extra)


def test_an_email_is_queued_then_the_worker_sends_it_to_the_contacts_address(
    ana, demo_mailbox, django_capture_on_commit_callbacks
):
    lucia = email_contact()
    with django_capture_on_commit_callbacks() as dispatches:
        message = write(lucia, ana, text="Hola Lucía,\nyour refund is on its way.")
    message.refresh_from_db()
    assert (message.kind, message.delivery, message.subject) == ("email", "queued", "Message from Ana Alvarez")
    interaction = message.interaction
    assert (interaction.kind, interaction.state, interaction.x_account_id) == ("email", "done", None)
    assert interaction.done_note == "Written from the Connect view." and interaction.thread_key == "lucia@example.com"
    assert demo_mailbox.emails() == []  # nothing leaves before the transaction commits

    for dispatch in dispatches:  # the commit: the worker (eager here) claims the row and sends it
        dispatch()
    message.refresh_from_db()
    assert message.delivery == "sent" and message.sent_at and message.attempts == 1
    assert message.seen_at is None  # Seen is X's read receipt: never for an email
    [received] = demo_mailbox.emails()
    assert received["to"] == "lucia@example.com"
    assert received["from"] == "Perch demo <care@perch.localhost>"
    assert received["subject"] == "Message from Ana Alvarez"
    assert received["text"].strip() == "Hola Lucía,\nyour refund is on its way."
    assert received["message_id"] == message.external_id == sending.message_id_of(message)
    assert len(message.external_id) <= 32 and message.external_id.endswith("@perch.localhost>")


def test_the_subject_names_the_brand_the_contact_talks_to_on_x(ana, demo_mailbox):
    lucia = email_contact()
    TwitterIdentityFactory(contact=lucia)
    XAccountFactory(name="Perch Demo Air")
    assert write(lucia, ana).subject == "Message from Perch Demo Air"


def test_smtp_down_fails_in_words_and_retry_once_it_is_back_sends_it_once(
    ana, demo_mailbox, django_capture_on_commit_callbacks
):
    lucia = email_contact()
    demo_mailbox.stop()
    with django_capture_on_commit_callbacks(execute=True):
        message = write(lucia, ana)
    message.refresh_from_db()
    assert message.delivery == "failed"
    assert message.last_error.startswith(f"The mail server at 127.0.0.1:{demo_mailbox.port} did not answer")

    demo_mailbox.start()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_retry(message_id=message.pk, agent=ana)
    message.refresh_from_db()
    assert (message.delivery, message.last_error, message.attempts) == ("sent", "", 2)
    assert len(demo_mailbox.emails()) == 1
    with pytest.raises(outbox.OutboxRefused, match="Only a failed message can be retried"):
        outbox.outbox_retry(message_id=message.pk, agent=ana)


def test_a_double_click_is_one_row_one_interaction_one_email(ana, demo_mailbox, django_capture_on_commit_callbacks):
    lucia = email_contact()
    with django_capture_on_commit_callbacks(execute=True):
        first = write(lucia, ana, key="same")
        second = write(lucia, ana, key="same")
    assert first.pk == second.pk
    assert Message.objects.filter(kind="email").count() == 1 and Interaction.objects.filter(kind="email").count() == 1
    assert len(demo_mailbox.emails()) == 1


def test_a_lost_dispatch_and_a_worker_killed_mid_send_are_sent_by_beats_sweep(
    ana, demo_mailbox, django_capture_on_commit_callbacks
):
    lucia = email_contact()
    with django_capture_on_commit_callbacks():  # the broker was down: the dispatch never reached a worker
        lost = write(lucia, ana, key="lost")
        killed = write(lucia, ana, key="killed", text="Second one")
    outbox.claim(killed.pk, lease=sending.send_lease())  # a worker claimed this one, then died before sending
    assert list(sending.dispatchable()) == []  # neither is due yet: the worker may still be at it

    with time_machine.travel(timezone.now() + sending.send_lease() + timedelta(seconds=1)):
        assert list(sending.dispatchable()) == [lost.pk, killed.pk]
        tasks.release_due_emails()  # beat's sweep (the task runs inline here)
    lost.refresh_from_db()
    killed.refresh_from_db()
    assert (lost.delivery, killed.delivery, killed.attempts) == ("sent", "sent", 2)
    assert sorted(e["subject"] for e in demo_mailbox.emails()) == ["Message from Ana Alvarez"] * 2
    # Sent again after a crash, the email keeps its Message-ID: the same row's email, recognisably.
    assert {e["message_id"] for e in demo_mailbox.emails()} == {lost.external_id, killed.external_id}
    assert killed.external_id == sending.message_id_of(killed)


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("", "Write something before sending."),
        ("   \n ", "Write something before sending."),
        ("x" * 10_001, "This email is 10,001 characters; Perch sends at most 10,000."),
        ("hi\x00there", "The email contains a NUL character"),
    ],
)
def test_bad_text_is_refused_in_words_and_nothing_is_written(ana, text, refusal):
    lucia = email_contact()
    with pytest.raises(outbox.OutboxRefused, match=refusal.replace(".", r"\.")):
        write(lucia, ana, text=text)
    assert not Message.objects.exists() and not Interaction.objects.exists()


def test_ten_thousand_characters_are_taken(ana, demo_mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = write(email_contact(), ana, text="y" * 10_000)
    message.refresh_from_db()
    assert message.delivery == "sent" and len(demo_mailbox.emails()[0]["text"].strip()) == 10_000


def test_a_contact_without_an_email_address_is_refused(ana):
    maya = ContactFactory(display_name="Maya Patel", default_outbound_channel="email")
    with pytest.raises(InteractionError, match="Maya Patel has no email address: add one in the Contact tab first."):
        write(maya, ana)
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(("channel", "name"), [("sms", "SMS"), ("whatsapp", "WhatsApp"), ("chat", "Chat")])
def test_sms_whatsapp_and_chat_say_they_are_not_connected(ana, channel, name):
    contact = email_contact(default=channel)
    with pytest.raises(InteractionError, match=f"{name} is not connected: pick X or Email as the default channel."):
        write(contact, ana)
    assert not Message.objects.exists()


def test_an_image_goes_by_x_dm_only(ana):
    with pytest.raises(InteractionError, match="Images go by X DM only"):
        write(email_contact(), ana, image=png())
    assert not Message.objects.exists()


def test_an_email_interaction_is_not_another_agents_to_retry(ana, demo_mailbox, django_capture_on_commit_callbacks):
    demo_mailbox.stop()
    with django_capture_on_commit_callbacks(execute=True):
        message = write(email_contact(), ana)
    with pytest.raises(NotYours):
        outbox.outbox_retry(message_id=message.pk, agent=AgentFactory())


def test_the_message_id_fits_the_external_id_for_a_long_sender_domain(ana, settings):
    settings.PERCH_EMAIL_FROM = "Care <care@customer-care.eu-west.example-airline.com>"
    message = write(email_contact(), ana)
    message_id = sending.message_id_of(message)
    assert len(message_id) <= 32 and message_id.startswith(f"<{message.pk}.") and message_id.endswith(".com>")


def test_the_email_interaction_opens_in_the_workspace_and_retry_there_sends_it(
    ana, demo_mailbox, django_capture_on_commit_callbacks
):
    demo_mailbox.stop()
    with django_capture_on_commit_callbacks(execute=True):
        message = write(email_contact(), ana, text="About your refund")
    client = sign_in(ana.username, PASSWORD)
    for headers in ({}, {"HX-Request": "true"}):
        page = client.get(reverse("workspace:interaction", args=[message.interaction_id]), headers=headers)
        assert page.status_code == 200 and "About your refund" in page.content.decode()
        assert "Message from Ana Alvarez" in page.content.decode()  # the subject, above the text

    demo_mailbox.start()
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(reverse("workspace:message_retry", args=[message.pk]), headers={"HX-Request": "true"})
    assert retried.status_code in (200, 204, 302)
    message.refresh_from_db()
    assert message.delivery == "sent" and len(demo_mailbox.emails()) == 1
