"""The outbox end to end: agent sends → worker → tweepy over HTTP → the sandbox, exactly once."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from interactions import outbox, services
from interactions.models import Message
from social import sending
from social.models import XAccount
from tests.factories import AgentFactory
from tests.social.conftest import png

pytestmark = pytest.mark.django_db(transaction=True)


def dm_conversation(simulator, brand, text="Where is my parcel?"):
    """A customer DMs the brand, Perch polls it, an agent accepts: the starting point of every send."""
    from social import polling

    maya = simulator.user("maya", "Maya Patel")
    simulator.dm(maya, brand.x_user_id, text)
    polling.poll_account(account_id=brand.pk)
    agent = AgentFactory()
    interaction = brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    return maya, agent, interaction


def brand_dms_to(simulator, user) -> list[dict]:
    return [dm for dm in simulator.activity(user)["dms"] if dm["sender_id"] != user["id"]]


def test_a_dm_with_an_image_reaches_x_once_and_shows_sent(simulator, brand):
    maya, agent, interaction = dm_conversation(simulator, brand)
    message = outbox.outbox_send_dm(
        interaction_id=interaction.pk, agent=agent, text="Here is your label", image=png(), idempotency_key="k1"
    )
    message.refresh_from_db()
    assert message.delivery == Message.Delivery.SENT and message.external_id
    sent = brand_dms_to(simulator, maya)
    assert len(sent) == 1 and sent[0]["text"] == "Here is your label" and sent[0]["id"] == message.external_id
    assert sent[0]["media_keys"], "the image was not attached"


def test_a_double_submitted_send_goes_out_once(simulator, brand):
    maya, agent, interaction = dm_conversation(simulator, brand)
    first = outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="On it", idempotency_key="same")
    second = outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="On it", idempotency_key="same")
    assert first.pk == second.pk
    assert len(brand_dms_to(simulator, maya)) == 1


def test_a_public_reply_and_a_like_land_under_the_right_tweet(simulator, brand):
    from social import polling

    XAccount.objects.filter(pk=brand.pk).update(access=XAccount.Access.ENTERPRISE)  # only Enterprise may like

    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "@acmecare my bag is lost")
    polling.poll_account(account_id=brand.pk)
    agent = AgentFactory()
    interaction = brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)

    reply = outbox.outbox_reply(
        interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet["id"],
        text="So sorry! Could you DM us your booking code?", idempotency_key="r1",
    )  # fmt: skip
    like = outbox.outbox_like(interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"], idempotency_key="l1")
    again = outbox.outbox_like(interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"], idempotency_key="l2")
    reply.refresh_from_db()
    like.refresh_from_db()
    assert (reply.delivery, like.delivery, again.pk) == ("sent", "sent", like.pk)
    assert reply.text == "So sorry! Could you DM us your booking code?"  # the agent's text, as sent
    activity = simulator.activity(maya)
    replies = [t for t in activity["replies"] if t["in_reply_to_tweet_id"] == tweet["id"]]
    assert [r["id"] for r in replies] == [reply.external_id]
    assert replies[0]["text"] == "@maya So sorry! Could you DM us your booking code?"  # X put the author in front
    assert [lk["tweet_id"] for lk in activity["likes"]] == [tweet["id"]]


def test_over_budget_sends_wait_in_order_and_never_meet_a_429(simulator, brand):
    XAccount.objects.filter(pk=brand.pk).update(budget_overrides={"dm_send": [[15, 900]], "multiplier": 100})
    maya, agent, interaction = dm_conversation(simulator, brand)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        messages = [
            outbox.outbox_send_dm(
                interaction_id=interaction.pk, agent=agent, text=f"update {n}", idempotency_key=f"b{n}"
            )
            for n in range(20)
        ]
    states = [Message.objects.get(pk=m.pk) for m in messages]
    assert [m.delivery for m in states].count("sent") == 15
    waiting = [m for m in states if m.delivery == "queued"]
    # The first meets the spent budget; the others wait behind it, so they leave in the order they were written.
    assert [m.hold_reason for m in waiting] == ["rate_limit"] + ["behind"] * 4 and all(m.send_after for m in waiting)
    assert len(brand_dms_to(simulator, maya)) == 15

    with time_machine.travel(waiting[0].send_after + timezone.timedelta(seconds=1), tick=False):
        from social.tasks import release_due_sends

        release_due_sends()
    assert Message.objects.filter(direction="out", delivery="sent").count() == 20
    texts = [dm["text"] for dm in brand_dms_to(simulator, maya)]
    assert sorted(texts, key=lambda t: int(t.split()[1])) == [f"update {n}" for n in range(20)]
    assert texts[15:] == [f"update {n}" for n in range(15, 20)]  # the held ones went out in order


def test_a_send_written_as_the_window_reopens_waits_behind_the_held_ones(simulator, brand):
    XAccount.objects.filter(pk=brand.pk).update(budget_overrides={"dm_send": [[2, 900]], "multiplier": 100})
    maya, agent, interaction = dm_conversation(simulator, brand)

    def send(text):
        return outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text=text, idempotency_key=text)

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        held = [send(f"part {n}") for n in range(4)][2:]
    reopened = Message.objects.get(pk=held[0].pk).send_after + timedelta(seconds=1)
    with time_machine.travel(reopened, tick=False):
        latest = send("part 4")  # before beat's sweep has released the two held ones
        latest.refresh_from_db()
        assert (latest.delivery, latest.hold_reason) == ("queued", "behind")
        from social.tasks import release_due_sends

        release_due_sends()
    assert [dm["text"] for dm in brand_dms_to(simulator, maya)] == [f"part {n}" for n in range(4)]
    latest.refresh_from_db()  # the window had room for the two held ones only: the newest waits for the next
    assert (latest.delivery, latest.hold_reason) == ("queued", "rate_limit") and latest.send_after


def test_a_revoked_token_holds_sends_until_the_account_is_reconnected(simulator, brand):
    from social import services as social_services

    maya, agent, interaction = dm_conversation(simulator, brand)
    simulator.revoke(brand.x_user_id)
    message = outbox.outbox_send_dm(
        interaction_id=interaction.pk, agent=agent, text="Still there?", idempotency_key="h1"
    )
    message.refresh_from_db()
    brand.refresh_from_db()
    assert brand.needs_reconnect
    assert (message.delivery, message.hold_reason, message.last_error) == ("queued", "reconnect", "")

    fresh = simulator.user("acmecare", "Acme Care", user_id=brand.x_user_id, new_token=True)
    XAccount.objects.filter(pk=brand.pk).update(access_token=fresh["access_token"])
    social_services.xaccount_reconnected(account_id=brand.pk)
    message.refresh_from_db()
    assert message.delivery == "sent"
    assert [dm["text"] for dm in brand_dms_to(simulator, maya)] == ["Still there?"]


def test_x_refusing_duplicate_content_fails_with_a_reason_and_can_be_retried(simulator, brand):
    from social import polling

    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "@acmecare hello")
    polling.poll_account(account_id=brand.pk)
    agent = AgentFactory()
    interaction = brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    kwargs = {"interaction_id": interaction.pk, "agent": agent, "in_reply_to_tweet_id": tweet["id"], "text": "Hi!"}
    outbox.outbox_reply(idempotency_key="d1", **kwargs)
    duplicate = outbox.outbox_reply(idempotency_key="d2", **kwargs)
    duplicate.refresh_from_db()
    assert duplicate.delivery == "failed"
    assert "duplicate content" in duplicate.last_error and "(403)" in duplicate.last_error
    retried = outbox.outbox_retry(message_id=duplicate.pk, agent=agent)
    retried.refresh_from_db()
    assert retried.delivery == "failed" and retried.attempts == 2


def test_sending_is_skipped_for_rows_already_sent():
    assert sending.send(message_id=123456) == sending.Outcome.SKIPPED


def test_a_timeout_where_x_kept_the_dm_waits_its_backoff_then_asks_x_and_is_not_sent_twice(simulator, brand, settings):
    maya, agent, interaction = dm_conversation(simulator, brand)
    settings.X_API_TIMEOUT_SECONDS = 0.5
    # X stores the DM but answers after 1.5 s: Perch times out not knowing that it went out.
    simulator.fault(method="POST", path="/2/dm_conversations/with/", status=0, delay_ms=1500, times=1)
    message = outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="On it!", idempotency_key="t1")
    message.refresh_from_db()
    assert (message.delivery, message.hold_reason) == ("queued", "backoff")
    assert message.last_error.startswith("X could not be reached")  # X's side of it, in words
    assert message.pk not in list(sending.dispatchable())  # beat's sweep leaves it alone during the backoff
    time.sleep(1.5)  # the sandbox finishes its late answer
    with time_machine.travel(message.send_after + timedelta(seconds=1), tick=False):
        assert message.pk in list(sending.dispatchable())
        assert sending.send(message_id=message.pk) == sending.Outcome.SENT  # found at X, not sent again
    message.refresh_from_db()
    sent = brand_dms_to(simulator, maya)
    assert len(sent) == 1 and sent[0]["id"] == message.external_id and message.attempts == 2


def test_a_second_dispatch_while_a_worker_is_calling_x_keeps_off_until_the_claim_lapses(simulator, brand):
    maya, agent, interaction = dm_conversation(simulator, brand)
    # What a worker in the middle of its call to X leaves in the database; the broker (or beat's sweep) then hands
    # the same row to a second worker.
    in_flight = Message.objects.create(
        interaction=interaction, x_account=brand, direction="out", kind="dm", text="Checking now", author_agent=agent,
        delivery="sending", claimed_at=timezone.now(), attempts=1,
    )  # fmt: skip
    assert sending.send(message_id=in_flight.pk) == sending.Outcome.IN_FLIGHT
    assert in_flight.pk not in list(sending.dispatchable())
    assert brand_dms_to(simulator, maya) == []
    # The first worker died: once its claim lapses, the sweep sends it, asking X first (X never got it).
    with time_machine.travel(timezone.now() + sending.send_lease() + timedelta(seconds=1), tick=False):
        assert in_flight.pk in list(sending.dispatchable())
        assert sending.send(message_id=in_flight.pk) == sending.Outcome.SENT
    assert [dm["text"] for dm in brand_dms_to(simulator, maya)] == ["Checking now"]
