"""X's Account Activity deliveries (v1.1 shapes, as X's webhooks send them) → Perch's parsed events.

Cleaned or refused at the edge like the v2 pages of x_payloads: the delivery's own structure is checked first
(PayloadError: the caller answers 400 and keeps it), then each event on its own, so one that cannot be
understood is returned with its error and the others go on.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from social.integrations.x_payloads import (
    HANDLE_MAX_LENGTH,
    NAME_MAX_LENGTH,
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
    text,
    url,
    utc,
    x_id,
)


@dataclass(frozen=True)
class Delivery:
    """What one delivery carries that Perch acts on; `rejected` holds (raw event, error) for each event that
    cannot be understood."""

    for_user_id: str
    dm_events: list[DMEvent]
    tweets: list[Tweet]
    users: dict[str, XUser]
    rejected_dms: list[tuple[object, str]] = field(default_factory=list)
    rejected_tweets: list[tuple[object, str]] = field(default_factory=list)


def parse_delivery(payload) -> Delivery:
    """A delivery: a JSON object whose `direct_message_events` and `tweet_create_events` are lists and whose
    `users` is a map (or list) of users; anything else raises PayloadError."""
    if not isinstance(payload, dict):
        raise PayloadError("the delivery is not a JSON object")
    raw_dms, raw_tweets = list_at(payload, "direct_message_events"), list_at(payload, "tweet_create_events")
    dms, rejected_dms = parse_each(raw_dms, parse_dm_event)
    tweets, rejected_tweets = parse_each(raw_tweets, parse_tweet)
    return Delivery(
        for_user_id=optional_x_id(payload.get("for_user_id"), "for_user_id"),
        dm_events=dms,
        tweets=tweets,
        users=parse_users(payload.get("users"), raw_tweets),
        rejected_dms=rejected_dms,
        rejected_tweets=rejected_tweets,
    )


def parse_users(raw_users, raw_tweets: list) -> dict[str, XUser]:
    """The X users a delivery names: its `users` map and each tweet's author. Users are display data: one that
    cannot be understood is only a name Perch does not learn."""
    if isinstance(raw_users, dict):
        raw_users = list(raw_users.values())
    elif raw_users in (None, ""):
        raw_users = []
    elif not isinstance(raw_users, list):
        raise PayloadError("users is not a map of users")
    authors = [t.get("user") for t in raw_tweets if isinstance(t, dict)]
    users, _ = parse_each([*raw_users, *authors], parse_user)
    found: dict[str, XUser] = {}
    for user in users:
        found.setdefault(user.id, user)
    return found


def parse_user(data) -> XUser:
    if not isinstance(data, dict):
        raise PayloadError("a user is not an object")
    return XUser(
        id=x_id(data.get("id_str", data.get("id")), "the user id"),
        username=display(data.get("screen_name"), HANDLE_MAX_LENGTH),
        name=display(data.get("name"), NAME_MAX_LENGTH),
        profile_image_url=url(data.get("profile_image_url_https")),
    )


def _media(entities: dict) -> tuple[XMedia, ...]:
    """v1.1 media entities (which have ids, not media keys); one that cannot be understood is left out."""
    items = [m for m in list_at(entities, "media") if isinstance(m, dict)]
    media, _ = parse_each(
        items,
        lambda m: parse_media(m, media_key=optional_x_id(m.get("id_str", m.get("id"))), url_key="media_url_https"),
    )
    return tuple(media)


def _timestamp_ms(value) -> datetime:
    """X's created_timestamp: milliseconds since 1970, as a string of digits (or a number)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError("created_timestamp is not a time in milliseconds")
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise PayloadError(f"created_timestamp {str(value)[:20]} is out of range") from exc


def parse_dm_event(data) -> DMEvent:
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
        conversation_id="",  # Account Activity names no conversation: ingest.threads.dm_thread derives it
        created_at=_timestamp_ms(data.get("created_timestamp")),
        participant_ids=(sender, recipient),
        media=media,
    )


def _tweet_time(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return utc(datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y"))
    except (TypeError, ValueError) as exc:
        raise PayloadError("created_at is not a time") from exc


def parse_tweet(data) -> Tweet:
    if not isinstance(data, dict):
        raise PayloadError("a tweet is not an object")
    extended = object_at(data, "extended_tweet")
    body = extended.get("full_text") or data.get("full_text") or data.get("text")
    if not isinstance(body, str):
        raise PayloadError("a tweet needs a text")
    tweet_id = x_id(data.get("id_str", data.get("id")), "the tweet id")
    author = data.get("user")
    if not isinstance(author, dict):
        raise PayloadError("a tweet needs its user")
    if author.get("id_str", author.get("id")) in (None, ""):
        raise PayloadError(f"tweet {tweet_id} has no user id: X sent it without the author's id")
    entities = object_at(extended, "extended_entities") or object_at(data, "extended_entities")
    body = text(body)
    replied_to = optional_x_id(data.get("in_reply_to_status_id_str"), "in_reply_to_status_id_str")
    shown = extended.get("display_text_range") if extended.get("full_text") else data.get("display_text_range")
    return Tweet(
        id=tweet_id,
        text=body,
        author_id=x_id(author.get("id_str", author.get("id")), "the tweet's user id"),
        conversation_id="",
        created_at=_tweet_time(data.get("created_at")),
        in_reply_to_user_id=optional_x_id(data.get("in_reply_to_user_id_str"), "in_reply_to_user_id_str"),
        replied_to_id=replied_to,
        retweeted_id=optional_x_id(object_at(data, "retweeted_status").get("id_str"), "the retweeted tweet id"),
        quoted_id=optional_x_id(data.get("quoted_status_id_str"), "quoted_status_id_str"),
        media=_media(entities),
        display_start=display_start(shown, body, replied_to),
    )
