"""Sending one outbox row to X, exactly once.

The row is claimed — marked `sending` with `claimed_at`, committed — before X is called. The claim is a lease:
while it lasts no other worker touches the row (a second dispatch of it waits). A row found `sending` after its
lease, or whose last call ended without an answer (a timeout, a 5xx), may be at X already: X is asked whether the
DM or reply went out before anything is sent again. Budget refusals and 429s put the row back in the queue with the
time it may go ("sends at HH:MM"); a 401 holds it until the account is reconnected; transient errors come back
after a backoff; anything else fails with X's reason, retryable from the UI. Beat's sweep (`dispatchable`) sends
what is due again.

X's copy of a message the brand sent (a poll or a webhook reads it) is matched to the outbox row it came from
(`outbox_echo`) and makes that row sent; it is never stored beside it. Every change of delivery state goes through
`delivery_move`, which moves a row only from the state its caller expects: ingest marking a row sent and a worker
still calling X with it cannot undo each other.
"""

import html
import logging
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from interactions.models import Message
from interactions.text import leading_mentions
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
from workspace.infra.logs import log_event
from workspace.infra.push import notify_agent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RECONCILE_SKEW = timedelta(minutes=5)  # X's clock against ours
UNSENT = (Message.Delivery.QUEUED, Message.Delivery.SENDING, Message.Delivery.FAILED)
ANY_CLAIM = object()
_URL = re.compile(r"https?://\S+")


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


def delivery_move(message: Message, *, expected: Iterable[str], claim=ANY_CLAIM, **fields) -> bool:
    """The one way a message's delivery state (and what goes with it) changes: only while the row is in a state the
    caller expects and, for a worker, still under the claim it stamped. One conditional UPDATE, which takes the row
    lock: of two writers (ingest seeing X's copy, a worker hearing X's late answer) the second finds the row moved
    and changes nothing. False when the row had moved."""
    rows = Message.objects.filter(pk=message.pk, delivery__in=list(expected))
    if claim is not ANY_CLAIM:
        rows = rows.filter(claimed_at=claim)  # None matches an unclaimed row
    with transaction.atomic():
        if not rows.update(**fields):
            return False
        for name, value in fields.items():
            setattr(message, name, value)
        _notify_status(message)
    return True


def _outcome_elsewhere(message: Message) -> Outcome:
    """A worker's move found the row moved: X's copy made it sent meanwhile, or another worker holds it now."""
    delivery = Message.objects.filter(pk=message.pk).values_list("delivery", flat=True).first()
    return Outcome.SENT if delivery == Message.Delivery.SENT else Outcome.SKIPPED


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
        as_read = {"expected": [message.delivery], "claim": message.claimed_at}
        ahead = _held_ahead(message)
        if ahead is not None:
            # X's window reopened but the sweep has not released the earlier sends yet: this one goes after them.
            when = max(ahead, now)
            last_error = f"Waiting behind earlier messages: sends at {timezone.localtime(when):%H:%M}."
            delivery_move(message, **as_read, send_after=when, last_error=last_error)
            return Claim(None)
        ask_x_first = message.delivery == Message.Delivery.SENDING or message.claimed_at is not None
        claimed = delivery_move(
            message, **as_read, delivery=Message.Delivery.SENDING, claimed_at=now, attempts=message.attempts + 1
        )
        return Claim(message if claimed else None, ask_x_first=ask_x_first)


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
    # Every move below is from `sending` under this worker's own claim: if X's copy made the row sent meanwhile
    # (a poll or a webhook saw it), or the claim lapsed and another worker took the row, nothing is undone.
    mine = {"expected": [Message.Delivery.SENDING], "claim": message.claimed_at}
    queued, failed = Message.Delivery.QUEUED, Message.Delivery.FAILED
    try:
        found = _reconcile(client, message) if ask_x_first else None
        sent = found or _perform(client, message)
    except XRateLimited as exc:
        when = exc.reset_at or timezone.now() + timedelta(minutes=1)
        outcome, fields = Outcome.WAITING, {
            "delivery": queued, "send_after": when, "claimed_at": claimed_at,
            "last_error": f"Waiting for X's rate limit: sends at {timezone.localtime(when):%H:%M}.",
        }  # fmt: skip
    except XUnauthorized as exc:
        XAccount.objects.filter(pk=account.pk).update(needs_reconnect=True, last_error=str(exc)[:300])
        alert_supervisors("account.needs_reconnect", account_id=account.pk, account=str(account))
        outcome, fields = Outcome.HELD, {
            "delivery": queued, "claimed_at": claimed_at,
            "last_error": "Held: the X account needs reconnecting. It goes out once a supervisor fixes it.",
        }  # fmt: skip
    except XTransient as exc:
        if message.attempts >= MAX_ATTEMPTS:
            outcome = Outcome.FAILED
            fields = {"delivery": failed, "last_error": f"{exc} Gave up after {message.attempts} tries."}
        else:
            outcome, fields = Outcome.RETRY, {
                "delivery": queued, "send_after": timezone.now() + backoff(message.attempts),
                "last_error": f"{exc} Trying again shortly.",
            }  # fmt: skip
    except XError as exc:
        outcome, fields = Outcome.FAILED, {"delivery": failed, "last_error": str(exc)[:300]}
    else:
        return Outcome.SENT if _mark_sent(message, sent, mine) else _outcome_elsewhere(message)
    return outcome if delivery_move(message, **mine, **fields) else _outcome_elsewhere(message)


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


