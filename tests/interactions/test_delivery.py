"""The outbox owns a message's delivery state: the sender's moves, why a queued message waits, and who sends it."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from contacts.models import Contact
from interactions import channels, outbox
from interactions.attachments import MAX_BYTES, TOO_BIG
from interactions.errors import InteractionError
from interactions.models import Message
from social.channel import XChannel
from tests.factories import PASSWORD, AgentFactory, InteractionFactory, TwitterIdentityFactory, XAccountFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

LEASE = timedelta(seconds=60)
HX = {"HX-Request": "true"}


@pytest.fixture
def working():
    agent = AgentFactory()
    return agent, InteractionFactory(agent=agent, state="active", accepted_at=timezone.now())


def queued(interaction, agent, text="On it") -> Message:
    """An outbox row as outbox_send_dm leaves it (this test's transaction never commits, so nothing sends it)."""
    return outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text=text, idempotency_key=text)


def conversation(agent, interaction) -> str:
    return (
        sign_in(agent.username, PASSWORD).get(f"/workspace/interactions/{interaction.pk}/", headers=HX).content.decode()
    )


def test_a_send_for_an_account_that_needs_reconnecting_is_held_and_the_conversation_says_why(
    working, django_capture_on_commit_callbacks
):
    agent, interaction = working
    interaction.x_account.needs_reconnect = True
    interaction.x_account.save(update_fields=["needs_reconnect"])
    with django_capture_on_commit_callbacks(execute=True):  # the dispatch runs the (eager) worker: X is not called
        message = queued(interaction, agent)
    message.refresh_from_db()
    assert (message.delivery, message.hold_reason, message.last_error) == ("queued", "reconnect", "")
    assert "Queued</span> — Held until a supervisor reconnects the X account." in conversation(agent, interaction)


def test_a_claimed_row_held_for_the_rate_limit_waits_with_its_time_and_the_next_claim_clears_the_reason(working):
    agent, interaction = working
    message = queued(interaction, agent)
    claim = outbox.claim(message.pk, lease=LEASE)
    assert claim.message.delivery == "sending" and not claim.ask_x_first
    until = timezone.now() + timedelta(minutes=10)
    assert outbox.hold(claim.message, Message.HoldReason.RATE_LIMIT, until=until, ask_x_first=False)
    message.refresh_from_db()
    assert (message.delivery, message.hold_reason, message.send_after, message.claimed_at) == (
        "queued", "rate_limit", until, None,
    )  # fmt: skip
    sends_at = timezone.localtime(until).strftime("%H:%M")
    assert f"Waiting for X&#x27;s rate limit: sends at {sends_at}." in conversation(agent, interaction)

    assert outbox.claim(message.pk, lease=LEASE).message is None  # not due yet
    with time_machine.travel(until + timedelta(seconds=1), tick=False):
        again = outbox.claim(message.pk, lease=LEASE).message
    assert (again.delivery, again.hold_reason, again.attempts) == ("sending", "", 2)


def test_a_backoff_keeps_the_claim_and_xs_words_and_sent_clears_them(working):
    agent, interaction = working
    message = queued(interaction, agent)
    mine = outbox.claim(message.pk, lease=LEASE).message
    until = timezone.now() + timedelta(seconds=5)
    said = "X had a server error while trying to send the direct message (503)."
    assert outbox.hold(mine, Message.HoldReason.BACKOFF, until=until, detail=said, ask_x_first=True)
    message.refresh_from_db()
    assert (message.hold_reason, message.last_error, message.claimed_at) == ("backoff", said, mine.claimed_at)
    assert f"Trying again shortly: sends at {timezone.localtime(until):%H:%M}. {said}" in conversation(
        agent, interaction
    )

    with time_machine.travel(until + timedelta(seconds=1), tick=False):
        claim = outbox.claim(message.pk, lease=LEASE)
    assert claim.ask_x_first  # the claim stayed: X may have it, so the next try asks X first
    assert outbox.mark_sent(claim.message, external_id="4000000000000000009")
    message.refresh_from_db()
    assert (message.delivery, message.hold_reason, message.last_error, message.send_after) == ("sent", "", "", None)


