"""The outbox: every DM, reply, Like and email an agent sends is a Message row first, sent by a worker after commit.

queued → sending → sent | failed, and every one of those moves is made here. The form's idempotency key makes a
double-clicked Send one row; a failed row can be retried. The channel's sender (X's, registered in
interactions.channels) talks to X and reports what happened through `claim`, `hold`, `mark_sent`, `mark_echoed` and
`fail`; why a queued row waits is its `hold_reason`, and `last_error` keeps only what X said.

A worker's claim is a lease: `claim` marks the row `sending` and stamps `claimed_at`, committed before X is called,
and while the lease lasts no other worker takes the row. Every later move is one conditional UPDATE from the state
(and claim) its caller last read: of two writers (ingest seeing X's copy, a worker hearing X's late answer) the
second finds the row moved and changes nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from interactions.attachments import ImageRejected, PreparedImage, prepare_image
from interactions.channels import service_for
from interactions.errors import InteractionError, NotYours
from interactions.models import Channel, Interaction, InteractionKind, InteractionState, Message
from interactions.text import TextRejected, sendable, validate_dm_text, validate_email, validate_reply_text
from workspace.agents.audit import Verb, audit_record
from workspace.infra.events import MessageStatus
from workspace.infra.push import notify_agent

SENDABLE_STATES = (InteractionState.ACTIVE, InteractionState.ENDED)
UNSENT = (Message.Delivery.QUEUED, Message.Delivery.SENDING, Message.Delivery.FAILED)
ANY_CLAIM = object()


class OutboxRefused(InteractionError):
    """The send cannot be queued (wrong interaction, bad text or image); the message tells the agent why."""


def _dispatch(message: Message) -> None:
    """Asks the interaction's channel to send the row once it is committed (the broker down: it waits for beat's
    sweep). A channel with no sender refuses the send before anything is committed."""
    service = service_for(message.interaction.kind)
    transaction.on_commit(lambda: service.dispatch_send(message.pk))


def _interaction_for(*, interaction_id: int, agent, kind: str) -> Interaction:
    interaction = (
        Interaction.objects.select_for_update(of=("self",))
        .select_related("x_account", "contact")
        .filter(pk=interaction_id)
        .first()
    )
    if interaction is None or interaction.agent_id != agent.pk:
        raise NotYours(f"Interaction #{interaction_id} is not yours.")
    if interaction.state not in SENDABLE_STATES:
        raise OutboxRefused(
            f"Interaction #{interaction_id} is {interaction.get_state_display().lower()}: accept it first."
        )
    if interaction.kind != kind:
        raise OutboxRefused(f"Interaction #{interaction_id} is a {interaction.get_kind_display()} interaction.")
    if interaction.x_account_id is None and kind != InteractionKind.EMAIL:  # an email goes from PERCH_EMAIL_FROM
        raise OutboxRefused(f"Interaction #{interaction_id} has no X account to send from.")
    return interaction


def _refuse_if_channel_would(interaction: Interaction, kind: str, tweet: Message | None) -> None:
    """The channel's own rules (on X: what the account's access allows) refuse it before anything is queued."""
    refusal = service_for(interaction.kind).send_refusal(interaction=interaction, kind=kind, tweet=tweet)
    if refusal:
        raise OutboxRefused(refusal)


def _thread_tweet(interaction: Interaction, tweet_id: str) -> Message:
    """The tweet a reply or a Like answers: one of the interaction's thread on X, whichever of the thread's
    interactions stored it (the Connect view answers a tweet of a done conversation from a new one of the thread)."""
    tweet = Message.objects.filter(
        kind=Message.Kind.TWEET, external_id=tweet_id, interaction__x_account=interaction.x_account_id,
        interaction__kind=Channel.TWITTER, interaction__thread_key=interaction.thread_key,
    ).first()  # fmt: skip
    if tweet is None:
        raise OutboxRefused("That tweet is not part of this conversation.")
    return tweet


def _image(data: bytes | None) -> PreparedImage | None:
    if not data:
        return None
    try:
        return prepare_image(data)
    except ImageRejected as exc:
        raise OutboxRefused(str(exc)) from exc


def _create(*, interaction: Interaction, agent, idempotency_key: str, image: PreparedImage | None, **fields) -> Message:
    """One row per idempotency key: the second click of a double-click gets the first click's row."""
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        if existing.author_agent_id != agent.pk:
            raise OutboxRefused("This form was already used by someone else; reload the page.")
        return existing
    message = Message(
        interaction=interaction,
        x_account=interaction.x_account,
        direction=Message.Direction.OUTBOUND,
        author_agent=agent,
        delivery=Message.Delivery.QUEUED,
        idempotency_key=idempotency_key,
        **fields,
    )
    if image:
        message.attachment.save(image.filename, ContentFile(image.content), save=False)
        message.media = [{"file": message.attachment.name, "width": image.width, "height": image.height}]
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Same key committed by a concurrent request, or (for a Like) this tweet is already liked.
        duplicate = Message.objects.filter(idempotency_key=idempotency_key).first() or Message.objects.get(
            x_account=interaction.x_account, kind=fields["kind"], external_id=fields.get("external_id")
        )
        return duplicate
    verb = Verb.LIKE if message.kind == Message.Kind.LIKE else Verb.SEND
    audit_record(actor=agent, verb=verb, obj=interaction, details={"message_id": message.pk, "kind": message.kind})
    _dispatch(message)
    return message


