"""X events → Perch: contact identified, message stored once, interaction opened or continued.

Callers (polling, webhooks) hand over parsed events inside their own transaction. Each event runs in a savepoint:
a duplicate (re-poll, overlap, webhook + poll) hits the message's unique constraint and is rolled back whole,
interaction included; a malformed event, or one the database refuses (DataError), is kept as a RejectedEvent and
skipped. A page's batch that meets either goes one by one, so one bad event never costs the others.
"""

import logging
from dataclasses import asdict, dataclass, field

from django.db import DataError, IntegrityError, transaction
from django.db.models import JSONField, Value
from django.utils import timezone

from contacts.services import contact_identify_x_user
from interactions.models import OPEN_STATES, Channel, Interaction, Message
from interactions.scheduling import request_routing
from interactions.sentiment import sentiment_score
from social import ingest_batch, sending
from social.integrations.x_client import DMEvent, Tweet, XUser
from social.integrations.x_payloads import conversation_id_for, storable, storable_json
from social.models import RejectedEvent, XAccount
from workspace.logs import log_event
from workspace.notifications import notify_agent

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    created: list[int] = field(default_factory=list)  # ids of new messages
    touched: set[int] = field(default_factory=set)  # interactions that got customer messages
    duplicates: int = 0
    echoes: int = 0  # X's copies of messages Perch sent: their outbox rows became sent
    skipped: int = 0
    rejected: int = 0

    @property
    def media_pending(self) -> list[int]:
        return self.created


def reject(*, account: XAccount, stream: str, payload, error: str) -> None:
    """Keeps an event Perch could not understand as X sent it, minus what no database can store (NUL bytes,
    NaN), so that keeping it never fails."""
    error = storable(error)[:300]
    log.warning("rejected %s event of account %s: %s", stream, account.pk, error)
    payload = storable_json(payload)
    if payload is None:  # JSON null, which the field would otherwise store as SQL NULL
        payload = Value(None, JSONField())
    RejectedEvent.objects.create(account=account, stream=stream, payload=payload, error=error)


def _author(user: XUser | None, user_id: str) -> dict:
    if user is None:
        return {"id": user_id}
    # Spelled out: dataclasses.asdict deep-copies a flat record, once per event on the ingest hot path.
    return {"id": user.id, "username": user.username, "name": user.name, "profile_image_url": user.profile_image_url}


def _media(items) -> list[dict]:
    return [
        {"media_key": m.media_key, "type": m.type, "url": m.url, "width": m.width, "height": m.height} for m in items
    ]


def _open_interaction(*, account, kind, thread_key, contact, root_tweet_id="") -> Interaction:
    """The thread's open interaction, or a new queued one (the unique constraint settles races)."""
    lookup = {"x_account": account, "kind": kind, "thread_key": thread_key, "state__in": OPEN_STATES}
    interaction = Interaction.objects.select_for_update().filter(**lookup).first()
    if interaction:
        return interaction
    now = timezone.now()
    try:
        with transaction.atomic():
            interaction = Interaction.objects.create(
                x_account=account,
                kind=kind,
                thread_key=thread_key,
                contact=contact,
                root_tweet_id=root_tweet_id,
                queued_at=now,
            )
    except IntegrityError:
        return Interaction.objects.select_for_update().get(**lookup)
    _after_open(interaction)
    return interaction


def _after_open(interaction: Interaction) -> None:
    """A new interaction is queued (both ingest paths call this)."""
    fields = {"account_id": interaction.x_account_id, "interaction_id": interaction.pk, "kind": interaction.kind}
    transaction.on_commit(lambda: log_event(log, "interaction.opened", **fields))


def _after_store(interaction: Interaction, message: Message) -> None:
    """A new message is stored (both ingest paths call this): the agent working it sees it live."""
    fields = {
        "account_id": message.x_account_id, "interaction_id": interaction.pk, "message_id": message.pk,
        "external_id": message.external_id, "kind": message.kind, "direction": message.direction,
    }  # fmt: skip
    transaction.on_commit(lambda: log_event(log, "message.ingested", **fields))  # logged once it is stored for good
    if interaction.agent_id:
        notify_agent(interaction.agent_id, "message.created", interaction_id=interaction.pk, message_id=message.pk)


def _store(interaction: Interaction, result: IngestResult, **fields) -> Message | None:
    """Inserts the message; a duplicate raises IntegrityError, caught by the caller's savepoint."""
    message = Message.objects.create(interaction=interaction, x_account=interaction.x_account, **fields)
    # An agent's own reading of the sentiment (set by hand) stands; new messages do not overwrite it.
    if (
        message.direction == Message.Direction.INBOUND
        and message.sentiment is not None
        and not interaction.sentiment_overridden
    ):
        worst = min(message.sentiment, interaction.sentiment if interaction.sentiment is not None else 1.0)
        if worst != interaction.sentiment:
            interaction.sentiment = worst
            interaction.save(update_fields=["sentiment"])
    _after_store(interaction, message)
    result.created.append(message.pk)
    if message.direction == Message.Direction.INBOUND:
        result.touched.add(interaction.pk)
    return message


