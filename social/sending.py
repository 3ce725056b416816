"""Sending one outbox row to X, exactly once.

The row is claimed — marked `sending` with `claimed_at`, committed — before X is called. The claim is a lease:
while it lasts no other worker touches the row (a second dispatch of it waits). A row found `sending` after its
lease, or whose last call ended without an answer (a timeout, a 5xx), may be at X already: X is asked whether the
DM or reply went out before anything is sent again. Budget refusals and 429s put the row back in the queue with the
time it may go ("sends at HH:MM"); a 401 holds it until the account is reconnected; transient errors come back
after a backoff; anything else fails with X's reason, retryable from the UI. Beat's sweep (`dispatchable`) sends
what is due again.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from interactions.models import Message
from social.alerts import alert_supervisors
from social.integrations.x_client import TIMEOUT_SECONDS as UPLOAD_TIMEOUT_SECONDS
from social.integrations.x_client import (
    DMEvent,
    Sent,
    XClient,
    XError,
    XRateLimited,
    XTransient,
    XUnauthorized,
)
from social.models import XAccount
from workspace.logs import log_event
from workspace.notifications import notify_agent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RECONCILE_SKEW = timedelta(minutes=5)


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    WAITING = "waiting"  # budget or rate limit: goes at send_after
    HELD = "held"  # account needs reconnecting
    RETRY = "retry"  # transient: goes again after a backoff (send_after), asking X first
    IN_FLIGHT = "in flight"  # another worker holds the claim: the sweep looks again once it has lapsed
    SKIPPED = "skipped"  # nothing to do (already sent or failed, held, or not due)


def send_lease() -> timedelta:
    """How long a claim keeps other workers off a row: the longest calls of one send (an upload, then the send)
    and a margin. X_SEND_LEASE_SECONDS overrides it."""
    seconds = getattr(settings, "X_SEND_LEASE_SECONDS", None)
    return timedelta(seconds=seconds or UPLOAD_TIMEOUT_SECONDS + settings.X_API_TIMEOUT_SECONDS + 10)


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: ~5 s, 10 s, 20 s … capped at 5 minutes."""
    return timedelta(seconds=min(300.0, 5.0 * 2 ** max(0, attempt - 1)) + random.uniform(0, 2))


@dataclass
class Claim:
    message: Message | None
    ask_x_first: bool = False  # X may have it already (a worker died, or the last call got no answer)
    in_flight: bool = False


def _notify_status(message: Message) -> None:
    agent_id = message.author_agent_id or message.interaction.agent_id
    if agent_id:
        notify_agent(
            agent_id, "message.status", interaction_id=message.interaction_id, message_id=message.pk,
            delivery=message.delivery,
        )  # fmt: skip


def _update(message: Message, **fields) -> None:
    with transaction.atomic():
        for name, value in fields.items():
            setattr(message, name, value)
        message.save(update_fields=list(fields))
        _notify_status(message)


