"""Writing what X events carry: the contact identified, the message stored once, the interaction opened or
continued, and the events Perch could not understand kept as RejectedEvents.

An event X sent without its author (a tweet without `author_id`, a DM without `sender_id`) is kept as a
RejectedEvent that names the missing field: nobody can tell whose it is, so it is never anyone's.

Each event runs in a savepoint: a duplicate (re-poll, overlap, webhook + poll) hits the message's unique constraint
and is rolled back whole, interaction included; a malformed event, or one the database refuses (DataError), is kept
as a RejectedEvent and skipped. A page's batch that meets either goes one by one, so one bad event never costs the
others.
"""

import logging
from dataclasses import asdict, dataclass, field

from django.db import DataError, IntegrityError, transaction
from django.db.models import JSONField, Value
from django.utils import timezone

from contacts.models import ContactIdentity
from contacts.services import contact_identify_x_user, contacts_identify_x_users
from interactions.models import OPEN_STATES, Interaction, Message
from interactions.scheduling import request_routing
from social.integrations.x_client import XUser
from social.integrations.x_payloads import storable, storable_json
from social.models import RejectedEvent, XAccount
from workspace.infra.events import MessageCreated
from workspace.infra.logs import log_event
from workspace.infra.push import notify_agent

log = logging.getLogger("social.ingest")  # the name operators filter ingest's events by, kept from before the package


@dataclass
class IngestResult:
    created: list[int] = field(default_factory=list)  # ids of new messages
    touched: set[int] = field(default_factory=set)  # interactions that got customer messages
    duplicates: int = 0
    skipped: int = 0
    rejected: int = 0


def reject(*, account: XAccount, stream: str, payload, error: str) -> None:
    """Keeps an event Perch could not understand as X sent it, minus what no database can store (NUL bytes,
    NaN), so that keeping it never fails."""
    error = storable(error)[:300]
    log.warning("rejected %s event of account %s: %s", stream, account.pk, error)
    payload = storable_json(payload)
    if payload is None:  # JSON null, which the field would otherwise store as SQL NULL
        payload = Value(None, JSONField())
    RejectedEvent.objects.create(account=account, stream=stream, payload=payload, error=error)


def stored_ids(account: XAccount, kind: str, external_ids) -> set[str]:
    """The X ids among `external_ids` of the account's messages of this kind that Perch has stored."""
    return set(
        Message.objects.filter(x_account=account, kind=kind, external_id__in=external_ids).values_list(
            "external_id", flat=True
        )
    )


def unseen(account: XAccount, kind: str, events: list) -> tuple[list, int]:
    """The events of a page not stored yet, and how many were (duplicates)."""
    known = stored_ids(account, kind, [e.id for e in events])
    return [e for e in events if e.id not in known], len(known)


# --- Message fields and contacts --------------------------------------------------------------------------
def message_fields(*, kind: str, external_id: str, text: str, media, created_at, author_id: str, users) -> dict:
    """The fields every X message Perch stores has, DM or tweet; one X sent without its time is stamped now."""
    return {
        "kind": kind,
        "external_id": external_id,
        "text": text,
        "media": _media(media),
        "created_at": created_at or timezone.now(),
        "author": _author(users.get(author_id), author_id),
    }


def _author(user: XUser | None, user_id: str) -> dict:
    if user is None:
        return {"id": user_id}
    # Spelled out: dataclasses.asdict deep-copies a flat record, once per event on the ingest hot path.
    return {"id": user.id, "username": user.username, "name": user.name, "profile_image_url": user.profile_image_url}


def _media(items) -> list[dict]:
    return [
        {"media_key": m.media_key, "type": m.type, "url": m.url, "width": m.width, "height": m.height} for m in items
    ]


def _person(x_user_id: str, users: dict[str, XUser]) -> dict:
    user = users.get(x_user_id)
    return {
        "x_user_id": x_user_id, "username": user.username if user else "", "name": user.name if user else "",
        "avatar_url": user.profile_image_url if user else "",
    }  # fmt: skip


def identify(x_user_id: str, users: dict[str, XUser]) -> ContactIdentity:
    """The X user's identity (and contact), created or updated with what X says of them."""
    return contact_identify_x_user(**_person(x_user_id, users))


def identify_all(x_user_ids: list[str], users: dict[str, XUser]) -> dict[str, ContactIdentity]:
    """`identify` for a page's authors, in a few queries; by X user id."""
    return contacts_identify_x_users(people=[_person(x_user_id, users) for x_user_id in dict.fromkeys(x_user_ids)])


