"""X Activity API (XAA) deliveries → Perch's parsed events.

Every delivery is one event in X's envelope, `{"data": {"event_uuid", "filter": {"user_id"}, "event_type", "tag",
"payload", "includes"}}` (x-api/activity/event-payloads.mdx). The envelope is checked first (PayloadError: the
caller answers 400 and keeps the body); then the payload of the types Perch acts on:
- `dm.received` / `dm.sent`: the legacy `direct_message_events` (v1.1 shape) and a `users` map of `{"data": user}`;
- `post.mention.create` / `post.reply.create`: a v2 post object, `includes.users` / `.tweets` / `.media`;
- `oauth.revoke`: `{"date_time", "user_id", "app_id"}`, with a filter that may be empty.
An event inside a payload that cannot be understood is returned with its error and the others go on.

The Account Activity API's format (`for_user_id`, `direct_message_events` at the top, `tweet_create_events`) is
not read any more: X deprecated it in 2026 and removed its replay; such a body is refused in words.
"""

import dataclasses
import re
from dataclasses import dataclass, field

from social.integrations.x_payloads import (
    DMEvent,
    PayloadError,
    Tweet,
    XMedia,
    XUser,
    display,
    display_start,
    list_at,
    object_at,
    optional_x_id,
    parse_each,
    parse_media,
    parse_tweet,
    parse_user,
    storable,
    text,
    timestamp_ms,
    x_id,
)

EVENT_UUID_MAX_LENGTH = 64  # XDelivery.event_uuid
EVENT_TYPE_MAX_LENGTH = 64  # XDelivery.event_type, XSubscription.event_type
TAG_MAX_LENGTH = 200  # X's limit for a subscription's tag
_EVENT_UUID = re.compile(rf"[!-~]{{1,{EVENT_UUID_MAX_LENGTH}}}")  # opaque to Perch: printable ASCII, no spaces
_LEGACY_KEYS = {"for_user_id", "direct_message_events", "tweet_create_events", "favorite_events"}


@dataclass(frozen=True)
class Envelope:
    """One XAA delivery. `filter_user_id` is "" when X sent an empty filter (oauth.revoke may)."""

    event_uuid: str
    event_type: str
    filter_user_id: str
    tag: str
    payload: dict
    includes: dict