def _claim(message_id: int) -> Claim:
    """Marks the row `sending` and stamps the claim (committed before X is called)."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("interaction", "x_account", "interaction__contact")
            .filter(pk=message_id, direction=Message.Direction.OUTBOUND)
            .first()
        )
        if message is None or message.delivery in (Message.Delivery.SENT, Message.Delivery.FAILED):
            return Claim(None)
        if (
            message.delivery == Message.Delivery.SENDING
            and message.claimed_at
            and message.claimed_at > now - send_lease()
        ):
            return Claim(None, in_flight=True)  # another worker is calling X with it right now
        if message.x_account.needs_reconnect:
            message.last_error = "Held: the X account needs reconnecting. It goes out once a supervisor fixes it."
            message.save(update_fields=["last_error"])
            return Claim(None)
        if message.send_after and message.send_after > now:
            return Claim(None)
        ahead = _held_ahead(message)
        if ahead is not None:
            # X's window reopened but the sweep has not released the earlier sends yet: this one goes after them.
            when = max(ahead, now)
            last_error = f"Waiting behind earlier messages: sends at {timezone.localtime(when):%H:%M}."
            _update(message, send_after=when, last_error=last_error)
            return Claim(None)
        ask_x_first = message.delivery == Message.Delivery.SENDING or message.claimed_at is not None
        message.delivery, message.claimed_at = Message.Delivery.SENDING, now
        message.attempts += 1
        message.save(update_fields=["delivery", "claimed_at", "attempts"])
        _notify_status(message)
        return Claim(message, ask_x_first=ask_x_first)


def _held_ahead(message: Message):
    """When the earliest of this account's older sends of the same kind that still wait (budget, rate limit or
    backoff) may go; None when none waits. Sends of one kind leave in the order agents wrote them."""
    older = Q(created_at__lt=message.created_at) | Q(created_at=message.created_at, pk__lt=message.pk)
    return (
        Message.objects.filter(older, x_account_id=message.x_account_id, kind=message.kind)
        .filter(direction=Message.Direction.OUTBOUND, delivery=Message.Delivery.QUEUED, send_after__isnull=False)
        .order_by("send_after")
        .values_list("send_after", flat=True)
        .first()
    )


def send(*, message_id: int, client: XClient | None = None) -> Outcome:
    claim = _claim(message_id)
    if claim.message is None:
        return Outcome.IN_FLIGHT if claim.in_flight else Outcome.SKIPPED
    message = claim.message
    outcome = _send(message, claim.ask_x_first, client)
    log_event(
        log, "message.send", level=logging.WARNING if outcome == Outcome.FAILED else logging.INFO,
        account_id=message.x_account_id, interaction_id=message.interaction_id, message_id=message.pk,
        outcome=outcome.value, external_id=message.external_id, attempts=message.attempts,
    )  # fmt: skip
    return outcome


def _send(message: Message, ask_x_first: bool, client: XClient | None) -> Outcome:
    account = message.x_account
    client = client or XClient.for_account(account)
    # X surely did not get it when it refused the call (429, 401) and we did not have to ask first; then the next
    # try need not ask. After a timeout or a 5xx X may have it: the claim stays, and the next try asks.
    claimed_at = message.claimed_at if ask_x_first else None
    try:
        found = _reconcile(client, message) if ask_x_first else None
        sent = found or _perform(client, message)
    except XRateLimited as exc:
        when = exc.reset_at or timezone.now() + timedelta(minutes=1)
        _update(
            message, delivery=Message.Delivery.QUEUED, send_after=when, claimed_at=claimed_at,
            last_error=f"Waiting for X's rate limit: sends at {timezone.localtime(when):%H:%M}.",
        )  # fmt: skip
        return Outcome.WAITING
    except XUnauthorized as exc:
        XAccount.objects.filter(pk=account.pk).update(needs_reconnect=True, last_error=str(exc)[:300])
        alert_supervisors("account.needs_reconnect", account_id=account.pk, account=str(account))
        _update(
            message, delivery=Message.Delivery.QUEUED, claimed_at=claimed_at,
            last_error="Held: the X account needs reconnecting. It goes out once a supervisor fixes it.",
        )  # fmt: skip
        return Outcome.HELD
    except XTransient as exc:
        if message.attempts >= MAX_ATTEMPTS:
            _update(
                message, delivery=Message.Delivery.FAILED, last_error=f"{exc} Gave up after {message.attempts} tries."
            )
            return Outcome.FAILED
        _update(
            message, delivery=Message.Delivery.QUEUED, send_after=timezone.now() + backoff(message.attempts),
            last_error=f"{exc} Trying again shortly.",
        )  # fmt: skip
        return Outcome.RETRY
    except XError as exc:
        _update(message, delivery=Message.Delivery.FAILED, last_error=str(exc)[:300])
        return Outcome.FAILED
    _mark_sent(message, sent)
    return Outcome.SENT


def _customer_x_id(message: Message) -> str:
    """The other participant of the DM conversation ("<low id>-<high id>")."""
    brand = message.x_account.x_user_id
    others = [p for p in message.interaction.thread_key.split("-") if p and p != brand]
    if others:
        return others[0]
    identity = message.interaction.contact.identities.filter(channel="twitter").first()
    if identity is None:
        raise XError("This contact has no X identity to send a DM to.")
    return identity.external_id


def _upload(client: XClient, message: Message, category: str) -> str:
    if not message.attachment:
        return ""
    if not message.x_media_id:
        with message.attachment.open("rb") as image:
            media_id = client.upload_media(filename=message.attachment.name, content=image, category=category)
        Message.objects.filter(pk=message.pk).update(x_media_id=media_id)  # a retry must not upload again
        message.x_media_id = media_id
    return message.x_media_id


def _perform(client: XClient, message: Message) -> Sent:
    if message.kind == Message.Kind.DM:
        media_id = _upload(client, message, "dm_image")
        return client.send_dm(participant_id=_customer_x_id(message), text=message.text, media_id=media_id)
    if message.kind == Message.Kind.TWEET:
        media_id = _upload(client, message, "tweet_image")
        return client.post_tweet(
            text=message.text, in_reply_to_tweet_id=message.in_reply_to_external_id,
            media_ids=[media_id] if media_id else None,
        )  # fmt: skip
    client.like(tweet_id=message.in_reply_to_external_id)
    return Sent(id=message.in_reply_to_external_id)


def _reconcile(client: XClient, message: Message) -> Sent | None:
    """After a worker died mid-send: did X get it? Look it up rather than risk sending it twice."""
    since = message.created_at - RECONCILE_SKEW
    taken = set(
        Message.objects.filter(x_account=message.x_account, kind=message.kind, external_id__isnull=False)
        .exclude(pk=message.pk)
        .values_list("external_id", flat=True)
    )
    if message.kind == Message.Kind.DM:
        events: list[DMEvent] = client.dm_conversation_events(participant_id=_customer_x_id(message))
        for event in events:
            mine = event.sender_id == message.x_account.x_user_id and event.text == message.text
            if mine and event.id not in taken and (event.created_at is None or event.created_at >= since):
                log.info("message %s was already delivered as DM %s; not sending again", message.pk, event.id)
                return Sent(id=event.id, conversation_id=event.conversation_id)
    elif message.kind == Message.Kind.TWEET:
        for tweet in client.recent_tweets_by(username=message.x_account.handle):
            same = tweet.text == message.text and tweet.replied_to_id == message.in_reply_to_external_id
            if same and tweet.id not in taken:
                log.info("message %s was already posted as tweet %s; not posting again", message.pk, tweet.id)
                return Sent(id=tweet.id)
    return None  # likes are idempotent at X: sending again is safe


def _mark_sent(message: Message, sent: Sent) -> None:
    fields = {
        "delivery": Message.Delivery.SENT, "external_id": sent.id, "sent_at": timezone.now(), "last_error": "",
        "send_after": None,
    }  # fmt: skip
    try:
        _update(message, **fields)
    except IntegrityError:
        # A poll stored X's echo of this very message first (as if sent from X's app): keep ours, drop the echo.
        with transaction.atomic():
            Message.objects.filter(
                x_account=message.x_account, kind=message.kind, external_id=sent.id, author_agent__isnull=True
            ).exclude(pk=message.pk).delete()
            _update(message, **fields)


def retry_at(message_id: int):
    """When a row that met a transient error may go again (its backoff)."""
    return Message.objects.filter(pk=message_id).values_list("send_after", flat=True).first()


def dispatchable(now=None):
    """Rows to send now: queued ones released by the budget or a backoff, or whose first dispatch was lost (broker
    down); and `sending` ones whose worker died (their claim lapsed), which are then checked with X first."""
    now = now or timezone.now()
    due = Q(delivery=Message.Delivery.QUEUED) & (
        Q(send_after__lte=now) | Q(send_after__isnull=True, created_at__lte=now - timedelta(seconds=60))
    )
    lapsed = Q(delivery=Message.Delivery.SENDING) & (Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - send_lease()))
    return (
        Message.objects.filter(due | lapsed, direction=Message.Direction.OUTBOUND)
        .filter(x_account__needs_reconnect=False)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