def outbox_send_dm(
    *, interaction_id: int, agent, text: str, idempotency_key: str, image: bytes | None = None
) -> Message:
    """Queues a DM (text and/or one image) to the customer of a Chat interaction. The image is prepared before
    the transaction: decoding a big one must never hold the interaction's lock (nor, on SQLite, the database)."""
    prepared = _image(image)
    with transaction.atomic():
        interaction = _interaction_for(interaction_id=interaction_id, agent=agent, kind=Channel.CHAT)
        try:
            validate_dm_text(text, has_image=prepared is not None)
        except TextRejected as exc:
            raise OutboxRefused(str(exc)) from exc
        return _create(
            interaction=interaction, agent=agent, idempotency_key=idempotency_key, image=prepared,
            kind=Message.Kind.DM, text=text,
        )  # fmt: skip


def outbox_reply(
    *,
    interaction_id: int,
    agent,
    in_reply_to_tweet_id: str,
    text: str,
    idempotency_key: str,
    image: bytes | None = None,
) -> Message:
    """Queues a public reply to one tweet of a Twitter interaction (the image, as for a DM, prepared before the
    transaction). The text goes to X as the agent wrote it: X puts the leading @mentions in front itself (the tweet's
    author and the people it replied to), and they do not count towards 280, so Perch counts only the agent's text —
    what the ring counted."""
    prepared = _image(image)
    with transaction.atomic():
        interaction = _interaction_for(interaction_id=interaction_id, agent=agent, kind=Channel.TWITTER)
        tweet = _thread_tweet(interaction, in_reply_to_tweet_id)
        _refuse_if_channel_would(interaction, Message.Kind.TWEET, tweet)
        text = sendable(text)
        try:
            validate_reply_text(text, has_image=prepared is not None)
        except TextRejected as exc:
            raise OutboxRefused(str(exc)) from exc
        return _create(
            interaction=interaction, agent=agent, idempotency_key=idempotency_key, image=prepared,
            kind=Message.Kind.TWEET, text=text, in_reply_to_external_id=in_reply_to_tweet_id,
        )  # fmt: skip


@transaction.atomic
def outbox_like(*, interaction_id: int, agent, tweet_id: str, idempotency_key: str) -> Message:
    """Queues a Like of one tweet of a Twitter interaction (a tweet is liked once, however often one clicks)."""
    interaction = _interaction_for(interaction_id=interaction_id, agent=agent, kind=Channel.TWITTER)
    tweet = _thread_tweet(interaction, tweet_id)
    _refuse_if_channel_would(interaction, Message.Kind.LIKE, tweet)
    return _create(
        interaction=interaction, agent=agent, idempotency_key=idempotency_key, image=None, kind=Message.Kind.LIKE,
        external_id=tweet_id, in_reply_to_external_id=tweet_id,
    )  # fmt: skip


@transaction.atomic
def outbox_send_email(*, interaction_id: int, agent, subject: str, text: str, idempotency_key: str) -> Message:
    """Queues an email to the contact of an Email interaction (its address is the interaction's thread key). No
    image: images go by X DM only."""
    interaction = _interaction_for(interaction_id=interaction_id, agent=agent, kind=InteractionKind.EMAIL)
    text = (text or "").replace("\r\n", "\n")
    try:
        validate_email(subject, text)
    except TextRejected as exc:
        raise OutboxRefused(str(exc)) from exc
    return _create(
        interaction=interaction, agent=agent, idempotency_key=idempotency_key, image=None, kind=Message.Kind.EMAIL,
        subject=subject.strip(), text=text,
    )  # fmt: skip


@transaction.atomic
def outbox_retry(*, message_id: int, agent) -> Message:
    """Puts a failed send back in the queue (the agent fixed the cause, or X is back)."""
    message = (
        Message.objects.select_for_update(of=("self",)).select_related("interaction").filter(pk=message_id).first()
    )
    if message is None or message.interaction.agent_id != agent.pk:
        raise NotYours(f"Message #{message_id} is not yours.")
    if message.delivery != Message.Delivery.FAILED:
        raise OutboxRefused(f"Only a failed message can be retried; this one is {message.get_delivery_display()}.")
    message.delivery, message.last_error, message.send_after = Message.Delivery.QUEUED, "", None
    message.save(update_fields=["delivery", "last_error", "send_after"])
    _dispatch(message)
    return message