@dataclass(frozen=True)
class DMPayload:
    """What a dm.received / dm.sent payload carries; `rejected` holds (raw event, error) per event not understood."""

    events: list[DMEvent]
    users: dict[str, XUser]
    rejected: list[tuple[object, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PostPayload:
    """What a post.* payload carries: the post (None when it cannot be understood: `rejected` says why), the users
    X included, and the other posts it included (the one replied to, when X sends it) by id."""

    tweet: Tweet | None
    users: dict[str, XUser]
    context: dict[str, Tweet]
    rejected: list[tuple[object, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    """A delivery with its payload read as its event type says: `dms` for dm.received / dm.sent, `post` for
    post.mention.create / post.reply.create, `revoking_user_id` for oauth.revoke; other types carry only the
    envelope."""

    envelope: Envelope
    dms: DMPayload | None = None
    post: PostPayload | None = None
    revoking_user_id: str = ""

    @property
    def for_user_id(self) -> str:
        """Whose event this is: the filter's user or, for oauth.revoke (whose filter may be empty), the payload's."""
        return self.revoking_user_id or self.envelope.filter_user_id


def parse_delivery(body) -> Delivery:
    """The envelope and the payload of the types Perch reads; PayloadError when either is not shaped as X's."""
    envelope = parse_envelope(body)
    kind = envelope.event_type
    if kind in ("dm.received", "dm.sent"):
        return Delivery(envelope, dms=parse_dm_payload(envelope.payload))
    if kind in ("post.mention.create", "post.reply.create"):
        return Delivery(envelope, post=parse_post_payload(envelope.payload, envelope.includes))
    if kind == "oauth.revoke":
        return Delivery(envelope, revoking_user_id=parse_revoke(envelope.payload))
    return Delivery(envelope)


def parse_envelope(body) -> Envelope:
    """The delivery's envelope; PayloadError when it is not one of X's."""
    if not isinstance(body, dict):
        raise PayloadError("the delivery is not a JSON object")
    data = body.get("data")
    if not isinstance(data, dict):
        if _LEGACY_KEYS & set(body):
            raise PayloadError(
                "this is an Account Activity API delivery (deprecated by X); Perch reads X Activity API envelopes"
            )
        raise PayloadError("the delivery is not an X Activity API envelope: it has no data object")
    return Envelope(
        event_uuid=_event_uuid(data.get("event_uuid")),
        event_type=_event_type(data.get("event_type")),
        filter_user_id=optional_x_id(object_at(data, "filter").get("user_id"), "filter.user_id"),
        tag=display(data.get("tag"), TAG_MAX_LENGTH),
        payload=object_at(data, "payload"),
        includes=object_at(data, "includes"),
    )


def _event_uuid(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**64:
        value = str(value)
    if not isinstance(value, str) or not _EVENT_UUID.fullmatch(value):
        raise PayloadError("event_uuid is missing or not an id X sends")
    return value


def _event_type(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > EVENT_TYPE_MAX_LENGTH:
        raise PayloadError("event_type is missing or not a name")
    if storable(value) != value or not value.isprintable():
        raise PayloadError("event_type is not a name X sends")
    return value


# --- Users: `{"id": {"data": user}}` in DM payloads, `[user]` (or `[{"data": user}]`) in includes ------------------
def parse_users(raw_users) -> dict[str, XUser]:
    """The X users a payload or its includes name, as a map or a list, each user bare or wrapped in `data`. Users
    are display data: one that cannot be understood is only a name Perch does not learn."""
    if isinstance(raw_users, dict):
        raw_users = list(raw_users.values())
    elif raw_users in (None, ""):
        raw_users = []
    elif not isinstance(raw_users, list):
        raise PayloadError("users is not a map or list of users")
    users, _ = parse_each(raw_users, _user)
    found: dict[str, XUser] = {}
    for user in users:
        found.setdefault(user.id, user)
    return found


def _user(entry) -> XUser:
    if isinstance(entry, dict) and isinstance(entry.get("data"), dict):
        entry = entry["data"]
    return parse_user(entry)


# --- dm.received / dm.sent ------------------------------------------------------------------------------------------
def parse_dm_payload(payload: dict) -> DMPayload:
    """A dm.* payload: `direct_message_events` must be a list and `users` a map (or list) of users."""
    raw_events = payload.get("direct_message_events")
    if not isinstance(raw_events, list):
        raise PayloadError("a dm event's payload needs its direct_message_events list")
    events, rejected = parse_each(raw_events, parse_dm_event)
    return DMPayload(events=events, users=parse_users(payload.get("users")), rejected=rejected)


def _media(entities: dict) -> tuple[XMedia, ...]:
    """v1.1 media entities (which have ids, not media keys); one that cannot be understood is left out."""
    items = [m for m in list_at(entities, "media") if isinstance(m, dict)]
    media, _ = parse_each(
        items,
        lambda m: parse_media(m, media_key=optional_x_id(m.get("id_str", m.get("id"))), url_key="media_url_https"),
    )
    return tuple(media)


def parse_dm_event(data) -> DMEvent:
    """One legacy DM event (`type: message_create`, `message_create{target{recipient_id}, sender_id,
    message_data{text, attachment}}`), as dm.* payloads carry them."""
    if not isinstance(data, dict):
        raise PayloadError("a DM event is not an object")
    create = object_at(data, "message_create")
    if not create:
        raise PayloadError("a DM event needs its message_create")
    event_id = x_id(data.get("id"), "the DM event id")
    if create.get("sender_id") in (None, ""):
        raise PayloadError(f"DM event {event_id} has no sender_id: X sent it without the sender field")
    sender = x_id(create.get("sender_id"), "sender_id")
    recipient = x_id(object_at(create, "target").get("recipient_id"), "recipient_id")
    message = object_at(create, "message_data")
    attachment = object_at(message, "attachment")
    media = _media({"media": [attachment.get("media")]}) if attachment.get("type") == "media" else ()
    kind = data.get("type")
    if not isinstance(kind, str):
        raise PayloadError("a DM event needs a type")
    return DMEvent(
        id=event_id,
        event_type="MessageCreate" if kind == "message_create" else kind,
        text=text(message.get("text")),
        sender_id=sender,
        conversation_id="",  # the legacy shape names no conversation: ingest.threads.dm_thread derives it
        created_at=timestamp_ms(data.get("created_timestamp")),
        participant_ids=(sender, recipient),
        media=media,
    )


# --- post.mention.create / post.reply.create ----------------------------------------------------------------------
def parse_post_payload(payload: dict, includes: dict) -> PostPayload:
    """A post.* payload: a v2 post (its media, users and related posts in `includes`)."""
    media, _ = parse_each(list_at(includes, "media"), parse_media)
    index = {m.media_key: m for m in media}
    users = parse_users(includes.get("users"))
    related, _ = parse_each(list_at(includes, "tweets"), lambda t: parse_post(t, index))
    try:
        tweet = parse_post(payload, index)
    except PayloadError as exc:
        return PostPayload(tweet=None, users=users, context={}, rejected=[(payload, f"PayloadError: {exc}"[:300])])
    context = {t.id: t for t in related if t.id != tweet.id}  # X's mention example includes the post itself
    return PostPayload(tweet=tweet, users=users, context=context)


def parse_post(data, media: dict[str, XMedia] | None = None) -> Tweet:
    """A v2 post as XAA sends it: a reply may name its parent in `in_reply_to_tweet_id` as well as (or instead
    of) `referenced_tweets`."""
    tweet = parse_tweet(data, media)
    parent = optional_x_id(data.get("in_reply_to_tweet_id"), "in_reply_to_tweet_id")
    if parent and not tweet.replied_to_id:
        start = display_start(data.get("display_text_range"), tweet.text, parent)  # a reply's mentions come first
        tweet = dataclasses.replace(tweet, replied_to_id=parent, display_start=start)
    return tweet


# --- oauth.revoke -----------------------------------------------------------------------------------------------
def parse_revoke(payload: dict) -> str:
    """The X user who revoked the app's access."""
    return x_id(payload.get("user_id"), "the revoking user_id")
