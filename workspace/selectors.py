"""Reads for the agent workspace. Each takes the agent: an agent sees only what is theirs."""

import re
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from interactions.models import OPEN_STATES, Channel, Interaction, InteractionNote, InteractionState, Message, Offer
from workspace.audit import Verb, audit_entries_about
from workspace.models import ChannelPresence


def presence_by_channel(*, agent) -> dict[str, ChannelPresence | None]:
    """Each channel with the agent's presence on it (None: never set, i.e. Not Ready)."""
    found = {p.channel: p for p in ChannelPresence.objects.filter(agent=agent)}
    return {channel: found.get(channel) for channel in Channel.values}


def not_ready_reasons() -> list[tuple[str, str]]:
    """The reasons an agent picks from the header (signing out is set by Perch, not picked)."""
    excluded = {"", ChannelPresence.NotReadyReason.OFFLINE}
    return [(value, label) for value, label in ChannelPresence.NotReadyReason.choices if value not in excluded]


def agent_open_interactions(*, agent):
    """The interactions in the agent's left-hand list: theirs, not yet marked done."""
    return (
        Interaction.objects.filter(agent=agent, state__in=[*OPEN_STATES, InteractionState.ENDED])
        .select_related("contact", "x_account")
        .order_by("-opened_at")
    )


def live_offers(*, agent):
    """Offers waiting for this agent's Accept or Reject, with the first customer words of each."""
    first_words = Message.objects.filter(direction=Message.Direction.INBOUND).order_by("created_at")
    return (
        Offer.objects.filter(agent=agent, state=Offer.State.OFFERED, expires_at__gt=timezone.now())
        .select_related("interaction__contact")
        .prefetch_related(Prefetch("interaction__messages", queryset=first_words, to_attr="inbound"))
        .order_by("expires_at")
    )


def visible_interactions_q(*, agent) -> Q:
    """Which interactions an agent may see: theirs, offered to them, or of a contact assigned to them."""
    return Q(agent=agent) | Q(offers__agent=agent, offers__state=Offer.State.OFFERED) | Q(contact__assigned_agent=agent)


CHAT_WINDOW = 200  # the centre shows a chat's latest messages; the right panel's Conversation tab pages the rest


def interaction_for_agent(*, agent, interaction_id: int, with_messages: bool = True) -> Interaction | None:
    """The interaction if this agent may see it: theirs, offered to them, or of a contact assigned to them.
    `with_messages=False` for a permission check only: the whole transcript is not read for nothing. A chat brings
    its latest CHAT_WINDOW messages (and one more, to tell that there are earlier ones), newest first; a tweet
    thread all its tweets, to build the tree."""
    found = (
        Interaction.objects.filter(visible_interactions_q(agent=agent), pk=interaction_id)
        .select_related("contact", "x_account", "agent")
        .distinct()
        .first()
    )
    if found is None or not with_messages:
        return found
    # The transcript names the agent who wrote each outbound message: joined here, not one query per message.
    messages = Message.objects.filter(interaction=found).select_related("author_agent")
    if found.kind == Channel.TWITTER:
        found.transcript = list(messages.order_by("created_at", "id"))
    else:
        found.transcript = list(messages.order_by("-created_at", "-id")[: CHAT_WINDOW + 1])
    notes = InteractionNote.objects.select_related("author")
    prefetch_related_objects([found], Prefetch("notes", queryset=notes), "labels")
    return found


def interaction_taken_from(*, agent, interaction_id: int) -> dict | None:
    """How a supervisor took this interaction from `agent` (reassigned or requeued it), while it is not theirs
    again: the audit entry, and for a reassign the agent who has it now. None if nothing was taken from them."""
    if Interaction.objects.filter(pk=interaction_id, agent=agent).exists():
        return None
    entry = (
        audit_entries_about(Interaction, interaction_id)
        .filter(verb__in=[Verb.REASSIGN, Verb.REQUEUE], details__from_agent_id=agent.pk)
        .first()
    )
    if entry is None:
        return None
    to_agent = get_user_model().objects.filter(pk=entry.details.get("to_agent_id")).first()
    return {"entry": entry, "to_agent": to_agent}


