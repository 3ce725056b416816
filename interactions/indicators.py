"""What a customer's X app tells about a DM conversation besides its messages: that they read the brand's DMs
(they show Seen, a third tick after Sent) and that they are typing (a passing "typing…", never stored).

The channel hears it from X (social.ingest.indicators) and says which conversation it is about; the moves are made
here. Seen is not a delivery state: a DM is Sent (interactions.outbox) and, once read, also Seen.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from interactions.models import OPEN_STATES, Channel, Interaction, Message
from interactions.visibility import who_may_see
from workspace.infra.events import ContactTyping, MessagesSeen
from workspace.infra.push import notify_agent

UNKNOWN_MESSAGE = "the DM it was read up to is not one Perch knows"
ANOTHER_CONVERSATION = "the DM it was read up to belongs to another conversation"
NO_OPEN_INTERACTION = "the conversation has no open interaction"


@dataclass(frozen=True)
class Seen:
    """What a read receipt changed: the brand's DMs that became Seen (none when `unchanged` says why)."""

    message_ids: list[int] = field(default_factory=list)
    unchanged: str = ""


@dataclass(frozen=True)
class Typing:
    """Who was told the customer is typing, in which interaction (none when `unchanged` says why)."""

    interaction_id: int | None = None
    agent_ids: list[int] = field(default_factory=list)
    unchanged: str = ""


def messages_mark_seen(*, x_account_id: int, thread_key: str, up_to_external_id: str, at: datetime) -> Seen:
    """The customer of the DM thread read it up to the DM X names (`up_to_external_id`): the brand's sent DMs of
    that thread, in any of its interactions, up to and including that one become Seen at `at`. X's ids grow with
    time, so "up to" is by X id, compared as numbers. A DM Perch does not know, or one of another thread, changes
    nothing: a read receipt speaks only of its own conversation. A DM already Seen keeps its first time, so the
    same receipt twice changes nothing the second time. The agents concerned see it live, after commit."""
    read_up_to = (
        Message.objects.filter(x_account_id=x_account_id, kind=Message.Kind.DM, external_id=up_to_external_id)
        .select_related("interaction")
        .first()
    )
    if read_up_to is None:
        return Seen(unchanged=UNKNOWN_MESSAGE)
    if read_up_to.interaction.kind != Channel.CHAT or read_up_to.interaction.thread_key != thread_key:
        return Seen(unchanged=ANOTHER_CONVERSATION)
    unseen = Message.objects.filter(
        x_account_id=x_account_id, kind=Message.Kind.DM, direction=Message.Direction.OUTBOUND,
        delivery=Message.Delivery.SENT, seen_at__isnull=True, external_id__isnull=False,
        interaction__kind=Channel.CHAT, interaction__thread_key=thread_key,
    ).values_list("pk", "external_id")  # fmt: skip
    last = int(up_to_external_id)
    ids = [pk for pk, external_id in unseen if external_id.isdigit() and int(external_id) <= last]
    if not ids:
        return Seen()
    Message.objects.filter(pk__in=ids, seen_at__isnull=True).update(seen_at=at)
    _announce_seen(ids)
    return Seen(message_ids=ids)


def _announce_seen(message_ids: list[int]) -> None:
    """Each interaction's agent, and the agents who wrote the DMs, as for a change of delivery state."""
    latest: dict[int, int] = {}
    told: dict[int, set[int]] = defaultdict(set)
    rows = Message.objects.filter(pk__in=message_ids).values_list("pk", "interaction_id", "interaction__agent_id",
                                                                  "author_agent_id")  # fmt: skip
    for pk, interaction_id, agent_id, author_id in rows:
        latest[interaction_id] = max(pk, latest.get(interaction_id, pk))
        told[interaction_id] |= {a for a in (agent_id, author_id) if a}
    for interaction_id, agents in told.items():
        for agent_id in sorted(agents):
            notify_agent(agent_id, MessagesSeen(interaction_id=interaction_id, message_id=latest[interaction_id]))


def interaction_typing(*, x_account_id: int, thread_key: str) -> Typing:
    """The customer of the DM thread is typing: whoever may watch its open Chat interaction (the one rule,
    interactions.visibility: its agent, an agent it is offered to, the contact's own agent…) sees "typing…" under
    the conversation for a few seconds, after commit. Nothing is stored."""
    interaction = (
        Interaction.objects.filter(
            x_account_id=x_account_id, kind=Channel.CHAT, thread_key=thread_key, state__in=OPEN_STATES
        )
        .values("pk", "contact_id")
        .first()
    )
    if interaction is None:
        return Typing(unchanged=NO_OPEN_INTERACTION)
    agent_ids = who_may_see(contact_id=interaction["contact_id"])
    for agent_id in agent_ids:
        notify_agent(agent_id, ContactTyping(interaction_id=interaction["pk"]))
    return Typing(interaction_id=interaction["pk"], agent_ids=agent_ids)
