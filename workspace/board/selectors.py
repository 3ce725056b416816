"""Reads for the supervisors' live board: the queue by channel with waiting times, the Review queue (what routing
rules parked for a supervisor), and every agent with their per-channel Ready state, load, idle time and active
interactions. A fixed number of queries, however many rows."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch
from django.utils import timezone

from interactions import routing
from interactions.models import Channel, Interaction, InteractionState, Message, Offer
from interactions.teams import reoffer_cooldown
from workspace.agents.models import AgentProfile, ChannelPresence

QUEUE_ROWS_SHOWN = 100  # per channel; the count says how many more wait
WORKING_STATES = (InteractionState.ACTIVE, InteractionState.TRANSFERRED)


@dataclass
class QueueRow:
    interaction: Interaction
    waiting: timedelta
    offered_to: object | None  # the agent who has a live offer, if any
    declined_by: int = 0  # agents in their re-offer cool-down for it (they rejected it or let it expire)
    back_at: datetime | None = None  # when the first of them may be offered it again
    stranded: dict | None = None  # beat's last check found it waiting while someone could take it (routing.Stranded)


@dataclass
class ChannelQueue:
    channel: str
    label: str
    rows: list[QueueRow]
    total: int

    @property
    def longest_wait(self) -> timedelta | None:
        return max((row.waiting for row in self.rows), default=None)

    @property
    def waiting_since(self) -> datetime | None:
        """When the longest-waiting shown interaction was queued (the page ticks the wait from it)."""
        return min((i.queued_at or i.opened_at for i in (row.interaction for row in self.rows)), default=None)


@dataclass
class AgentChannel:
    channel: str
    label: str
    presence: ChannelPresence | None
    load: int
    capacity: int

    @property
    def ready(self) -> bool:
        return bool(self.presence and self.presence.ready)


@dataclass
class AgentRow:
    profile: AgentProfile
    channels: list[AgentChannel]
    working: list[Interaction] = field(default_factory=list)
    idle_for: timedelta | None = None  # no work at all for this long (None: busy)

    @property
    def user(self):
        return self.profile.user


def board_queue(*, now: datetime | None = None) -> list[ChannelQueue]:
    """Queued and offered interactions per channel, by priority then age, with who has the live offer, who declined
    it and when it goes back to them, and whether beat found it stranded."""
    now = now or timezone.now()
    # The live offer and the declines in one prefetch: the queue costs no more queries than before the re-offer rule.
    offers = Offer.objects.filter(state__in=[Offer.State.OFFERED, *routing.DECLINED]).select_related("agent")
    for_agents = Interaction.objects.filter(state__in=[InteractionState.QUEUED, InteractionState.OFFERED]).exclude(
        review=Interaction.Review.HELD
    )  # those in review wait for a supervisor: board_review
    waiting = (
        for_agents.select_related("contact", "x_account__team", "team")
        .prefetch_related(Prefetch("offers", queryset=offers, to_attr="open_and_declined_offers"))
        .order_by("-priority", "queued_at", "pk")
    )
    totals = dict(for_agents.values_list("kind").annotate(n=Count("id")))
    stranded = routing.last_stranded()  # from the cache: no query
    queues = []
    for channel, label in Channel.choices:
        rows = [_queue_row(i, now, stranded) for i in waiting.filter(kind=channel)[:QUEUE_ROWS_SHOWN]]
        queues.append(ChannelQueue(channel, label, rows, totals.get(channel, 0)))
    return queues


def _queue_row(interaction: Interaction, now: datetime, stranded: dict[int, dict]) -> QueueRow:
    row = QueueRow(interaction, now - (interaction.queued_at or interaction.opened_at), None)
    offers = interaction.open_and_declined_offers
    live = [offer for offer in offers if offer.state == Offer.State.OFFERED]
    if live:
        row.offered_to = live[0].agent
        return row
    declined = routing.latest_declines(offers)
    cooling = routing.cooling_down(declined, reoffer_cooldown(interaction), now)
    row.declined_by, row.back_at = len(cooling), min(cooling.values(), default=None)
    row.stranded = stranded.get(interaction.pk)
    return row


@dataclass
class ReviewRow:
    interaction: Interaction
    waiting: timedelta
    tweet: Message | None  # the customer's first tweet, what the supervisor decides on


def board_review(*, now: datetime | None = None) -> list[ReviewRow]:
    """The conversations a routing rule parked in review (unsummoned tweets), oldest first, each with the tweet."""
    now = now or timezone.now()
    first_tweets = Message.objects.filter(direction=Message.Direction.INBOUND, kind=Message.Kind.TWEET).order_by(
        "created_at", "pk"
    )
    held = (
        Interaction.objects.filter(state=InteractionState.QUEUED, review=Interaction.Review.HELD)
        .select_related("contact", "x_account", "review_rule")
        .prefetch_related(Prefetch("messages", queryset=first_tweets, to_attr="customer_tweets"))
        .order_by("queued_at", "opened_at", "pk")[:QUEUE_ROWS_SHOWN]
    )
    return [
        ReviewRow(i, now - (i.queued_at or i.opened_at), i.customer_tweets[0] if i.customer_tweets else None)
        for i in held
    ]


def board_agents(*, now: datetime | None = None) -> list[AgentRow]:
    """Every active agent with Ready state, load and capacity per channel, idle time and active interactions."""
    now = now or timezone.now()
    working = Interaction.objects.filter(state__in=WORKING_STATES).select_related("contact").order_by("accepted_at")
    profiles = (
        AgentProfile.objects.filter(user__is_active=True)
        .select_related("user")
        .prefetch_related("user__presences", Prefetch("user__interactions", queryset=working, to_attr="working"))
        .order_by("user__first_name", "user__username")
    )
    offers = {
        (row["agent_id"], row["interaction__kind"]): row["n"]
        for row in Offer.objects.filter(state=Offer.State.OFFERED)
        .values("agent_id", "interaction__kind")
        .annotate(n=Count("id"))
    }
    rows = []
    for profile in profiles:
        user = profile.user
        presences = {p.channel: p for p in user.presences.all()}
        channels = []
        for channel, label in Channel.choices:
            load = sum(1 for i in user.working if i.kind == channel) + offers.get((user.pk, channel), 0)
            channels.append(AgentChannel(channel, label, presences.get(channel), load, profile.capacity_for(channel)))
        busy = any(c.load for c in channels)
        # Idle: nothing to do since the last offer or end of work (or since going Ready, if later).
        ready_since = [c.presence.since for c in channels if c.ready]
        idle_from = max([t for t in [profile.last_routed_at, *ready_since] if t], default=None)
        idle_for = now - idle_from if idle_from and not busy and ready_since else None
        rows.append(AgentRow(profile, channels, user.working, idle_for))
    return rows