def _in_batch(result: IngestResult, work) -> bool:
    """Runs a page's batch in a savepoint; False when it met a conflict (the caller goes one by one)."""
    try:
        with transaction.atomic():
            messages, duplicates, opened = work()
            for interaction in opened:
                _after_open(interaction)
            for message in messages:
                _after_store(message.interaction, message)
    except (IntegrityError, DataError):  # a conflict, or a value the database refused: each event on its own
        return False
    result.created += [m.pk for m in messages]
    result.touched |= {m.interaction_id for m in messages}
    result.duplicates += duplicates
    return True


def _once(result: IngestResult, account, stream, payload, work) -> None:
    """Runs one event's work in a savepoint: duplicates and malformed events are rolled back alone."""
    try:
        with transaction.atomic():
            work()
    except IntegrityError:
        result.duplicates += 1
    except (KeyError, ValueError, TypeError, DataError) as exc:
        result.rejected += 1
        reject(account=account, stream=stream, payload=payload, error=f"{exc.__class__.__name__}: {exc}")


# --- Direct messages ------------------------------------------------------------------------------------
def _dm_thread(account: XAccount, event: DMEvent) -> str:
    others = [p for p in event.participant_ids if p != account.x_user_id]
    return event.conversation_id or conversation_id_for(event.sender_id, others[0] if others else "0")


def _route_new_work(result: IngestResult) -> IngestResult:
    """Interactions that got customer messages are (re)prioritised and the queue routed, after commit."""
    if result.touched:
        request_routing(list(result.touched))
    return result


def ingest_dm_events(*, account: XAccount, events: list[DMEvent], users: dict[str, XUser]) -> IngestResult:
    """Customer DMs of a page go in one batch; the brand's own DMs, and every event of a page whose batch met
    a conflict, go one by one (each in its own savepoint)."""
    return _route_new_work(_ingest_dm_events(account=account, events=events, users=users))


def _ingest_dm_events(*, account: XAccount, events: list[DMEvent], users: dict[str, XUser]) -> IngestResult:
    result = IngestResult()
    batch, one_by_one = [], []
    for event in sorted(events, key=lambda e: int(e.id)):
        if event.event_type != "MessageCreate":
            result.skipped += 1
        elif event.sender_id and event.sender_id != account.x_user_id:
            batch.append(event)
        else:
            one_by_one.append(event)
    if batch:
        stored = _in_batch(result, lambda: ingest_batch.ingest_customer_dms(
            account=account, events=batch, users=users, thread_of=lambda e: _dm_thread(account, e),
            author_of=_author, media_of=_media,
        ))  # fmt: skip
        if not stored:
            one_by_one = sorted(batch + one_by_one, key=lambda e: int(e.id))
    for event in one_by_one:
        _once(result, account, "dm_events", asdict(event), lambda e=event: _ingest_dm(account, e, users, result))
    return result


def _ingest_dm(account: XAccount, event: DMEvent, users: dict[str, XUser], result: IngestResult) -> None:
    if not event.sender_id:
        raise ValueError("the DM event has no sender_id")
    from_brand = event.sender_id == account.x_user_id
    conversation = _dm_thread(account, event)
    common = {
        "kind": Message.Kind.DM,
        "external_id": event.id,
        "text": event.text,
        "media": _media(event.media),
        "created_at": event.created_at or timezone.now(),
        "author": _author(users.get(event.sender_id), event.sender_id),
    }
    if from_brand:
        # X's copy of a DM sent from Perch makes its outbox row sent (a worker may still be waiting for X's answer,
        # or have died waiting); one sent from X's own app is part of the conversation, never new work.
        if sending.outbox_echo(
            account=account, kind=Message.Kind.DM, external_id=event.id, text=event.text, at=common["created_at"],
            thread_key=conversation,
        ):  # fmt: skip
            result.echoes += 1
            return
        interaction = (
            Interaction.objects.filter(x_account=account, kind=Channel.CHAT, thread_key=conversation)
            .order_by("-opened_at")
            .first()
        )
        if interaction is None:
            result.skipped += 1
            return
        _store(
            interaction,
            result,
            direction=Message.Direction.OUTBOUND,
            delivery=Message.Delivery.SENT,
            sent_at=common["created_at"],
            **common,
        )
        return
    sender = users.get(event.sender_id)
    identity = contact_identify_x_user(
        x_user_id=event.sender_id,
        username=sender.username if sender else "",
        name=sender.name if sender else "",
        avatar_url=sender.profile_image_url if sender else "",
    )
    interaction = _open_interaction(
        account=account, kind=Channel.CHAT, thread_key=conversation, contact=identity.contact
    )
    _store(
        interaction,
        result,
        direction=Message.Direction.INBOUND,
        author_identity=identity,
        sentiment=sentiment_score(event.text),
        **common,
    )


# --- Mentions and replies -------------------------------------------------------------------------------
def ingest_tweets(
    *, account: XAccount, tweets: list[Tweet], users: dict[str, XUser], context: dict[str, Tweet] | None = None
) -> IngestResult:
    """Ingests mentions (oldest first). `context` holds fetched parent tweets used to rebuild branches."""
    return _route_new_work(_ingest_tweets(account=account, tweets=tweets, users=users, context=context))


