"""Perch's view of X objects (users, DM events, tweets, media, pages) and the parsing of X's JSON into it.

Also used on X's documented example payloads, so the parsing is tested against X's own words. X's JSON is cleaned
or refused here, at the edge: ids are digit strings that fit Perch's fields, text loses NUL bytes, names and
handles are cut to fit, and anything else that cannot be understood raises PayloadError (one type for every
parser) so that the event is kept as a RejectedEvent while the rest of its page or delivery is stored.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from interactions.text import leading_mentions


@dataclass(frozen=True)
class RateLimit:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None


@dataclass(frozen=True)
class XUser:
    id: str
    username: str
    name: str
    profile_image_url: str = ""


@dataclass(frozen=True)
class XMedia:
    media_key: str
    type: str
    url: str = ""
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class DMEvent:
    id: str
    event_type: str
    text: str
    sender_id: str
    conversation_id: str
    created_at: datetime | None
    participant_ids: tuple[str, ...] = ()
    media: tuple[XMedia, ...] = ()


@dataclass(frozen=True)
class Tweet:
    id: str
    text: str
    author_id: str
    conversation_id: str
    created_at: datetime | None
    in_reply_to_user_id: str = ""
    replied_to_id: str = ""
    retweeted_id: str = ""
    quoted_id: str = ""
    media: tuple[XMedia, ...] = ()
    display_start: int = 0  # where the text X shows begins: after a reply's leading @mentions (display_text_range)
    mentions: tuple[str, ...] = ()  # the @usernames the tweet mentions, lower case (entities, else its text)
    quoted_author_id: str = ""  # the author of the quoted tweet, when X sent it in includes.tweets

    @property
    def is_retweet(self) -> bool:
        return bool(self.retweeted_id)


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    users: dict[str, XUser] = field(default_factory=dict)
    next_token: str = ""
    newest_id: str = ""
    rate: RateLimit | None = None
    rejected: list[tuple[object, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Sent:
    """What X answered to a send: the new DM event id or tweet id."""

    id: str
    conversation_id: str = ""


# --- Cleaning at the edge: what X sends must fit Perch's fields and PostgreSQL ---------------------------
class PayloadError(ValueError):
    """X sent something Perch cannot understand: the event (or page, or delivery) is kept as a RejectedEvent."""


# The model fields these values land in (tests/social/test_payload_fuzz.py checks they agree).
ID_MAX_LENGTH = 32  # Message.external_id, in_reply_to_external_id, Interaction.root_tweet_id
HANDLE_MAX_LENGTH = 100  # ContactIdentity.handle
NAME_MAX_LENGTH = 200  # Contact.display_name, ContactIdentity.display_name
URL_MAX_LENGTH = 500  # ContactIdentity.avatar_url
TOKEN_MAX_LENGTH = 200  # IngestCursor.resume_token
_X_ID = re.compile(rf"[0-9]{{1,{ID_MAX_LENGTH}}}")
_CONVERSATION_ID = re.compile(rf"[0-9]{{1,{ID_MAX_LENGTH}}}(-[0-9]{{1,{ID_MAX_LENGTH}}})?")  # 1:1 or group
_PAGINATION_TOKEN = re.compile(rf"[!-~]{{1,{TOKEN_MAX_LENGTH}}}")  # opaque to Perch: any printable ASCII that fits
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: neither PostgreSQL nor UTF-8 take them


def storable(value: str) -> str:
    """Text without what no database can store: NUL bytes go, lone surrogates become U+FFFD."""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def storable_json(value, depth: int = 0):
    """A JSON-like value that the database can store as it came (for RejectedEvent): strings made storable,
    numbers that are not JSON (NaN, infinities) and other objects written as text, nesting cut at 64 levels."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "… (a number too large to keep)"  # never from JSON; Python cannot even write it out past 4300 digits
    if value is None or isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    if depth >= 64:
        return "… (nested too deep)"
    if isinstance(value, dict):
        return {storable(str(k)): storable_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v, depth + 1) for v in value]
    return storable(value.isoformat() if isinstance(value, datetime) else str(value))


def x_id(value, what: str = "id") -> str:
    """An X id: a string of digits (v1.1 also sends numbers) that fits Perch's fields."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**ID_MAX_LENGTH:
        value = str(value)
    if not isinstance(value, str) or not _X_ID.fullmatch(value):
        raise PayloadError(f"{what} is not an X id: {_shown(value)}")
    return value


def optional_x_id(value, what: str = "id") -> str:
    return "" if value in (None, "") else x_id(value, what)


def text(value, what: str = "text") -> str:
    """What a person wrote, as written, minus what the database cannot store."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{what} is not text: {_shown(value)}")
    return storable(value)


def display(value, max_length: int) -> str:
    """Display data (names, handles, kinds): cut to fit its field; anything but text is no value."""
    return storable(value)[:max_length] if isinstance(value, str) else ""


