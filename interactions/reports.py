"""Report figures for supervisors: volume, first response, handle and waiting times, offers, sentiment.

Every figure is an aggregate query, so a report costs the same handful of queries for ten interactions or a
million. Times are averages in seconds (None when nothing was measured).
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from interactions.models import Interaction, Message, Offer
from interactions.sentiment import NEGATIVE_AT_OR_BELOW, POSITIVE_AT_OR_ABOVE


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: days start..end (inclusive, in the site's time zone) and optional narrowing."""

    start: dt.date
    end: dt.date
    agent_id: int | None = None
    team_id: int | None = None
    channel: str = ""
    x_account_id: int | None = None

    @property
    def since(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def until(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))


@dataclass
class ReportFigures:
    messages_in: int = 0
    messages_out: int = 0
    interactions_opened: int = 0
    interactions_done: int = 0
    first_response_seconds: float | None = None
    handle_seconds: float | None = None
    waiting_seconds: float | None = None
    offers_rejected: int = 0
    offers_expired: int = 0
    sentiment_negative: int = 0
    sentiment_neutral: int = 0
    sentiment_positive: int = 0
    # [(day, inbound, outbound)] for every day of the range, zeros included.
    volume_per_day: list[tuple[dt.date, int, int]] = field(default_factory=list)


def _interaction_scope(filters: ReportFilters, prefix: str = "") -> Q:
    """The agent / team / channel / X account narrowing, for Interaction or for a model pointing at one."""
    q = Q()
    if filters.agent_id:
        q &= Q(**{f"{prefix}agent_id": filters.agent_id})
    if filters.team_id:
        # An interaction's team is the one a routing rule set, else its X account's.
        q &= Q(**{f"{prefix}team_id": filters.team_id}) | Q(
            **{f"{prefix}team__isnull": True, f"{prefix}x_account__team_id": filters.team_id}
        )
    if filters.channel:
        q &= Q(**{f"{prefix}kind": filters.channel})
    if filters.x_account_id:
        q &= Q(**{f"{prefix}x_account_id": filters.x_account_id})
    return q


def _seconds(value: dt.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)


def report_figures(*, filters: ReportFilters) -> ReportFigures:
    """The report for these filters, in four aggregate queries."""
    figures = ReportFigures()
    in_range = {"since": filters.since, "until": filters.until}

    # 1. Messages per day and direction (Likes are not messages; failed sends never reached the customer).
    per_day = (
        Message.objects.filter(
            _interaction_scope(filters, "interaction__"),
            created_at__gte=in_range["since"],
            created_at__lt=in_range["until"],
        )
        .exclude(kind=Message.Kind.LIKE)
        .exclude(delivery=Message.Delivery.FAILED)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            inbound=Count("id", filter=Q(direction=Message.Direction.INBOUND)),
            outbound=Count("id", filter=Q(direction=Message.Direction.OUTBOUND)),
        )
    )
    by_day = {row["day"]: (row["inbound"], row["outbound"]) for row in per_day}
    day = filters.start
    while day <= filters.end:
        inbound, outbound = by_day.get(day, (0, 0))
        figures.volume_per_day.append((day, inbound, outbound))
        day += dt.timedelta(days=1)
    figures.messages_in = sum(i for _, i, _ in figures.volume_per_day)
    figures.messages_out = sum(o for _, _, o in figures.volume_per_day)

    # 2. Interactions opened in the range: how many, their times, their sentiment.
    first_in = (
        Message.objects.filter(interaction=OuterRef("pk"), direction=Message.Direction.INBOUND)
        .order_by()
        .values("interaction")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    first_out = (
        Message.objects.filter(
            interaction=OuterRef("pk"), direction=Message.Direction.OUTBOUND, created_at__gte=OuterRef("first_in")
        )
        .exclude(kind=Message.Kind.LIKE)
        .order_by()
        .values("interaction")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    opened = (
        Interaction.objects.filter(
            _interaction_scope(filters), opened_at__gte=in_range["since"], opened_at__lt=in_range["until"]
        )
        .order_by()
        .annotate(first_in=Subquery(first_in), first_out=Subquery(first_out))
    )

    def duration(end: str, start: str) -> ExpressionWrapper:
        return ExpressionWrapper(F(end) - F(start), output_field=DurationField())

    totals = opened.aggregate(
        opened=Count("id"),
        first_response=Avg(duration("first_out", "first_in")),
        handle=Avg(duration("ended_at", "accepted_at")),
        waiting=Avg(duration("accepted_at", "queued_at")),
        negative=Count("id", filter=Q(sentiment__lte=NEGATIVE_AT_OR_BELOW)),
        positive=Count("id", filter=Q(sentiment__gte=POSITIVE_AT_OR_ABOVE)),
    )
    figures.interactions_opened = totals["opened"]
    figures.first_response_seconds = _seconds(totals["first_response"])
    figures.handle_seconds = _seconds(totals["handle"])
    figures.waiting_seconds = _seconds(totals["waiting"])
    figures.sentiment_negative = totals["negative"]
    figures.sentiment_positive = totals["positive"]
    # No score yet counts as neutral, as in the Conversation tab.
    figures.sentiment_neutral = totals["opened"] - totals["negative"] - totals["positive"]

    # 3. Interactions marked done in the range.
    figures.interactions_done = Interaction.objects.filter(
        _interaction_scope(filters), done_at__gte=in_range["since"], done_at__lt=in_range["until"]
    ).count()

    # 4. Offers made in the range that were rejected or expired (per agent: the agent offered to).
    without_agent = dataclasses.replace(filters, agent_id=None)
    offer_scope = _interaction_scope(without_agent, "interaction__")
    offer_scope &= Q(created_at__gte=in_range["since"], created_at__lt=in_range["until"])
    if filters.agent_id:
        offer_scope &= Q(agent_id=filters.agent_id)
    offers = Offer.objects.filter(offer_scope).aggregate(
        rejected=Count("id", filter=Q(state=Offer.State.REJECTED)),
        expired=Count("id", filter=Q(state=Offer.State.EXPIRED)),
    )
    figures.offers_rejected = offers["rejected"]
    figures.offers_expired = offers["expired"]
    return figures


# (label, attribute, unit) in the order the page and the CSV show them.
FIGURE_ROWS = [
    ("Messages in", "messages_in", "count"),
    ("Messages out", "messages_out", "count"),
    ("Interactions opened", "interactions_opened", "count"),
    ("Interactions done", "interactions_done", "count"),
    ("First response time (average)", "first_response_seconds", "seconds"),
    ("Handle time (average)", "handle_seconds", "seconds"),
    ("Waiting time (average)", "waiting_seconds", "seconds"),
    ("Offers rejected", "offers_rejected", "count"),
    ("Offers expired", "offers_expired", "count"),
    ("Sentiment negative", "sentiment_negative", "count"),
    ("Sentiment neutral", "sentiment_neutral", "count"),
    ("Sentiment positive", "sentiment_positive", "count"),
]