def _ingest_tweets(*, account, tweets, users, context) -> IngestResult:
    result = IngestResult()
    context = dict(context or {})
    customer_tweets = []
    for tweet in sorted(tweets, key=lambda t: int(t.id)):
        if tweet.is_retweet or tweet.author_id == account.x_user_id:
            result.skipped += 1  # retweets and the brand's own tweets never create work
            if not tweet.is_retweet:
                _own_reply(account, tweet, result)  # a webhook delivers the brand's own replies: Perch's are sent
        else:
            customer_tweets.append(tweet)
    # The batch path needs no fetched parents; a page with some (or a conflict) goes one by one.
    if customer_tweets and not any(t.replied_to_id in context for t in customer_tweets):
        batch = lambda: ingest_batch.ingest_customer_tweets(  # noqa: E731
            account=account, tweets=customer_tweets, users=users, fields_of=_tweet_fields
        )
        if _in_batch(result, batch):
            return result
    for tweet in customer_tweets:
        _once(
            result,
            account,
            "mentions",
            asdict(tweet),
            lambda t=tweet: _ingest_customer_tweet(account, t, users, context, result),
        )
    return result


def _known_tweet(account: XAccount, tweet_id: str) -> Message | None:
    return (
        Message.objects.select_related("interaction")
        .filter(x_account=account, kind=Message.Kind.TWEET, external_id=tweet_id)
        .first()
    )


def _branch_for(account, tweet: Tweet, contact, users, context, result, depth=0) -> Interaction:
    """The interaction a customer tweet belongs to.

    A reply to a known tweet continues that tweet's branch, unless the tweet already has a reply there: then the
    conversation forks and this tweet starts a branch of its own. A parent fetched from X (context) is stored
    first, so the agent sees what is being answered.
    """
    parent_id = tweet.replied_to_id
    parent = _known_tweet(account, parent_id) if parent_id else None
    if parent_id and parent is None and parent_id in context and depth < 3:
        parent = _store_context_tweet(account, context.pop(parent_id), contact, users, context, result, depth + 1)
    if parent is not None:
        branch = parent.interaction
        answered = branch.messages.filter(in_reply_to_external_id=parent_id).exists()
        if not answered:
            return _open_interaction(
                account=account,
                kind=Channel.TWITTER,
                thread_key=branch.thread_key,
                contact=branch.contact,
                root_tweet_id=branch.root_tweet_id,
            )
    return _open_interaction(
        account=account,
        kind=Channel.TWITTER,
        thread_key=tweet.id,
        contact=contact,
        root_tweet_id=tweet.conversation_id or tweet.id,
    )


def _store_context_tweet(account, tweet: Tweet, contact, users, context, result, depth) -> Message:
    """A parent tweet Perch had not seen (fetched from X): stored in the branch it roots or continues. The brand's
    reply that Perch's outbox was still sending (or whose worker died) is that outbox row, now sent."""
    by_brand = tweet.author_id == account.x_user_id
    if by_brand and (sent := _own_reply(account, tweet, result)):
        return sent
    interaction = _branch_for(account, tweet, contact, users, context, result, depth)
    direction = Message.Direction.OUTBOUND if by_brand else Message.Direction.INBOUND
    return _store(
        interaction,
        result,
        direction=direction,
        delivery=Message.Delivery.SENT if by_brand else "",
        **_tweet_fields(tweet, users),
    )


def _own_reply(account: XAccount, tweet: Tweet, result: IngestResult) -> Message | None:
    """X's copy of a reply the brand posted: the outbox row it came from, now sent, if one is unsent."""
    if not tweet.replied_to_id:
        return None
    sent = sending.outbox_echo(
        account=account, kind=Message.Kind.TWEET, external_id=tweet.id, text=tweet.text,
        at=tweet.created_at or timezone.now(), in_reply_to=tweet.replied_to_id,
    )  # fmt: skip
    result.echoes += int(sent is not None)
    return sent


def _tweet_fields(tweet: Tweet, users: dict[str, XUser]) -> dict:
    return {
        "kind": Message.Kind.TWEET,
        "external_id": tweet.id,
        "in_reply_to_external_id": tweet.replied_to_id,
        "text": tweet.text,
        "display_start": tweet.display_start,
        "media": _media(tweet.media),
        "created_at": tweet.created_at or timezone.now(),
        "author": _author(users.get(tweet.author_id), tweet.author_id),
    }


def _ingest_customer_tweet(account, tweet: Tweet, users, context, result) -> None:
    author = users.get(tweet.author_id)
    identity = contact_identify_x_user(
        x_user_id=tweet.author_id,
        username=author.username if author else "",
        name=author.name if author else "",
        avatar_url=author.profile_image_url if author else "",
    )
    interaction = _branch_for(account, tweet, identity.contact, users, context, result)
    _store(
        interaction,
        result,
        direction=Message.Direction.INBOUND,
        author_identity=identity,
        sentiment=sentiment_score(tweet.text),
        **_tweet_fields(tweet, users),
    )
