"""Perch's view of X objects (users, DM events, tweets, media, pages) and the parsing of X's JSON into it.

Also used on X's documented example payloads, so the parsing is tested against X's own words.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar


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
    rejected: list[tuple[dict, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Sent:
    """What X answered to a send: the new DM event id or tweet id."""

    id: str
    conversation_id: str = ""


# --- Parsing X's JSON into dataclasses (also used on X's documented example payloads) --------------------
def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_user(data: dict) -> XUser:
    return XUser(
        id=str(data["id"]),
        username=data.get("username", ""),
        name=data.get("name", ""),
        profile_image_url=data.get("profile_image_url", ""),
    )


def _media_index(includes: dict) -> dict[str, XMedia]:
    return {
        m["media_key"]: XMedia(
            media_key=m["media_key"],
            type=m.get("type", "photo"),
            url=m.get("url") or m.get("preview_image_url", ""),
            width=m.get("width"),
            height=m.get("height"),
        )
        for m in includes.get("media", [])
    }


def _attached(data: dict, media: dict[str, XMedia]) -> tuple[XMedia, ...]:
    keys = (data.get("attachments") or {}).get("media_keys", [])
    return tuple(media.get(key, XMedia(media_key=key, type="photo")) for key in keys)


def _parse_each(items: list, parse) -> tuple[list, list[tuple[dict, str]]]:
    """Parses what it can; an item X sent malformed is returned with its error, never blocks the others."""
    parsed, rejected = [], []
    for item in items:
        try:
            parsed.append(parse(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            rejected.append((item, f"{exc.__class__.__name__}: {exc}"[:300]))
    return parsed, rejected


def _users(includes: dict) -> dict[str, XUser]:
    users, _ = _parse_each(includes.get("users", []), parse_user)
    return {u.id: u for u in users}


def parse_dm_event(data: dict, media: dict[str, XMedia] | None = None) -> DMEvent:
    if not isinstance(data.get("id"), str | int) or not data.get("event_type"):
        raise ValueError("a DM event needs an id and an event_type")
    return DMEvent(
        id=str(data["id"]),
        event_type=data["event_type"],
        text=data.get("text", ""),
        sender_id=str(data.get("sender_id", "")),
        conversation_id=data.get("dm_conversation_id", ""),
        created_at=_datetime(data.get("created_at")),
        participant_ids=tuple(str(p) for p in data.get("participant_ids", [])),
        media=_attached(data, media or {}),
    )


def parse_dm_events(body: dict) -> tuple[list[DMEvent], dict[str, XUser], list[tuple[dict, str]]]:
    includes = body.get("includes", {})
    media = _media_index(includes)
    events, rejected = _parse_each(body.get("data", []), lambda e: parse_dm_event(e, media))
    return events, _users(includes), rejected


def parse_tweet(data: dict, media: dict[str, XMedia] | None = None) -> Tweet:
    if not isinstance(data.get("id"), str | int) or "text" not in data:
        raise ValueError("a tweet needs an id and a text")
    refs = {ref["type"]: str(ref["id"]) for ref in data.get("referenced_tweets", [])}
    return Tweet(
        id=str(data["id"]),
        text=data.get("text", ""),
        author_id=str(data.get("author_id", "")),
        conversation_id=str(data.get("conversation_id", "")),
        created_at=_datetime(data.get("created_at")),
        in_reply_to_user_id=str(data.get("in_reply_to_user_id", "")),
        replied_to_id=refs.get("replied_to", ""),
        retweeted_id=refs.get("retweeted", ""),
        quoted_id=refs.get("quoted", ""),
        media=_attached(data, media or {}),
    )


def parse_tweets(body: dict) -> tuple[list[Tweet], dict[str, XUser], list[tuple[dict, str]]]:
    includes = body.get("includes", {})
    media = _media_index(includes)
    tweets, rejected = _parse_each(body.get("data", []), lambda t: parse_tweet(t, media))
    return tweets, _users(includes), rejected


def parse_rate_limit(headers) -> RateLimit | None:
    if "x-rate-limit-remaining" not in headers:
        return None

    def number(name):
        value = headers.get(name)
        return int(value) if value not in (None, "") else None

    reset = number("x-rate-limit-reset")
    return RateLimit(
        limit=number("x-rate-limit-limit"),
        remaining=number("x-rate-limit-remaining"),
        reset_at=datetime.fromtimestamp(reset, tz=UTC) if reset else None,
    )
