"""X's copy of a message Perch sent — read by a poll or delivered by a webhook while the worker still waits for X's
answer — makes the outbox row sent; it is never stored beside it, and the worker's late timeout undoes nothing."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from interactions import outbox, services
from interactions.models import Message
from social import polling, sending
from tests.factories import AgentFactory
from tests.social.conftest import switch_to_webhook
from tests.social.test_sending import brand_dms_to, dm_conversation
from tests.social.test_worker_death import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Worker(threading.Thread):
    """An agent's Send, whose worker (the eager task, inline) then waits for X's late answer: in its own thread."""

    def __init__(self, send):
        super().__init__(daemon=True)
        self.send, self.errors = send, []

    def run(self):
        try:
            self.send()
        except Exception as exc:  # noqa: BLE001  (asserted on by the test)
            self.errors.append(repr(exc))
        finally:
            connection.close()


@pytest.fixture
def x_answers_late(settings, simulator):
    """X stores the next call's message at once but answers after 6 s; Perch gives up waiting after 3 s."""
    settings.X_API_TIMEOUT_SECONDS = 3

    def fault(path: str):
        simulator.fault(method="POST", path=path, status=0, delay_ms=6000, times=1)

    return fault


def settled(row: Message) -> Message:
    row.refresh_from_db()
    later = timezone.now() + sending.send_lease() + timedelta(minutes=10)
    with time_machine.travel(later, tick=False):  # past any backoff or lease: beat's sweep would not send it again
        assert row.pk not in list(sending.dispatchable())
    return row


def test_a_poll_reading_x_copy_of_a_dm_in_flight_makes_the_row_sent_and_the_late_timeout_changes_nothing(
    simulator, brand, x_answers_late
):
    maya, agent, interaction = dm_conversation(simulator, brand)
    x_answers_late("/2/dm_conversations/with/")
    worker = Worker(lambda: outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="On it!",
                                                  idempotency_key="echo-1"))  # fmt: skip
    worker.start()
    at_x = wait_for(lambda: brand_dms_to(simulator, maya), 2.5, "X storing the DM")

    polling.poll_account(account_id=brand.pk)  # while the worker still waits for X's answer
    row = Message.objects.get(idempotency_key="echo-1")
    assert (row.delivery, row.external_id) == ("sent", at_x[0]["id"])
    worker.join(timeout=30)
    row = settled(row)
    assert (row.delivery, row.external_id, row.send_after, worker.errors) == ("sent", at_x[0]["id"], None, [])
    assert list(interaction.messages.filter(direction="out").values_list("pk", flat=True)) == [row.pk]
    assert len(brand_dms_to(simulator, maya)) == 1


def test_a_dm_sent_webhook_delivery_makes_the_dm_in_flight_sent(simulator, brand, live_server_url, x_answers_late):
    maya, agent, interaction = dm_conversation(simulator, brand)
    switch_to_webhook(brand, live_server_url)
    x_answers_late("/2/dm_conversations/with/")
    worker = Worker(lambda: outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="Refund issued.",
                                                  idempotency_key="echo-2"))  # fmt: skip
    worker.start()

    # X delivers the brand's own DM (dm.sent) to the webhook while the worker waits.
    row = wait_for(lambda: Message.objects.filter(idempotency_key="echo-2", delivery="sent").first(), 2.5,
                   "the webhook delivery making the row sent")  # fmt: skip
    worker.join(timeout=30)
    row = settled(row)
    at_x = brand_dms_to(simulator, maya)
    assert len(at_x) == 1 and (row.delivery, row.external_id, worker.errors) == ("sent", at_x[0]["id"], [])
    assert interaction.messages.filter(direction="out").count() == 1