# --- One event at a time ----------------------------------------------------------------------------------
def open_interaction(*, account, kind, thread_key, contact_id, root_tweet_id="") -> Interaction:
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
                contact_id=contact_id,
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
        notify_agent(interaction.agent_id, MessageCreated(interaction_id=interaction.pk, message_id=message.pk))


def store_message(interaction: Interaction, result: IngestResult, **fields) -> Message:
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


def once(result: IngestResult, account, stream, payload, work) -> None:
    """Runs one event's work in a savepoint: duplicates and malformed events are rolled back alone."""
    try:
        with transaction.atomic():
            work()
    except IntegrityError:
        result.duplicates += 1
    except (KeyError, ValueError, TypeError, DataError) as exc:
        result.rejected += 1
        reject(account=account, stream=stream, payload=payload, error=f"{exc.__class__.__name__}: {exc}")


def without_author(result: IngestResult, account, stream: str, event, *, what: str, field: str, name: str) -> bool:
    """True when X sent the event without its author (`field` empty): it is kept as a RejectedEvent that says so,
    never filed under a made-up customer with an empty X id (every such event would be that one "person")."""
    if getattr(event, field):
        return False
    result.rejected += 1
    error = f"{what} {event.id} has no {field}: X sent it without the {name} field"
    reject(account=account, stream=stream, payload=asdict(event), error=error)
    return True


# --- A page of customer messages at once ------------------------------------------------------------------
@dataclass
class Planned:
    """One new customer message and the thread it belongs to."""

    thread_key: str
    contact_id: int
    root_tweet_id: str
    sentiment: float
    fields: dict


def in_batch(result: IngestResult, work) -> bool:
    """Runs a page's batch (`work` returns new messages, duplicates and interactions opened) in a savepoint;
    False when it met a conflict (the caller goes one by one)."""
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


def store_page(account: XAccount, kind: str, plan: list[Planned]) -> tuple[list[Message], list[Interaction]]:
    """Each thread's open interaction (or a new queued one, with the worst sentiment of its messages), then
    every message in one insert. Returns (messages, interactions opened). Any conflict with a concurrent writer
    raises IntegrityError; `in_batch` then rolls the page back."""
    worst_new: dict[str, float] = {}
    for item in plan:
        worst_new[item.thread_key] = min(worst_new.get(item.thread_key, 1.0), item.sentiment)
    open_by_thread = {
        i.thread_key: i
        for i in Interaction.objects.select_for_update().filter(
            x_account=account, kind=kind, thread_key__in=list(worst_new), state__in=OPEN_STATES
        )
    }
    now, first = timezone.now(), {}
    for item in plan:
        first.setdefault(item.thread_key, item)
    opened = Interaction.objects.bulk_create(
        [
            Interaction(
                x_account=account, kind=kind, thread_key=key, contact_id=item.contact_id,
                root_tweet_id=item.root_tweet_id, queued_at=now, sentiment=worst_new[key],
            )
            for key, item in first.items()
            if key not in open_by_thread
        ]
    )  # fmt: skip
    open_by_thread.update({i.thread_key: i for i in opened})
    messages, worst = [], {}
    for item in plan:
        interaction = open_by_thread[item.thread_key]
        messages.append(
            Message(interaction=interaction, x_account=account, direction=Message.Direction.INBOUND,
                    sentiment=item.sentiment, **item.fields)
        )  # fmt: skip
        current = worst.get(interaction.pk, interaction.sentiment if interaction.sentiment is not None else 1.0)
        worst[interaction.pk] = min(current, item.sentiment)
    messages = Message.objects.bulk_create(messages)
    _keep_worst_sentiment(open_by_thread.values(), worst)
    return messages, opened


def _keep_worst_sentiment(interactions, worst: dict[int, float]) -> None:
    changed = []
    for interaction in interactions:
        if interaction.sentiment_overridden:  # an agent's own reading stands
            continue
        if interaction.pk in worst and worst[interaction.pk] != interaction.sentiment:
            interaction.sentiment = worst[interaction.pk]
            changed.append(interaction)
    if changed:
        Interaction.objects.bulk_update(changed, ["sentiment"])


def route_new_work(result: IngestResult) -> IngestResult:
    """Interactions that got customer messages are (re)prioritised and the queue routed, after commit."""
    if result.touched:
        request_routing(list(result.touched))
    return result
