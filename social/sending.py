"""Sending one outbox row to X, exactly once. This module talks to X; every change of the row's delivery state is
one of the outbox's moves (interactions/outbox.py).

The row is claimed — marked `sending` with `claimed_at`, committed — before X is called. The claim is a lease
(`send_lease`): while it lasts no other worker touches the row (a second dispatch of it waits). A row found `sending`
after its lease, or whose last call ended without an answer (a timeout, a 5xx), may be at X already: X is asked
whether the DM or reply went out before anything is sent again. Budget refusals and 429s hold the row with the time
it may go ("sends at HH:MM"); a 401 holds it until the account is reconnected; transient errors come back after a
backoff; anything else fails with X's reason, retryable from the UI. Beat's sweep (`dispatchable`) sends what is
due again.

X's copy of a message the brand sent (a poll or a webhook reads it) is matched to the outbox row it came from
(`outbox_echo`) and makes that row sent; it is never stored beside it. The outbox moves a row only from the state
its caller last read: ingest marking a row sent and a worker still calling X with it cannot undo each other.
"""

import html
import logging
import random
import re
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from interactions import outbox
from interactions.attachments import stored_image_type
from interactions.models import Message
from interactions.text import leading_mentions
from social import access
from social.integrations.x_client import (
    UPLOAD_DEADLINE_SECONDS,
    DMEvent,
    Sent,
    XAccessRefused,
    XClient,
    XDMsClosed,
    XError,
    XNotSummoned,
    XRateLimited,
    XTransient,
    XUnauthorized,
)
from social.models import XAccount
from social.reconnect import account_needs_reconnect
from workspace.infra.logs import log_event

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RECONCILE_SKEW = timedelta(minutes=5)  # X's clock against ours
MEDIA_KEPT = timedelta(hours=23)  # an uploaded image's id is reused this long (X: "available for 24 hours")
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
    return timedelta(seconds=seconds or UPLOAD_DEADLINE_SECONDS + settings.X_API_TIMEOUT_SECONDS + 10)


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: ~5 s, 10 s, 20 s … capped at 5 minutes."""
    return timedelta(seconds=min(300.0, 5.0 * 2 ** max(0, attempt - 1)) + random.uniform(0, 2))


def _outcome_elsewhere(message: Message) -> Outcome:
    """A worker's move found the row moved: X's copy made it sent meanwhile, or another worker holds it now."""
    delivery = Message.objects.filter(pk=message.pk).values_list("delivery", flat=True).first()
    return Outcome.SENT if delivery == Message.Delivery.SENT else Outcome.SKIPPED


def send(*, message_id: int, client: XClient | None = None) -> Outcome:
    claim = outbox.claim(message_id, lease=send_lease())
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
    # Every move below is from `sending` under this worker's own claim: if X's copy made the row sent meanwhile
    # (a poll or a webhook saw it), or the claim lapsed and another worker took the row, nothing is undone.
    refusal = _access_refusal(message)
    if refusal:  # the access changed since it was queued (X lowered it): X would refuse it, so X is not asked
        return Outcome.FAILED if outbox.fail(message, refusal) else _outcome_elsewhere(message)
    try:
        found = _reconcile(client, message) if ask_x_first else None
        sent = found or _perform(client, message)
    except (XAccessRefused, XNotSummoned) as exc:
        outcome = Outcome.FAILED
        moved = outbox.fail(message, _not_in_access(account, message, exc))
    except XDMsClosed:
        outcome = Outcome.FAILED
        moved = outbox.fail(message, f"{_customer_handle(message)} does not accept DMs from you.")
    except XRateLimited as exc:
        # X surely did not get it when it refused the call (429, 401) and we did not have to ask first; then the
        # next try need not ask. After a timeout or a 5xx X may have it: the claim stays, and the next try asks.
        when = exc.reset_at or timezone.now() + timedelta(minutes=1)
        outcome = Outcome.WAITING
        moved = outbox.hold(message, Message.HoldReason.RATE_LIMIT, until=when, ask_x_first=ask_x_first)
    except XUnauthorized as exc:
        account_needs_reconnect(account_id=account.pk, reason=str(exc))
        outcome = Outcome.HELD
        moved = outbox.hold(message, Message.HoldReason.RECONNECT, ask_x_first=ask_x_first)
    except XTransient as exc:
        if message.attempts >= MAX_ATTEMPTS:
            outcome = Outcome.FAILED
            moved = outbox.fail(message, f"{exc} Gave up after {message.attempts} tries.")
        else:
            when = timezone.now() + backoff(message.attempts)
            outcome = Outcome.RETRY
            moved = outbox.hold(message, Message.HoldReason.BACKOFF, until=when, detail=str(exc), ask_x_first=True)
    except XError as exc:
        outcome = Outcome.FAILED
        moved = outbox.fail(message, str(exc))
    else:
        return Outcome.SENT if _mark_sent(message, sent) else _outcome_elsewhere(message)
    return outcome if moved else _outcome_elsewhere(message)


def _answered_tweet(message: Message) -> Message | None:
    if message.kind == Message.Kind.DM or not message.in_reply_to_external_id:
        return None
    return Message.objects.filter(
        x_account=message.x_account, kind=Message.Kind.TWEET, external_id=message.in_reply_to_external_id
    ).first()


def _access_refusal(message: Message) -> str:
    """Why the account's access, as Perch knows it now, does not allow this row ("" when it does)."""
    return access.send_refusal(message.x_account, kind=message.kind, tweet=_answered_tweet(message)).reason


