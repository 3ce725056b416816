"""Every push Perch sends to a browser, one dataclass each (the shape of Zulip's zerver/lib/event_types.py).

A push carries ids only, never customer text: the page re-fetches what it shows, through the same visibility rule
as any page. `notify_agent(agent_id, InteractionOffered(...))` (workspace.infra.push) builds the payload from the
dataclass; the websocket consumers forward any type registered here and nothing else; a page listens for
`perch:<type>` (workspace.js turns each push into that htmx event, and `perch:<type>:<interaction id>` too).
tests/workspace/test_event_vocabulary.py checks that every `perch:<type>` in templates, JS and views is registered
here and that every registered type is used.
"""

from dataclasses import asdict, dataclass
from typing import ClassVar

AGENTS = "agents"  # pushed to one agent's tabs (group agent.<id>)
SUPERVISORS = "supervisors"  # pushed to the live board and to staff tabs (group supervisors)

REGISTRY: dict[str, type["Event"]] = {}


@dataclass(frozen=True)
class Event:
    type: ClassVar[str]
    audience: ClassVar[str]
    # A passing hint (someone is typing) goes without a sequence number: one that is lost leaves nothing for the
    # page to catch up with, so it must never make a page resync.
    passing: ClassVar[bool] = False

    def payload(self) -> dict:
        return {"type": self.type, **asdict(self)}


def _registered(type_: str, audience: str = AGENTS, *, passing: bool = False):
    def register(cls):
        cls.type, cls.audience, cls.passing = type_, audience, passing
        REGISTRY[type_] = cls
        return cls

    return register


@_registered("interaction.offered")
@dataclass(frozen=True)
class InteractionOffered(Event):
    interaction_id: int
    offer_id: int


@_registered("interaction.withdrawn")
@dataclass(frozen=True)
class InteractionWithdrawn(Event):
    """The offer is no longer the agent's to take (expired, taken, requeued, the conversation ended)."""

    interaction_id: int
    offer_id: int


@_registered("interaction.ended")
@dataclass(frozen=True)
class InteractionEnded(Event):
    interaction_id: int


@_registered("interactions.changed")
@dataclass(frozen=True)
class InteractionsChanged(Event):
    """The agent's list changed (reassigned to or from them, requeued); also triggered by views after a move."""

    interaction_id: int


@_registered("message.created")
@dataclass(frozen=True)
class MessageCreated(Event):
    interaction_id: int
    message_id: int


@_registered("message.status")
@dataclass(frozen=True)
class MessageStatus(Event):
    interaction_id: int
    message_id: int
    delivery: str


@_registered("message.seen")
@dataclass(frozen=True)
class MessagesSeen(Event):
    """The customer read the brand's DMs of the interaction up to `message_id` (X's read receipt): they show Seen."""

    interaction_id: int
    message_id: int


@_registered("contact.typing", passing=True)
@dataclass(frozen=True)
class ContactTyping(Event):
    """The customer of the interaction is typing (X says so every few seconds while they type): the page shows
    "typing…" for a few seconds. Nothing is stored; a lost one only means the indicator shows a little later."""

    interaction_id: int


@_registered("presence.changed")
@dataclass(frozen=True)
class PresenceChanged(Event):
    channel: str
    ready: bool


@_registered("notice.created")
@dataclass(frozen=True)
class NoticeCreated(Event):
    """A notice for the Notifications list (a contact of theirs replied, an offer they missed): the "… replied"
    toasts and the desktop notification re-fetch on it."""

    notice_id: int
    contact_id: int | None


@_registered("notices.cleared")
@dataclass(frozen=True)
class NoticesCleared(Event):
    interaction_id: int
    contact_id: int | None


@_registered("board.changed", SUPERVISORS)
@dataclass(frozen=True)
class BoardChanged(Event):
    """The queue, an agent or an interaction changed: the live board re-fetches the partial concerned."""

    agent_id: int | None = None
    interaction_id: int | None = None
    queue_changed: bool = False


@_registered("account.needs_reconnect", SUPERVISORS)
@dataclass(frozen=True)
class AccountNeedsReconnect(Event):
    account_id: int
    account: str


@_registered("account.silent", SUPERVISORS)
@dataclass(frozen=True)
class AccountSilent(Event):
    account_id: int
    account: str
    message: str


@_registered("account.access_lowered", SUPERVISORS)
@dataclass(frozen=True)
class AccountAccessLowered(Event):
    """X refused a call as not in the account's access: Perch now treats the account as `access`."""

    account_id: int
    account: str
    message: str


@_registered("account.recovered", SUPERVISORS)
@dataclass(frozen=True)
class AccountRecovered(Event):
    account_id: int
    account: str


@_registered("account.spend", SUPERVISORS)
@dataclass(frozen=True)
class AccountSpendAlert(Event):
    """An account's X spend reached 80 % of its monthly cap, or the cap (`level` 80 or 100)."""

    account_id: int
    account: str
    message: str
    level: int


# Events a page raises for itself, never pushed: a view's HX-Trigger after a move, or the socket's own resync.
CLIENT_ONLY = {
    "offers.changed": "the agent's offers changed (Accept, Reject, an expiry seen by the page)",
    "resync": "the socket reconnected or missed a push: every live partial re-fetches",
}


def is_pushed(type_: str, audience: str) -> bool:
    cls = REGISTRY.get(type_)
    return cls is not None and cls.audience == audience