def url(value) -> str:
    """An http(s) URL that fits its field, or nothing."""
    if not isinstance(value, str) or len(value) > URL_MAX_LENGTH or not value.startswith(("https://", "http://")):
        return ""
    return storable(value)


def _dimension(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000 else None


def _shown(value) -> str:
    """A value for an error message: short, and never a repr that could itself fail (huge numbers, deep lists)."""
    if isinstance(value, str):
        return repr(storable(value[:40]))
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "a very large number"
    return repr(value)[:40]


def list_at(body: dict, key: str) -> list:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{key} is not a list")
    return value


def object_at(body: dict, key: str) -> dict:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{key} is not an object")
    return value


# --- Parsing X's v2 JSON into dataclasses (also used on X's documented example payloads) ------------------
def utc(when: datetime) -> datetime:
    """A time in UTC (a time without a zone is taken as UTC); PayloadError when it cannot be in UTC."""
    try:
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise PayloadError(f"the time {_shown(when)} is out of range") from exc


def _datetime(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (AttributeError, TypeError, ValueError) as exc:
        raise PayloadError(f"created_at is not a time: {_shown(value)}") from exc


def parse_user(data) -> XUser:
    if not isinstance(data, dict):
        raise PayloadError("a user is not an object")
    return XUser(
        id=x_id(data.get("id"), "the user id"),
        username=display(data.get("username"), HANDLE_MAX_LENGTH),
        name=display(data.get("name"), NAME_MAX_LENGTH),
        profile_image_url=url(data.get("profile_image_url")),
    )


def parse_media(data, *, media_key=None, url_key: str = "url") -> XMedia:
    """One media object; `media_key` given for v1.1's media entities, which have ids instead."""
    if not isinstance(data, dict):
        raise PayloadError("a media object is not an object")
    key = display(data.get("media_key") if media_key is None else media_key, 64)
    if not key:
        raise PayloadError("a media object has no media_key")
    return XMedia(
        media_key=key,
        type=display(data.get("type"), 16) or "photo",
        url=url(data.get(url_key)) or url(data.get("preview_image_url")),
        width=_dimension(data.get("width")),
        height=_dimension(data.get("height")),
    )


def _media_index(includes: dict) -> dict[str, XMedia]:
    media, _ = parse_each(list_at(includes, "media"), parse_media)
    return {m.media_key: m for m in media}


def _attached(data: dict, media: dict[str, XMedia]) -> tuple[XMedia, ...]:
    keys = [display(key, 64) for key in list_at(object_at(data, "attachments"), "media_keys")]
    return tuple(media.get(key, XMedia(media_key=key, type="photo")) for key in keys if key)


def parse_each(items: list, parse) -> tuple[list, list[tuple[object, str]]]:
    """Parses what it can; an item X sent malformed is returned with its error, never blocks the others."""
    parsed, rejected = [], []
    for item in items:
        try:
            parsed.append(parse(item))
        except PayloadError as exc:
            rejected.append((item, f"PayloadError: {exc}"[:300]))
    return parsed, rejected


def _users(includes: dict) -> dict[str, XUser]:
    users, _ = parse_each(list_at(includes, "users"), parse_user)  # display data: a malformed user is only a name
    return {u.id: u for u in users}


def parse_dm_event(data, media: dict[str, XMedia] | None = None) -> DMEvent:
    if not isinstance(data, dict):
        raise PayloadError("a DM event is not an object")
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError("a DM event needs an event_type")
    conversation = display(data.get("dm_conversation_id"), 100)
    if conversation and not _CONVERSATION_ID.fullmatch(conversation):
        raise PayloadError(f"dm_conversation_id is not an X conversation id: {_shown(conversation)}")
    return DMEvent(
        id=x_id(data.get("id"), "the DM event id"),
        event_type=event_type,
        text=text(data.get("text")),
        sender_id=optional_x_id(data.get("sender_id"), "sender_id"),
        conversation_id=conversation,
        created_at=_datetime(data.get("created_at")),
        participant_ids=tuple(x_id(p, "a participant id") for p in list_at(data, "participant_ids")),
        media=_attached(data, media or {}),
    )


def _page(body) -> tuple[list, dict]:
    """A page's data and includes; PayloadError when the page itself is not shaped like X's."""
    if not isinstance(body, dict):
        raise PayloadError("the page is not a JSON object")
    return list_at(body, "data"), object_at(body, "includes")


def parse_dm_events(body) -> tuple[list[DMEvent], dict[str, XUser], list[tuple[object, str]]]:
    """A page of DM events: (events, users, [(raw item, error)]). A page not shaped like X's is one rejection."""
    try:
        items, includes = _page(body)
        media = _media_index(includes)
    except PayloadError as exc:
        return [], {}, [(body, f"PayloadError: {exc}")]
    events, rejected = parse_each(items, lambda e: parse_dm_event(e, media))
    return events, _users(includes), rejected


def display_start(display_text_range, body: str, replied_to_id: str) -> int:
    """Where the text X shows begins: X's `display_text_range` start (code points, as Python counts), or, when X
    sent none (or one that does not fit the text), after a reply's leading @mentions, as X's apps show it."""
    if (
        isinstance(display_text_range, list)
        and len(display_text_range) == 2
        and all(isinstance(i, int) and not isinstance(i, bool) for i in display_text_range)
        and 0 <= display_text_range[0] <= display_text_range[1] <= len(body)
    ):
        return display_text_range[0]
    return leading_mentions(body)[1] if replied_to_id else 0


_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")


def _mentions(data: dict, body: str) -> tuple[str, ...]:
    """The usernames X's `entities.mentions` names; from the text when X sent no entities."""
    entities = data.get("entities")
    if isinstance(entities, dict) and isinstance(entities.get("mentions"), list):
        names = [m.get("username") for m in entities["mentions"] if isinstance(m, dict)]
        return tuple(dict.fromkeys(n.lower() for n in names if isinstance(n, str) and n))
    return tuple(dict.fromkeys(name.lower() for name in _MENTION.findall(body)))


def parse_tweet(data, media: dict[str, XMedia] | None = None, authors: dict[str, str] | None = None) -> Tweet:
    if not isinstance(data, dict):
        raise PayloadError("a tweet is not an object")
    if "text" not in data:
        raise PayloadError("a tweet needs a text")
    refs = {}
    for ref in list_at(data, "referenced_tweets"):
        if not isinstance(ref, dict):
            raise PayloadError("a referenced tweet is not an object")
        refs[display(ref.get("type"), 16)] = x_id(ref.get("id"), "a referenced tweet id")
    body = text(data["text"])
    return Tweet(
        id=x_id(data.get("id"), "the tweet id"),
        text=body,
        author_id=optional_x_id(data.get("author_id"), "author_id"),
        conversation_id=optional_x_id(data.get("conversation_id"), "conversation_id"),
        created_at=_datetime(data.get("created_at")),
        in_reply_to_user_id=optional_x_id(data.get("in_reply_to_user_id"), "in_reply_to_user_id"),
        replied_to_id=refs.get("replied_to", ""),
        retweeted_id=refs.get("retweeted", ""),
        quoted_id=refs.get("quoted", ""),
        media=_attached(data, media or {}),
        display_start=display_start(data.get("display_text_range"), body, refs.get("replied_to", "")),
        mentions=_mentions(data, body),
        quoted_author_id=(authors or {}).get(refs.get("quoted", ""), ""),
    )


def _referenced_authors(includes: dict) -> dict[str, str]:
    """Tweet id → author id of the referenced tweets X sent in `includes.tweets` (expansion referenced_tweets.id)."""
    authors = {}
    for item in list_at(includes, "tweets"):
        if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("author_id"), str):
            authors[item["id"]] = item["author_id"]
    return authors


def parse_tweets(body) -> tuple[list[Tweet], dict[str, XUser], list[tuple[object, str]]]:
    """A page of tweets: (tweets, users, [(raw item, error)]). A page not shaped like X's is one rejection."""
    try:
        items, includes = _page(body)
        media = _media_index(includes)
        authors = _referenced_authors(includes)
    except PayloadError as exc:
        return [], {}, [(body, f"PayloadError: {exc}")]
    tweets, rejected = parse_each(items, lambda t: parse_tweet(t, media, authors))
    return tweets, _users(includes), rejected


def parse_meta(body) -> tuple[str, str]:
    """A page's (next_token, newest_id); anything not shaped like X's is as good as absent. A token that cannot be
    stored or sent back (never seen from X) ends the pagination run at this page."""
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        return "", ""
    token = meta.get("next_token")
    newest = meta.get("newest_id")
    return (
        token if isinstance(token, str) and _PAGINATION_TOKEN.fullmatch(token) else "",
        newest if isinstance(newest, str) and _X_ID.fullmatch(newest) else "",
    )


def parse_rate_limit(headers) -> RateLimit | None:
    """X's x-rate-limit-* headers; a value that is not a plain number counts as absent."""
    try:
        if "x-rate-limit-remaining" not in headers:
            return None
        values = {
            name: headers.get(name) for name in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
        }
    except (AttributeError, TypeError) as exc:
        raise PayloadError("the headers are not a mapping") from exc

    def number(name):
        value = values[name]
        return (
            int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12 else None
        )

    reset = number("x-rate-limit-reset")
    return RateLimit(
        limit=number("x-rate-limit-limit"),
        remaining=number("x-rate-limit-remaining"),
        reset_at=datetime.fromtimestamp(reset, tz=UTC) if reset else None,
    )


def timestamp_ms(value) -> datetime:
    """X's created_timestamp: milliseconds since 1970, as a string of digits (or a number)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError("created_timestamp is not a time in milliseconds")
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise PayloadError(f"created_timestamp {str(value)[:20]} is out of range") from exc