def _not_in_access(account: XAccount, message: Message, exc: XError) -> str:
    """X refused the row as not in the account's access: the access is lowered (supervisors told), and the row
    fails with what Perch now knows. A reply X refused under the summoned rule marks the tweet unsummoned."""
    if message.kind == Message.Kind.LIKE:
        action = access.Action.LIKE
    elif message.kind == Message.Kind.TWEET:
        answered = _answered_tweet(message)
        unsummoned = answered is not None and answered.direction == Message.Direction.INBOUND and not answered.summoned
        # Refused as unsummoned, or a reply to a tweet Perch knows is not: the summoned rule. Else (a summoned
        # tweet, X's `client-forbidden`): replies at all are not in the access.
        action = access.Action.REPLY_UNSUMMONED if isinstance(exc, XNotSummoned) or unsummoned else access.Action.REPLY
        if isinstance(exc, XNotSummoned):
            Message.objects.filter(
                x_account=account, kind=Message.Kind.TWEET, external_id=message.in_reply_to_external_id
            ).update(summoned=False)
    else:
        action = access.Action.DM
    access.access_lower(account=account, action=action, said=str(exc))
    return _access_refusal(message) or str(exc)


def _customer_handle(message: Message) -> str:
    identity = message.interaction.contact.identities.filter(channel="twitter").first()
    handle = identity.handle if identity and identity.handle else message.interaction.contact.display_name
    return f"@{handle.lstrip('@')}"


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


def media_category(use: str, image_format: str) -> str:
    """X's media_category for an image sent in a DM (`use` "dm") or a reply ("tweet"): `*_gif` for a GIF, which X
    processes as an animation, `*_image` for JPEG, PNG and WEBP."""
    return f"{use}_gif" if image_format == "GIF" else f"{use}_image"


def _upload(client: XClient, message: Message, use: str) -> str:
    """The X media id of the message's image, uploaded once: a retry reuses it while X still keeps it (X keeps media
    24 hours; the upload was made after the row was written, so a row younger than MEDIA_KEPT has a live id)."""
    if not message.attachment:
        return ""
    if message.x_media_id and timezone.now() - message.created_at < MEDIA_KEPT:
        return message.x_media_id
    with message.attachment.open("rb") as file:
        stored = stored_image_type(file)  # the type the decoder reads, as the image was prepared (never the name)
        file.seek(0)
        content = file.read()
    if stored is None:
        raise XError("The attached image cannot be read any more: attach it again.")
    media_id = client.upload_media(
        content=content, media_type=stored.content_type, category=media_category(use, stored.format)
    )
    Message.objects.filter(pk=message.pk).update(x_media_id=media_id)  # a retry must not upload again
    message.x_media_id = media_id
    return media_id


def _perform(client: XClient, message: Message) -> Sent:
    if message.kind == Message.Kind.DM:
        media_id = _upload(client, message, "dm")
        return client.send_dm(participant_id=_customer_x_id(message), text=message.text, media_id=media_id)
    if message.kind == Message.Kind.TWEET:
        media_id = _upload(client, message, "tweet")
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


def _mark_sent(message: Message, sent: Sent) -> bool:
    try:
        return outbox.mark_sent(message, external_id=sent.id)
    except IntegrityError:
        # X's copy of this very message is stored as a row of its own (no outbox row matched it): ours adopts its id.
        with transaction.atomic():
            _echoes(message).filter(external_id=sent.id).exclude(pk=message.pk).delete()
            return outbox.mark_sent(message, external_id=sent.id)


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
        external_id__isnull=True, delivery__in=outbox.UNSENT, claimed_at__gte=at - send_lease() - RECONCILE_SKEW,
        created_at__lte=at + RECONCILE_SKEW,
    )  # fmt: skip
    if kind == Message.Kind.DM:
        rows = rows.filter(interaction__thread_key=thread_key)
    else:
        rows = rows.filter(in_reply_to_external_id=in_reply_to)
    for message in rows.select_related("interaction").order_by("created_at", "pk"):
        if not same_text(message.text, text, reply=kind == Message.Kind.TWEET):
            continue
        if outbox.mark_echoed(message, external_id=external_id, at=at):
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