# --- Delivery: the sender's moves --------------------------------------------------------------------------
@dataclass
class Claim:
    message: Message | None
    ask_x_first: bool = False  # X may have it already (a worker died, or the last call got no answer)
    in_flight: bool = False


def _notify_status(message: Message) -> None:
    agent_id = message.author_agent_id or message.interaction.agent_id
    if agent_id:
        notify_agent(
            agent_id,
            MessageStatus(interaction_id=message.interaction_id, message_id=message.pk, delivery=message.delivery),
        )


def _move(message: Message, *, expected: Iterable[str], claim=ANY_CLAIM, **fields) -> bool:
    """A move of the row's delivery state (and what goes with it), only while the row is in a state the caller
    expects and, for a worker, still under the claim it stamped. One conditional UPDATE, which takes the row lock.
    False when the row had moved."""
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


def _worker_move(message: Message, **fields) -> bool:
    """A worker's move: from `sending`, under the claim it stamped (the message as `claim` returned it)."""
    return _move(message, expected=[Message.Delivery.SENDING], claim=message.claimed_at, **fields)


def claim(message_id: int, *, lease: timedelta) -> Claim:
    """Marks the row `sending` and stamps the claim (committed before X, or the mail server, is called), unless it
    is sent or failed, another worker's lease on it lasts, its account needs reconnecting, it is not due, or an older
    send of the same kind still waits (then it waits behind it)."""
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
        if message.delivery == Message.Delivery.SENDING and message.claimed_at and message.claimed_at > now - lease:
            return Claim(None, in_flight=True)  # another worker is calling X with it right now
        if message.x_account and message.x_account.needs_reconnect:
            message.hold_reason, message.last_error = Message.HoldReason.RECONNECT, ""
            message.save(update_fields=["hold_reason", "last_error"])  # under the row lock; it goes once reconnected
            return Claim(None)
        if message.send_after and message.send_after > now:
            return Claim(None)
        as_read = {"expected": [message.delivery], "claim": message.claimed_at}
        ahead = _held_ahead(message) if message.x_account_id else None  # X's budget order; email has none
        if ahead is not None:
            # X's window reopened but the sweep has not released the earlier sends yet: this one goes after them.
            _move(message, **as_read, send_after=max(ahead, now), hold_reason=Message.HoldReason.BEHIND, last_error="")
            return Claim(None)
        ask_x_first = message.delivery == Message.Delivery.SENDING or message.claimed_at is not None
        claimed = _move(
            message, **as_read, delivery=Message.Delivery.SENDING, claimed_at=now, attempts=message.attempts + 1,
            hold_reason="",
        )  # fmt: skip
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


def hold(message: Message, reason: str, until=None, detail: str = "", *, ask_x_first: bool) -> bool:
    """A worker gives its claimed row back to the queue: it waits for `reason` until `until` (None: until the cause
    is fixed; the reconnect releases it). `detail` is what X said, if anything. With `ask_x_first` (X may have it:
    the call got no answer, or an earlier one did not) the claim stays on the row and the next try asks X first."""
    return _worker_move(
        message, delivery=Message.Delivery.QUEUED, send_after=until, hold_reason=reason, last_error=detail[:300],
        claimed_at=message.claimed_at if ask_x_first else None,
    )  # fmt: skip


def mark_sent(message: Message, *, external_id: str) -> bool:
    """A worker's row went out (or was found at X): sent now, with X's id. Raises IntegrityError when X's id is
    already another row's (the caller decides whether that row is X's copy of this one)."""
    return _worker_move(message, **_sent(external_id, timezone.now()))


def mark_echoed(message: Message, *, external_id: str, at) -> bool:
    """X's copy of the row was read (a poll or a webhook): sent at X's time, from whatever unsent state it is in,
    whoever holds it. A worker still calling X with it then finds it moved and changes nothing."""
    return _move(message, expected=UNSENT, **_sent(external_id, at))


def _sent(external_id: str, at) -> dict:
    return {
        "delivery": Message.Delivery.SENT, "external_id": external_id, "sent_at": at, "send_after": None,
        "hold_reason": "", "last_error": "",
    }  # fmt: skip


def fail(message: Message, detail: str) -> bool:
    """X refused the worker's row for good, or it gave up: failed with X's words; the agent may retry it."""
    return _worker_move(message, delivery=Message.Delivery.FAILED, hold_reason="", last_error=detail[:300])


def release_held(*, x_account_id: int, due) -> int:
    """The account is reconnected: its sends held since the 401 are due at `due` (in the past, so beat's release
    sweep takes them right away, in order)."""
    held = Message.objects.filter(
        x_account_id=x_account_id, direction=Message.Direction.OUTBOUND, delivery=Message.Delivery.QUEUED,
        send_after__isnull=True,
    )  # fmt: skip
    return held.update(send_after=due)
