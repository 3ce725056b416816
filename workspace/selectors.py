"""Reads for the agent workspace. Each takes the agent: an agent sees only what is theirs."""

from django.db.models import Prefetch, Q
from django.utils import timezone

from interactions.models import OPEN_STATES, Channel, Interaction, InteractionState, Message, Offer
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


def interaction_for_agent(*, agent, interaction_id: int, with_messages: bool = True) -> Interaction | None:
    """The interaction if this agent may see it: theirs, offered to them, or of a contact assigned to them.
    `with_messages=False` for a permission check only: the whole transcript is not read for nothing."""
    visible = (
        Q(agent=agent) | Q(offers__agent=agent, offers__state=Offer.State.OFFERED) | Q(contact__assigned_agent=agent)
    )
    found = Interaction.objects.filter(visible, pk=interaction_id).select_related("contact", "x_account", "agent")
    if with_messages:
        # The transcript names the agent who wrote each outbound message: joined here, not one query per message.
        messages = Message.objects.select_related("author_agent").order_by("created_at", "id")
        found = found.prefetch_related(Prefetch("messages", queryset=messages))
    return found.distinct().first()


def conversation_view(*, interaction: Interaction) -> dict:
    """What the Conversation tab shows: DMs in order, or the tweet tree (each reply indented under the tweet it
    answers) with the tweets the brand liked."""
    messages = list(interaction.messages.all())
    liked = {m.in_reply_to_external_id for m in messages if m.kind == Message.Kind.LIKE and m.delivery == "sent"}
    if interaction.kind != Channel.TWITTER:
        return {"messages": [m for m in messages if m.kind != Message.Kind.LIKE], "tree": None, "liked": liked}
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
    return {"messages": [], "tree": tree, "liked": liked}


def contact_for_agent(*, agent, contact_id: int):
    """The contact if this agent works (or worked) one of its interactions, or owns it; None otherwise."""
    from contacts.models import Contact

    visible = Q(interactions__agent=agent) | Q(assigned_agent=agent)
    return Contact.objects.filter(visible, pk=contact_id).prefetch_related("identities").distinct().first()
