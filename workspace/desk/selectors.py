"""Reads for the agent workspace. Each takes the agent: an agent sees only what is theirs."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, F, OuterRef, Prefetch, Q, Subquery, When, prefetch_related_objects
from django.db.models.functions import Substr
from django.utils import timezone

from contacts.models import Contact
from interactions.canned import placeholders_fill
from interactions.channels import service_for
from interactions.errors import InteractionError
from interactions.models import Channel, Interaction, InteractionNote, InteractionState, Message, Offer
from interactions.routing import sticky_wait
from interactions.text import leading_mentions
from interactions.tweet_actions import thread_refusal
from interactions.visibility import (
    NOT_DONE,
    contacts_matching,
    visible_contacts,
    visible_interactions_q,
)
from social import access
from workspace.agents.audit import Verb, audit_entries_about
from workspace.agents.models import AgentNotice, ChannelPresence


def presence_by_channel(*, agent) -> dict[str, ChannelPresence | None]:
    """Each channel with the agent's presence on it (None: never set, i.e. Not Ready)."""
    found = {p.channel: p for p in ChannelPresence.objects.filter(agent=agent)}
    return {channel: found.get(channel) for channel in Channel.values}


def ready_on(presences: dict[str, ChannelPresence | None]) -> str:
    """The channels presence_by_channel says the agent is Ready on, in words ("Chat and Twitter"), or ""."""
    names = [Channel(channel).label for channel, presence in presences.items() if presence and presence.ready]
    return " and ".join(names)


def not_ready_reasons() -> list[tuple[str, str]]:
    """The reasons an agent picks from the header (signing out is set by Perch, not picked)."""
    excluded = {"", ChannelPresence.NotReadyReason.OFFLINE}
    return [(value, label) for value, label in ChannelPresence.NotReadyReason.choices if value not in excluded]


LIST_PREVIEW_CHARS = 120  # of the last message's text, for a row that shows one line of it


def agent_open_interactions(*, agent):
    """The interactions in the agent's left-hand list: theirs, not yet marked done. Each row knows, in the same one
    query, its last message (`last_text` as X shows it, `last_direction`, `last_at`) and whether the customer wrote
    after the agent last had it open (`unread`: see interactions.reading.interaction_mark_read)."""
    said = (
        Message.objects.filter(interaction=OuterRef("pk"))
        .exclude(kind=Message.Kind.LIKE)
        .order_by("-created_at", "-id")
    )
    last_inbound = said.filter(direction=Message.Direction.INBOUND).values("created_at")[:1]
    shown = Substr("text", F("display_start") + 1, LIST_PREVIEW_CHARS)
    unread = Q(last_inbound_at__isnull=False) & (
        Q(agent_read_at__isnull=True) | Q(last_inbound_at__gt=F("agent_read_at"))
    )
    return (
        Interaction.objects.filter(agent=agent, state__in=NOT_DONE)
        .select_related("contact", "x_account")
        .annotate(
            last_text=Subquery(said.annotate(shown=shown).values("shown")[:1]),
            last_direction=Subquery(said.values("direction")[:1]),
            last_at=Subquery(said.values("created_at")[:1]),
            last_inbound_at=Subquery(last_inbound),
        )
        .annotate(unread=Case(When(unread, then=True), default=False, output_field=BooleanField()))
        .order_by("-opened_at")
    )


def live_offers(*, agent):
    """Offers waiting for this agent's Accept or Reject, with the first customer words of each; the oldest first.

    Oldest first: the stack of toasts hangs from the top of the screen, so a new offer goes below the others and the
    toasts already there stay where the agent's pointer is."""
    first_words = Message.objects.filter(direction=Message.Direction.INBOUND).order_by("created_at")
    return (
        Offer.objects.filter(agent=agent, state=Offer.State.OFFERED, expires_at__gt=timezone.now())
        .select_related("interaction__contact")
        .prefetch_related(Prefetch("interaction__messages", queryset=first_words, to_attr="inbound"))
        .order_by("expires_at", "pk")
    )


@dataclass(frozen=True)
class Allowed:
    """What the screen offers an agent on an interaction they can see. Seeing is not acting: only its own agent
    works it, and interactions.services refuses anyone else anyway; this only keeps the screen from offering it."""

    work: bool  # theirs: sentiment, Retry of a failed send, the "taken from you" watch
    compose: bool  # Send, Reply, Like, a note: theirs and active
    mark_done: bool  # theirs and ended
    label: bool  # theirs and not yet done