def conversation_view(*, interaction: Interaction) -> dict:
    """What the Conversation tab shows: DMs in order with the agents' private notes between them, or the tweet
    tree (each reply indented under the tweet it answers) with the tweets the brand liked and the notes below."""
    messages = interaction.transcript  # read by interaction_for_agent
    notes = list(interaction.notes.all())
    liked = {m.in_reply_to_external_id for m in messages if m.kind == Message.Kind.LIKE and m.delivery == "sent"}
    if interaction.kind != Channel.TWITTER:
        earlier = len(messages) > CHAT_WINDOW  # see interaction_for_agent: newest first, one beyond the window
        messages = messages[:CHAT_WINDOW]
        if earlier:
            notes = [n for n in notes if n.created_at >= messages[-1].created_at]
        shown = [m for m in messages if m.kind != Message.Kind.LIKE] + notes
        timeline = sorted(shown, key=lambda m: m.created_at)
        return {"messages": timeline, "tree": None, "liked": liked, "notes": notes, "earlier": earlier}
    tweets = [m for m in messages if m.kind == Message.Kind.TWEET]
    known = {m.external_id for m in tweets if m.external_id}
    children: dict[str, list[Message]] = {}
    roots = []
    for tweet in tweets:
        parent = tweet.in_reply_to_external_id
        if parent and parent in known:
            children.setdefault(parent, []).append(tweet)
        else:
            roots.append(tweet)
    tree = []

    def walk(tweet: Message, depth: int) -> None:
        tree.append((tweet, min(depth, 6)))
        for child in children.get(tweet.external_id or "", []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return {"messages": [], "tree": tree, "liked": liked, "notes": notes}


def visible_contacts_q(*, agent) -> Q:
    """Which contacts an agent may see: those whose interactions they work (or worked), and their own."""
    return Q(interactions__agent=agent) | Q(assigned_agent=agent)


def contact_for_agent(*, agent, contact_id: int):
    """The contact if this agent works (or worked) one of its interactions, or owns it; None otherwise."""
    from contacts.models import Contact

    visible = visible_contacts_q(agent=agent)
    return Contact.objects.filter(visible, pk=contact_id).prefetch_related("identities").distinct().first()


# --- The Communication tab (Connect group) and the right panel's Conversation tab -------------------------
TRANSCRIPT_PAGE = 30
CONTACT_LIST_LIMIT = 50


def _visible_contacts(*, agent):
    """Deny by default: the agent's assigned contacts, unassigned contacts, and the contact of a conversation
    the agent is working now. Never a contact assigned to another agent otherwise."""
    from contacts.models import Contact

    working = Interaction.objects.filter(agent=agent, state__in=[*OPEN_STATES, InteractionState.ENDED])
    visible = Q(assigned_agent=agent) | Q(assigned_agent__isnull=True) | Q(pk__in=working.values("contact_id"))
    return Contact.objects.filter(visible)


def communication_contact(*, agent, contact_id: int):
    """One contact for the Communication tab (identities and assigned agent loaded), or None if not visible."""
    return (
        _visible_contacts(agent=agent)
        .filter(pk=contact_id)
        .select_related("assigned_agent")
        .prefetch_related("identities")
        .first()
    )


def assigned_contacts(*, agent):
    return agent.assigned_contacts.prefetch_related("identities").order_by("display_name", "id")[:CONTACT_LIST_LIMIT]


def unassigned_contacts(*, agent):
    """Contacts nobody owns, most recently active first."""
    from contacts.models import Contact

    return (
        Contact.objects.filter(assigned_agent__isnull=True)
        .prefetch_related("identities")
        .order_by("-updated_at", "-id")[:CONTACT_LIST_LIMIT]
    )


def search_contacts(*, agent, query: str):
    """Visible contacts whose name, X handle, X id or message text match."""
    from contacts.models import Contact

    query = query.strip().lstrip("@")
    if not query:
        return Contact.objects.none()
    matches = (
        Q(display_name__icontains=query)
        | Q(identities__handle__icontains=query)
        | Q(identities__external_id=query)
        | Q(interactions__messages__text__icontains=query)
    )
    # Two filter() calls: the visibility and the match may be met through different interactions.
    ids = _visible_contacts(agent=agent).filter(matches).values("id").distinct()[:CONTACT_LIST_LIMIT]
    return Contact.objects.filter(id__in=ids).prefetch_related("identities").order_by("display_name", "id")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR = re.compile(r"([0-9]{1,18})_([0-9]{1,18})")  # microseconds since 1970 _ message id (both < 2**63)


def encode_cursor(message: Message) -> str:
    return f"{(message.created_at - EPOCH) // timedelta(microseconds=1)}_{message.pk}"


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The position an "Older" link holds, or None when it is not one encode_cursor wrote."""
    match = CURSOR.fullmatch(cursor)
    if match is None:
        return None
    micros, pk = (int(part) for part in match.groups())
    try:
        return EPOCH + timedelta(microseconds=micros), pk
    except OverflowError:  # past the year 9999
        return None


def contact_transcript(*, contact, before: str = "", limit: int = TRANSCRIPT_PAGE) -> dict:
    """All DMs and tweets with the contact across every interaction, newest first, one page at a time:
    two queries whatever the length of the history (the page, plus one row to know whether there is more)."""
    messages = (
        Message.objects.filter(interaction__contact=contact)
        .exclude(kind=Message.Kind.LIKE)
        .select_related("interaction", "interaction__x_account", "author_agent")
        .order_by("-created_at", "-id")
    )
    position = decode_cursor(before) if before else None
    if position:
        at, pk = position
        messages = messages.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    page = list(messages[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"messages": page, "older": encode_cursor(page[-1]) if more else ""}


def agent_notices(*, agent, limit: int = 20):
    from workspace.models import AgentNotice

    return AgentNotice.objects.filter(agent=agent).select_related("contact")[:limit]