def same_text(ours: str, theirs: str, *, reply: bool = False) -> bool:
    """X's copy of a text Perch sent: X wraps links (t.co) and escapes &, < and > in tweets; the words are ours.
    X's copy of a reply starts with the @mentions X put in front of the agent's text ("@maya thanks" for "thanks"):
    with `reply`, the leading @mentions of both are not part of the words."""

    def words(text: str) -> str:
        text = html.unescape(text or "")
        if reply:
            text = text[leading_mentions(text)[1] :]
        return " ".join(_URL.sub(" ", text).split())

    return words(ours) == words(theirs)


def _echoes(message: Message):
    """Rows holding X's copy of a message the brand sent without Perch's outbox knowing it was ours (written by no
    agent): the row being reconciled may adopt one of them."""
    return Message.objects.filter(
        x_account=message.x_account, kind=message.kind, direction=Message.Direction.OUTBOUND,
        author_agent__isnull=True, idempotency_key__isnull=True,
    )  # fmt: skip


def _reconcile(client: XClient, message: Message) -> Sent | None:
    """After a worker died mid-send: did X get it? Look it up rather than risk sending it twice. X's copy already
    stored as an echo row counts as sent (that row is adopted); one held by another outbox row is that row's."""
    since = message.created_at - RECONCILE_SKEW
    held = Message.objects.filter(x_account=message.x_account, kind=message.kind, external_id__isnull=False)
    taken = set(
        held.exclude(pk=message.pk).exclude(pk__in=_echoes(message).values("pk")).values_list("external_id", flat=True)
    )
    if message.kind == Message.Kind.DM:
        events: list[DMEvent] = client.dm_conversation_events(participant_id=_customer_x_id(message))
        for event in sorted(events, key=lambda e: int(e.id)):
            mine = event.sender_id == message.x_account.x_user_id and same_text(message.text, event.text)
            if mine and event.id not in taken and (event.created_at is None or event.created_at >= since):
                log.info("message %s was already delivered as DM %s; not sending again", message.pk, event.id)
                return Sent(id=event.id, conversation_id=event.conversation_id)
    elif message.kind == Message.Kind.TWEET:
        for tweet in sorted(client.recent_tweets_by(username=message.x_account.handle), key=lambda t: int(t.id)):
            same = (
                same_text(message.text, tweet.text, reply=True)
                and tweet.replied_to_id == message.in_reply_to_external_id
            )
            if same and tweet.id not in taken:
                log.info("message %s was already posted as tweet %s; not posting again", message.pk, tweet.id)
                return Sent(id=tweet.id)
    return None  # likes are idempotent at X: sending again is safe


def _mark_sent(message: Message, sent: Sent, mine: dict) -> bool:
    fields = {
        "delivery": Message.Delivery.SENT, "external_id": sent.id, "sent_at": timezone.now(), "last_error": "",
        "send_after": None,
    }  # fmt: skip
    try:
        return delivery_move(message, **mine, **fields)
    except IntegrityError:
        # X's copy of this very message is stored as a row of its own (no outbox row matched it): ours adopts its id.
        with transaction.atomic():
            _echoes(message).filter(external_id=sent.id).exclude(pk=message.pk).delete()
            return delivery_move(message, **mine, **fields)


def outbox_echo(
    *, account: XAccount, kind: str, external_id: str, text: str, at, thread_key: str = "", in_reply_to: str = ""
) -> Message | None:
    """X's copy of a DM or reply the brand sent, read by a poll or a webhook: the outbox row it came from, now sent
    with X's id, or None (sent from X's own app, or already stored). The row is one a worker has called X with
    (claimed) and that is not known sent: same conversation (DMs) or same tweet answered (replies), same words, written
    before X's copy and claimed no longer than a lease before it. The oldest such row first."""
    if Message.objects.filter(x_account=account, kind=kind, external_id=external_id).exists():
        return None  # stored already: the caller's insert is refused as a duplicate
    rows = Message.objects.filter(
        x_account=account, kind=kind, direction=Message.Direction.OUTBOUND, author_agent__isnull=False,
        external_id__isnull=True, delivery__in=UNSENT, claimed_at__gte=at - send_lease() - RECONCILE_SKEW,
        created_at__lte=at + RECONCILE_SKEW,
    )  # fmt: skip
    if kind == Message.Kind.DM:
        rows = rows.filter(interaction__thread_key=thread_key)
    else:
        rows = rows.filter(in_reply_to_external_id=in_reply_to)
    for message in rows.select_related("interaction").order_by("created_at", "pk"):
        if not same_text(message.text, text, reply=kind == Message.Kind.TWEET):
            continue
        fields = {"delivery": Message.Delivery.SENT, "external_id": external_id, "sent_at": at, "last_error": ""}
        if delivery_move(message, expected=UNSENT, **fields, send_after=None):
            log_event(
                log, "message.echo_matched", account_id=account.pk, interaction_id=message.interaction_id,
                message_id=message.pk, external_id=external_id,
            )  # fmt: skip
            return message
    return None


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