def allowed_on(*, agent, interaction: Interaction) -> Allowed:
    work = interaction.agent_id == agent.pk
    return Allowed(
        work=work,
        compose=work and interaction.state == InteractionState.ACTIVE,
        mark_done=work and interaction.state == InteractionState.ENDED,
        label=work and interaction.state != InteractionState.DONE,
    )


CHAT_WINDOW = 200  # the centre shows a chat's latest messages; the right panel's Conversation tab pages the rest


def interaction_for_agent(*, agent, interaction_id: int, with_messages: bool = True) -> Interaction | None:
    """The interaction if this agent may see it (visible_interactions_q), else None.
    `with_messages=False` for a permission check only: the whole transcript is not read for nothing. A chat brings
    its latest CHAT_WINDOW messages (and one more, to tell that there are earlier ones), newest first; a tweet
    thread all its tweets, to build the tree."""
    found = (
        Interaction.objects.filter(visible_interactions_q(agent=agent), pk=interaction_id)
        .select_related("contact", "x_account", "agent")
        .first()
    )
    if found is None:
        return None
    found.allowed = allowed_on(agent=agent, interaction=found)
    if not with_messages:
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
    _reply_lines(tree, brand=interaction.x_account.handle if interaction.x_account else "")
    like_refusal = ""
    if interaction.x_account:
        # Asked before the agent clicks: what X would refuse is absent or disabled with the reason, never a 403.
        like_refusal = access.may(interaction.x_account, access.Action.LIKE).reason
        for tweet, _ in tree:
            tweet.reply_refusal = access.send_refusal(interaction.x_account, kind="tweet", tweet=tweet).reason
    return {"messages": [], "tree": tree, "liked": liked, "notes": notes, "like_refusal": like_refusal}


def _reply_lines(tree: list[tuple[Message, int]], *, brand: str) -> None:
    """Sets, on each tweet of the tree, `replying_to`: the handles X shows as "Replying to @…" above it (its leading
    @mentions, hidden from its text); and `answer_to`: the handles X will put in front of a reply to it (its author,
    then the people it replied to, never the brand). A reply Perch sent holds only the agent's text: its line is the
    one X filled in, from the tweet it answers. Parents come before their replies in the tree."""

    def without_brand(handles: list[str]) -> list[str]:
        seen, kept = {brand.lower()}, []
        for handle in handles:
            if handle and handle.lower() not in seen:
                seen.add(handle.lower())
                kept.append(handle)
        return kept

    by_id = {}
    for tweet, _ in tree:
        parent = by_id.get(tweet.in_reply_to_external_id)
        if tweet.display_start:
            tweet.replying_to = tweet.leading_handles
        elif tweet.direction == Message.Direction.OUTBOUND and parent is not None:
            tweet.replying_to = parent.answer_to
        else:
            tweet.replying_to = []
        author = brand if tweet.direction == Message.Direction.OUTBOUND else (tweet.author or {}).get("username", "")
        tweet.answer_to = without_brand([author, *(tweet.replying_to or leading_mentions(tweet.text)[0])])
        if tweet.external_id:
            by_id[tweet.external_id] = tweet


def contact_for_agent(*, agent, contact_id: int):
    """The contact (identities and assigned agent loaded) if this agent may see it (visible_contacts_q), else None:
    the Contact tab, the Connect view and the transcripts all ask here."""
    return (
        visible_contacts(agent=agent)
        .filter(pk=contact_id)
        .select_related("assigned_agent")
        .prefetch_related("identities")
        .first()
    )


# --- The Connect view (the Connect group's Communication tab) and the right panel's Conversation tab ------------
TRANSCRIPT_PAGE = 30
CONTACT_LIST_LIMIT = 50


def assigned_contacts(*, agent):
    return agent.assigned_contacts.prefetch_related("identities").order_by("display_name", "id")[:CONTACT_LIST_LIMIT]


def unassigned_contacts(*, agent):
    """Contacts nobody owns, most recently active first."""
    return (
        visible_contacts(agent=agent)
        .filter(assigned_agent__isnull=True)
        .prefetch_related("identities")
        .order_by("-updated_at", "-id")[:CONTACT_LIST_LIMIT]
    )


def search_contacts(*, agent, query: str):
    """Visible contacts whose name, X handle, X id or message text match."""
    ids = contacts_matching(visible_contacts(agent=agent), query=query).values("id")[:CONTACT_LIST_LIMIT]
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


