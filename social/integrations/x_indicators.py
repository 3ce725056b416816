"""X's typing and read-receipt events (`dm.indicate_typing`, `dm.read`) → Perch's parsed events.

X Activity API documents both events without an example; X says its dm.* payloads carry the legacy Account
Activity events, so these are read in the Account Activity shapes (x-api/account-activity/introduction.mdx):
`direct_message_indicate_typing_events` [{created_timestamp, sender_id, target: {recipient_id}}] and
`direct_message_mark_read_events` [{…, last_read_event_id}], beside a `users` map as in dm.received (each user a
v2 user under `data`). Cleaned or refused at the edge like every X payload (x_payloads): ids are digit strings,
the time is X's milliseconds; anything else raises PayloadError and the delivery is kept as a RejectedEvent.
"""

from dataclasses import dataclass, field
from datetime import datetime

from social.integrations.x_payloads import (
    PayloadError,
    XUser,
    list_at,
    object_at,
    parse_each,
    parse_user,
    timestamp_ms,
    x_id,
)

TYPING = "dm.indicate_typing"
READ = "dm.read"
EVENTS_KEY = {TYPING: "direct_message_indicate_typing_events", READ: "direct_message_mark_read_events"}


@dataclass(frozen=True)
class TypingEvent:
    """`sender_id` is typing a DM to `recipient_id`."""

    sender_id: str
    recipient_id: str
    created_at: datetime


@dataclass(frozen=True)
class ReadEvent:
    """`sender_id` read their conversation with `recipient_id` up to the DM event `last_read_event_id`."""

    sender_id: str
    recipient_id: str
    last_read_event_id: str
    created_at: datetime


@dataclass(frozen=True)
class Indications:
    """A dm.indicate_typing or dm.read payload: its events (one kind) and the users it names."""

    event_type: str
    events: list[TypingEvent] | list[ReadEvent]
    users: dict[str, XUser] = field(default_factory=dict)


def parse_indications(event_type: str, payload) -> Indications:
    """The payload of a `dm.indicate_typing` or `dm.read` delivery. Any event that cannot be understood refuses the
    whole payload (PayloadError): its events say one thing about one moment, and nothing is kept of them anyway."""
    if event_type not in EVENTS_KEY:
        raise PayloadError(f"{str(event_type)[:40]!r} is not a typing or read event")
    if not isinstance(payload, dict):
        raise PayloadError(f"the {event_type} payload is not a JSON object")
    key = EVENTS_KEY[event_type]
    if key not in payload:
        raise PayloadError(f"the {event_type} payload has no {key}")
    parse = _typing_event if event_type == TYPING else _read_event
    events = [parse(item) for item in list_at(payload, key)]
    return Indications(event_type=event_type, events=events, users=_users(payload.get("users")))


def _participants(data, what: str) -> tuple[str, str, datetime]:
    if not isinstance(data, dict):
        raise PayloadError(f"a {what} event is not an object")
    if data.get("sender_id") in (None, ""):
        raise PayloadError(f"a {what} event has no sender_id: X sent it without the sender field")
    sender = x_id(data.get("sender_id"), "sender_id")
    recipient = x_id(object_at(data, "target").get("recipient_id"), "target.recipient_id")
    return sender, recipient, timestamp_ms(data.get("created_timestamp"))


def _typing_event(data) -> TypingEvent:
    sender, recipient, at = _participants(data, "typing")
    return TypingEvent(sender_id=sender, recipient_id=recipient, created_at=at)


def _read_event(data) -> ReadEvent:
    sender, recipient, at = _participants(data, "read")
    last_read = x_id(data.get("last_read_event_id"), "last_read_event_id")
    return ReadEvent(sender_id=sender, recipient_id=recipient, last_read_event_id=last_read, created_at=at)


def _users(raw) -> dict[str, XUser]:
    """The users map (display data: one that cannot be understood is only a name Perch does not learn). Each entry
    is a v2 user under `data`, as in dm.received; a bare v2 user is read too."""
    if not isinstance(raw, dict):
        return {}
    entries = [entry.get("data", entry) if isinstance(entry, dict) else entry for entry in raw.values()]
    users, _ = parse_each(entries, parse_user)
    return {user.id: user for user in users}