def test_a_customer_answering_a_reply_in_flight_makes_the_reply_sent_not_a_second_brand_tweet(
    simulator, brand, x_answers_late
):
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "@acmecare my bag is lost")
    polling.poll_account(account_id=brand.pk)
    agent, interaction = AgentFactory(), brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    x_answers_late("/2/tweets")
    worker = Worker(lambda: outbox.outbox_reply(interaction_id=interaction.pk, agent=agent, idempotency_key="echo-3",
                                                in_reply_to_tweet_id=tweet["id"], text="So sorry! DM us?"))  # fmt: skip
    worker.start()
    reply = wait_for(lambda: simulator.activity(maya)["replies"], 2.5, "X storing the reply")[0]
    answer = simulator.tweet(maya, "@acmecare done, DMed you", in_reply_to=reply["id"])

    polling.poll_account(account_id=brand.pk)  # fetches the unseen parent of Maya's answer: the brand's reply
    row = Message.objects.get(idempotency_key="echo-3")
    assert (row.delivery, row.external_id) == ("sent", reply["id"])
    worker.join(timeout=30)
    row = settled(row)
    assert (row.delivery, row.external_id, worker.errors) == ("sent", reply["id"], [])
    thread = list(interaction.messages.order_by("created_at", "pk").values_list("external_id", flat=True))
    assert thread == [tweet["id"], reply["id"], answer["id"]]  # Maya's answer continues the branch, under ours
    assert [r["id"] for r in simulator.activity(maya)["replies"]] == [reply["id"]]


def test_a_customer_reply_delivered_by_webhook_to_the_reply_in_flight_makes_it_sent(
    simulator, brand, live_server_url, x_answers_late
):
    """X delivers none of the brand's own posts (Perch does not subscribe to post.create); Maya answering the
    brand's reply does (post.reply.create), with the reply she answers in `includes`: that is X's copy of it."""
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "@acmecare my bag is lost")
    polling.poll_account(account_id=brand.pk)
    agent, interaction = AgentFactory(), brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    switch_to_webhook(brand, live_server_url)
    x_answers_late("/2/tweets")
    reply = {"interaction_id": interaction.pk, "agent": agent, "in_reply_to_tweet_id": tweet["id"]}
    worker = Worker(lambda: outbox.outbox_reply(**reply, text="Found it, on its way", idempotency_key="echo-4"))
    worker.start()
    at_x = wait_for(lambda: simulator.activity(maya)["replies"], 2.5, "X storing the reply")[0]
    answer = simulator.tweet(maya, "thanks!", in_reply_to=at_x["id"])

    row = wait_for(lambda: Message.objects.filter(idempotency_key="echo-4", delivery="sent").first(), 2.5,
                   "the webhook delivery making the reply sent")  # fmt: skip
    worker.join(timeout=30)
    row = settled(row)
    assert (row.external_id, worker.errors) == (at_x["id"], [])
    assert [r["id"] for r in simulator.activity(maya)["replies"]] == [row.external_id]
    assert interaction.messages.filter(direction="out").count() == 1
    thread = list(interaction.messages.order_by("created_at", "pk").values_list("external_id", flat=True))
    assert thread == [tweet["id"], at_x["id"], answer["id"]]


def test_reconciliation_adopts_x_copy_already_stored_as_a_row_of_its_own(simulator, brand):
    maya, agent, interaction = dm_conversation(simulator, brand)
    # X's copy of the DM is in Perch as a row nobody wrote (stored before any outbox row claimed it) ...
    simulator.dm({"id": brand.x_user_id}, maya["id"], "Checking now")
    polling.poll_account(account_id=brand.pk)
    echo = interaction.messages.get(direction="out")
    # ... and the worker that sent it died before hearing X's answer: its claim lapses, the sweep asks X first.
    in_flight = Message.objects.create(
        interaction=interaction, x_account=brand, direction="out", kind="dm", text="Checking now", author_agent=agent,
        delivery="sending", claimed_at=timezone.now() - sending.send_lease() - timedelta(seconds=1), attempts=1,
    )  # fmt: skip
    assert sending.send(message_id=in_flight.pk) == sending.Outcome.SENT
    in_flight.refresh_from_db()
    assert (in_flight.delivery, in_flight.external_id) == ("sent", echo.external_id)
    assert not Message.objects.filter(pk=echo.pk).exists()  # adopted: one row, the agent's
    assert [dm["text"] for dm in brand_dms_to(simulator, maya)] == ["Checking now"]


def test_a_worker_move_from_a_state_the_row_has_left_changes_nothing(simulator, brand):
    maya, agent, interaction = dm_conversation(simulator, brand)
    row = outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="Hello", idempotency_key="m1")
    row.refresh_from_db()
    claim = timezone.now()
    # A worker that still believes the row is its own, sending: its timeout path would requeue it.
    row.delivery, row.claimed_at = "sending", claim
    moved = outbox.hold(row, Message.HoldReason.BACKOFF, until=claim, ask_x_first=True)
    row.refresh_from_db()
    assert moved is False and (row.delivery, row.send_after) == ("sent", None)