def contact_transcript(*, agent, contact, before: str = "", limit: int = TRANSCRIPT_PAGE) -> dict:
    """All DMs and tweets with the contact across every interaction, newest first, one page at a time:
    two queries whatever the length of the history (the page, plus one row to know whether there is more)."""
    messages = (
        Message.objects.filter(interaction__contact=contact)
        .exclude(kind=Message.Kind.LIKE)
        .select_related("interaction", "interaction__x_account", "interaction__agent", "author_agent")
        .order_by("-created_at", "-id")
    )
    position = decode_cursor(before) if before else None
    if position:
        at, pk = position
        messages = messages.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    page = list(messages[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    for message in page:  # the outbox's rule for Retry: a failed send of an interaction that is the agent's
        message.retry_allowed = message.delivery == Message.Delivery.FAILED and message.interaction.agent_id == agent.pk
    return {"messages": page, "older": encode_cursor(page[-1]) if more else ""}


@dataclass
class Sequence:
    """A run of the Connect view's transcript from one conversation on X: a DM thread, or one tweet-and-reply
    sequence; its interaction is the latest one of the run (the state it shows)."""

    key: tuple
    interaction: Interaction
    messages: list
    like_refusal: str = ""
    busy: str = ""  # why the agent cannot answer here now: someone else works the thread, or it waits


def connect_transcript(*, agent, contact, before: str = "") -> dict:
    """The contact's transcript in reading order (oldest at the top; "Older" pages come above), as sequences, each
    tweet with what X lets the account do on it (the workspace tree's rules: social.access): one query more than
    contact_transcript, for the Likes of the page's tweets."""
    page = contact_transcript(agent=agent, contact=contact, before=before)
    messages = list(reversed(page["messages"]))
    tweet_ids = [m.external_id for m in messages if m.kind == Message.Kind.TWEET and m.external_id]
    likes = Message.objects.filter(
        kind=Message.Kind.LIKE, in_reply_to_external_id__in=tweet_ids, interaction__contact=contact
    ).select_related("interaction") if tweet_ids else []  # fmt: skip
    liked = {like.in_reply_to_external_id: like for like in likes}
    for like in liked.values():
        like.retry_allowed = like.delivery == Message.Delivery.FAILED and like.interaction.agent_id == agent.pk
    own = {identity.pk for identity in contact.identities.all()}
    sequences: list[Sequence] = []
    for message in messages:
        interaction = message.interaction
        key = (interaction.kind, interaction.x_account_id, interaction.thread_key)
        if not sequences or sequences[-1].key != key:
            sequences.append(Sequence(key=key, interaction=interaction, messages=[]))
        sequences[-1].interaction = interaction
        sequences[-1].busy = thread_refusal(live=interaction, agent=agent)
        sequences[-1].messages.append(message)
        if message.kind == Message.Kind.TWEET and interaction.x_account:
            message.like = liked.get(message.external_id)
            message.reply_refusal = access.send_refusal(interaction.x_account, kind="tweet", tweet=message).reason
            message.from_contact = message.author_identity_id in own  # Reply by DM writes to the contact
            sequences[-1].like_refusal = access.may(interaction.x_account, access.Action.LIKE).reason
    return {"sequences": sequences, "older": page["older"]}


def notification_previews(*, agent, contact, templates) -> list[tuple]:
    """Each notification template with its text as the contact will read it: its placeholders filled as
    interactions.outreach fills them when it sends (the brand: the X account a DM to the contact goes from)."""
    try:
        brand = service_for(Channel.CHAT).address_dm(contact).x_account
    except InteractionError:  # no X account to tell (an email-only contact, several accounts)
        brand = None
    handle = brand.handle if brand else ""
    return [(t, placeholders_fill(t.text, contact=contact, agent=agent, brand_handle=handle)) for t in templates]


def agent_notices(*, agent, limit: int = 20):
    """The Notifications list: the agent's notices, newest first, but not those cleared (notices_clear)."""
    return AgentNotice.objects.filter(agent=agent, cleared_at__isnull=True).select_related("contact")[:limit]


REPLIED_TOASTS = 3


def replied_notices(*, agent, limit: int = REPLIED_TOASTS):
    """The "… replied — Show" toasts: contacts of the agent whose conversation waits for them, newest first. A toast
    lasts the sticky wait (the conversation is kept for this agent that long); the Notifications list keeps the
    notice until the conversation is taken."""
    pending = AgentNotice.objects.filter(
        agent=agent, kind=AgentNotice.Kind.CONTACT_REPLIED, cleared_at__isnull=True,
        created_at__gte=timezone.now() - sticky_wait(),
    )  # fmt: skip
    return pending.select_related("contact")[:limit]
