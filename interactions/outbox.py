"""The outbox: every DM, reply and Like an agent sends is a Message row first, sent by a worker after commit.

queued → sending → sent | failed. The form's idempotency key makes a double-clicked Send one row; a failed row
can be retried. Sending itself (X calls, budget, reconciliation) lives in social/sending.py.
"""

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from interactions.attachments import ImageRejected, PreparedImage, prepare_image
from interactions.errors import InteractionError, NotYours
from interactions.models import Channel, Interaction, InteractionState, Message
from interactions.text import TextRejected, sendable, validate_dm_text, validate_reply_text
from workspace.audit import Verb, audit_record

SENDABLE_STATES = (InteractionState.ACTIVE, InteractionState.ENDED)


class OutboxRefused(InteractionError):
    """The send cannot be queued (wrong interaction, bad text or image); the message tells the agent why."""


def _dispatch(message_id: int) -> None:
    from social.tasks import dispatch_send  # social depends on interactions, not the other way round at import

    transaction.on_commit(lambda: dispatch_send(message_id))  # the broker down: the row waits for beat's sweep


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
    if interaction.x_account_id is None:
        raise OutboxRefused(f"Interaction #{interaction_id} has no X account to send from.")
    return interaction


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
    _dispatch(message.pk)
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
        if not interaction.messages.filter(kind=Message.Kind.TWEET, external_id=in_reply_to_tweet_id).exists():
            raise OutboxRefused("That tweet is not part of this conversation.")
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
    if not interaction.messages.filter(kind=Message.Kind.TWEET, external_id=tweet_id).exists():
        raise OutboxRefused("That tweet is not part of this conversation.")
    return _create(
        interaction=interaction, agent=agent, idempotency_key=idempotency_key, image=None, kind=Message.Kind.LIKE,
        external_id=tweet_id, in_reply_to_external_id=tweet_id,
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
    _dispatch(message.pk)
    return message