def test_a_failure_keeps_only_xs_words_and_a_worker_move_from_a_state_the_row_left_changes_nothing(working):
    agent, interaction = working
    message = queued(interaction, agent)
    mine = outbox.claim(message.pk, lease=LEASE).message
    assert outbox.mark_echoed(message, external_id="4000000000000000010", at=timezone.now())  # a poll saw X's copy
    assert not outbox.fail(mine, "X refused to send the direct message: blocked (403)")
    assert not outbox.hold(mine, Message.HoldReason.BACKOFF, ask_x_first=True)
    message.refresh_from_db()
    assert (message.delivery, message.external_id, message.last_error) == ("sent", "4000000000000000010", "")

    other = queued(interaction, agent, "Second")
    mine = outbox.claim(other.pk, lease=LEASE).message
    assert outbox.fail(mine, "X refused to send the direct message: blocked (403)")
    other.refresh_from_db()
    assert (other.delivery, other.hold_reason, other.last_error) == ("failed", "", mine.last_error)


def test_a_send_written_while_an_older_one_waits_goes_behind_it(working):
    agent, interaction = working
    first, second = queued(interaction, agent, "First"), queued(interaction, agent, "Second")
    until = timezone.now() + timedelta(minutes=3)
    outbox.hold(outbox.claim(first.pk, lease=LEASE).message, Message.HoldReason.RATE_LIMIT, until=until,
                ask_x_first=False)  # fmt: skip
    assert outbox.claim(second.pk, lease=LEASE).message is None
    second.refresh_from_db()
    assert (second.delivery, second.hold_reason, second.send_after) == ("queued", "behind", until)


def test_reconnecting_makes_the_held_sends_due(working):
    agent, interaction = working
    held = queued(interaction, agent)
    waiting = queued(interaction, agent, "Later")
    Message.objects.filter(pk=waiting.pk).update(send_after=timezone.now() + timedelta(minutes=5))
    assert outbox.release_held(x_account_id=interaction.x_account_id, due=interaction.x_account.created_at) == 1
    held.refresh_from_db()
    assert held.send_after == interaction.x_account.created_at


def test_a_channel_with_no_sender_is_refused_in_words_and_nothing_is_queued(working, monkeypatch):
    agent, interaction = working
    with pytest.raises(InteractionError, match="no sender for the 'fax' channel"):
        channels.service_for("fax")
    monkeypatch.delitem(channels._services, "chat")  # as if the channel's app were not installed
    with pytest.raises(InteractionError, match="no sender for the 'chat' channel"):
        queued(interaction, agent)
    assert not Message.objects.filter(direction="out").exists()


def test_x_is_the_registered_sender_of_both_channels_and_addresses_a_new_dm():
    x = channels.service_for("chat")
    assert isinstance(x, XChannel) and channels.service_for("twitter") is x
    account = XAccountFactory(x_user_id="1800000000000000500")
    identity = TwitterIdentityFactory(external_id="1900000000000000001")
    address = x.address_dm(Contact.objects.get(pk=identity.contact_id))
    assert (address.x_account, address.thread_key) == (account, "1800000000000000500-1900000000000000001")


def test_the_composer_checks_the_same_image_limit_as_the_server(working):
    agent, interaction = working
    page = conversation(agent, interaction)
    assert f'data-max-bytes="{MAX_BYTES}"' in page and f'data-too-big="{TOO_BIG}"' in page


def test_the_migration_moves_the_reason_out_of_the_old_text(working):
    agent, interaction = working
    texts = {
        "Held: the X account needs reconnecting. It goes out once a supervisor fixes it.": ("reconnect", ""),
        "Waiting for X's rate limit: sends at 10:15.": ("rate_limit", ""),
        "Waiting behind earlier messages: sends at 10:15.": ("behind", ""),
        "X had a server error (503). Trying again shortly.": ("backoff", "X had a server error (503)."),
    }
    rows = {text: queued(interaction, agent, f"m{n}") for n, text in enumerate(texts)}
    for text, row in rows.items():
        Message.objects.filter(pk=row.pk).update(last_error=text)
    migration = importlib.import_module("interactions.migrations.0009_message_hold_reason")
    migration.reasons_from_last_error(apps, None)
    for text, row in rows.items():
        row.refresh_from_db()
        assert (row.hold_reason, row.last_error) == texts[text]
