"""Who gets what: interactions in the queue are offered, one at a time each, to the right Ready agent.

Eligible: Ready on the interaction's channel, under capacity on that channel, in the team (a rule's, else the X
account's), holding the required skills, and not in their re-offer cool-down for this interaction. Order: the
contact's own agent first (sticky), then whoever has waited longest since their last offer, then those who declined
it, the last to decline last. The queue is worked by priority, then age. Interaction rows are claimed with SKIP
LOCKED on PostgreSQL and agent rows are locked while their load is counted, so several workers never offer one
interaction twice or push an agent over capacity.

Review: a routing rule flagged "unsummoned tweets → review" parks the public conversations it matches that never
addressed the brand (`Message.summoned`, X's rule for self-serve replies) in the live board's Review queue: queued
but never offered, until a supervisor releases one (then it is routed as usual) or closes it
(`services.interaction_review_release` / `interaction_review_close`).

The re-offer rule (one owner: `declines`, `cooling_down`, and the cool-down's length, interactions.teams'
`reoffer_cooldown`): an agent who rejected an offer or let it expire is not offered that interaction again until
their team's cool-down (`Team.reoffer_cooldown_seconds`, default 60 s) has passed since they declined; then they are
eligible again. A decline keeps the customer's place in the queue. The invariant (`stranded_interactions`, checked by
beat): no interaction waits longer than its team's cool-down while an eligible agent is Ready with room on its
channel.

Routing only decides who: every move of an interaction or an offer (offer, expire, accept, reject, ...) is made by
interactions.services, the offer included (`_route` calls `services.interaction_offer`).
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from interactions import services
from interactions.language import detect_language
from interactions.models import Channel, Interaction, InteractionState, Message, Offer, RoutingRule
from interactions.sentiment import sentiment_band
from interactions.teams import reoffer_cooldown, team_of
from workspace.agents.models import AgentProfile
from workspace.agents.notices import notice_add
from workspace.infra.events import BoardChanged
from workspace.infra.logs import log_event
from workspace.infra.push import notify_board

log = logging.getLogger(__name__)

NEGATIVE_BOOST = 10
VIP_BOOST = 20
BATCH = 200
# Offers that end as these are an agent's "no" to that interaction: the re-offer cool-down applies to them.
DECLINED = (Offer.State.REJECTED, Offer.State.EXPIRED)
STRANDED_KEY = "perch:stranded"  # the last check's breaches, for the live board


def sticky_wait() -> timedelta:
    return timedelta(seconds=getattr(settings, "STICKY_WAIT_SECONDS", 300))


# --- The re-offer rule (the cool-down itself is the team's: interactions.teams.reoffer_cooldown) -------------
def latest_declines(offers: Iterable[Offer]) -> dict[int, datetime]:
    """Agent id → when they last declined, from one interaction's offers (any states; only DECLINED count)."""
    declined: dict[int, datetime] = {}
    for offer in offers:
        if offer.state in DECLINED:
            at = offer.responded_at or offer.expires_at
            declined[offer.agent_id] = max(at, declined.get(offer.agent_id, at))
    return declined


def _past_offers(interaction: Interaction) -> list[Offer]:
    return list(
        Offer.objects.filter(interaction=interaction)
        .exclude(state=Offer.State.OFFERED)
        .only("agent_id", "state", "responded_at", "expires_at")
    )


def declines(interaction: Interaction) -> dict[int, datetime]:
    """Agent id → when they last rejected this interaction or let its offer expire."""
    return latest_declines(_past_offers(interaction))


def cooling_down(declined: dict[int, datetime], cooldown: timedelta, now: datetime) -> dict[int, datetime]:
    """Of those who declined, the agents still in their cool-down, each with when it is offered to them again."""
    return {agent_id: at + cooldown for agent_id, at in declined.items() if now < at + cooldown}


# --- Priority, language and rules (at queue time) -------------------------------------------------------
def _first_text(interaction: Interaction) -> str:
    return " ".join(
        interaction.messages.filter(direction=Message.Direction.INBOUND)
        .order_by("created_at")
        .values_list("text", flat=True)[:3]
    )


def _unsummoned(interaction: Interaction) -> bool:
    """A public conversation none of whose customer tweets addressed the brand (X's summoned rule, marked on arrival):
    nothing in it a self-serve app may answer in public."""
    if interaction.kind != Channel.TWITTER:
        return False
    tweets = interaction.messages.filter(direction=Message.Direction.INBOUND, kind=Message.Kind.TWEET)
    return tweets.exists() and not tweets.filter(summoned=True).exists()


def prioritise(interaction: Interaction) -> None:
    """Sets language, priority, team and required skills from the text, the contact and the routing rules, and parks
    in review what a rule sends there (unsummoned tweets), unless a supervisor released it already."""
    text = _first_text(interaction)
    interaction.language = interaction.language or detect_language(text)
    priority, team, skills, review_rule = 0, None, set(), None
    if interaction.sentiment is not None and sentiment_band(interaction.sentiment) == "negative":
        priority += NEGATIVE_BOOST  # "a negative comment is handled immediately"
    if interaction.contact.is_vip:
        priority += VIP_BOOST
    lowered = text.lower()
    for rule in RoutingRule.objects.filter(is_active=True).prefetch_related("required_skills"):
        if rule.channel and rule.channel != interaction.kind:
            continue
        conditions = []
        if rule.keywords:
            conditions.append(any(k.strip().lower() in lowered for k in rule.keywords.split(",") if k.strip()))
        if rule.vip_contacts:
            conditions.append(interaction.contact.is_vip)
        if rule.sentiment_below is not None:
            conditions.append(interaction.sentiment is not None and interaction.sentiment < rule.sentiment_below)
        if rule.language:
            conditions.append(interaction.language == rule.language)
        if conditions and all(conditions):
            priority += rule.priority_boost
            team = team or rule.team
            skills |= set(rule.required_skills.all())
            if rule.unsummoned_to_review and review_rule is None and _unsummoned(interaction):
                review_rule = rule
    interaction.priority, interaction.team, interaction.prioritised_at = priority, team, timezone.now()
    fields = ["language", "priority", "team", "prioritised_at"]
    if interaction.review != Interaction.Review.RELEASED:
        # Re-asked on every new customer message: one that summons the brand takes the conversation out of review.
        interaction.review = Interaction.Review.HELD if review_rule else Interaction.Review.NONE
        interaction.review_rule = review_rule
        fields += ["review", "review_rule"]
    interaction.save(update_fields=fields)
    interaction.required_skills.set(skills)


# --- Who may get it --------------------------------------------------------------------------------------
def _load(agent_ids, channel: str) -> dict[int, int]:
    rows = (
        Interaction.objects.filter(
            agent_id__in=agent_ids, kind=channel, state__in=[InteractionState.ACTIVE, InteractionState.TRANSFERRED]
        )
        .values("agent_id")
        .annotate(n=Count("id"))
    )
    load = {row["agent_id"]: row["n"] for row in rows}
    offers = Offer.objects.filter(agent_id__in=agent_ids, state=Offer.State.OFFERED, interaction__kind=channel)
    for row in offers.values("agent_id").annotate(n=Count("id")):
        load[row["agent_id"]] = load.get(row["agent_id"], 0) + row["n"]
    return load


def eligible_agents(interaction: Interaction) -> list[AgentProfile]:
    """Agents who may be offered this interaction now, best first (unlocked: _route rechecks under a lock)."""
    channel = interaction.kind
    profiles = AgentProfile.objects.filter(
        user__is_active=True, user__presences__channel=channel, user__presences__ready=True
    ).select_related("user")  # the one offered to is the offer's agent
    team = team_of(interaction)
    if team is not None:
        profiles = profiles.filter(teams=team)
    for skill in interaction.required_skills.all():
        profiles = profiles.filter(skills=skill)
    now, past = timezone.now(), _past_offers(interaction)
    declined = latest_declines(past)
    profiles = profiles.exclude(user_id__in=list(cooling_down(declined, reoffer_cooldown(interaction), now)))
    owner = interaction.contact.assigned_agent_id
    if owner and now - (interaction.queued_at or interaction.opened_at) < sticky_wait():
        # The contact's own agent keeps them for a while, even when busy or away (async continuation) — unless
        # that agent already had this conversation (turned it down, or it was taken from them): then it goes to
        # the next agent at once.
        if not any(offer.agent_id == owner for offer in past):
            profiles = profiles.filter(user_id=owner)
    # One row per agent: presence is unique per channel, and each filter above matches at most one row.
    profiles = list(profiles.order_by(F("last_routed_at").asc(nulls_first=True), "pk"))
    load = _load([p.user_id for p in profiles], channel)
    fits = [p for p in profiles if load.get(p.user_id, 0) < p.capacity_for(channel)]
    # The contact's own agent first, unless they declined it; then those who never declined it (the stable sort keeps
    # the longest idle first among them); then those who did, the last to decline last.
    first = owner if owner not in declined else None
    fits.sort(key=lambda p: (p.user_id != first, p.user_id in declined, declined.get(p.user_id, now)))
    return fits


# --- Offering ---------------------------------------------------------------------------------------------
def _lock_if_room(profile: AgentProfile, channel: str, *, skip_locked: bool) -> bool | None:
    """Locks one agent's row and recounts their load under that lock, so no two workers push them over capacity.
    True: locked with room (kept until the offer commits); False: full (lock released); None: skipped, another
    worker is offering to them right now. Each try is its own savepoint, so at most one agent row stays locked."""
    savepoint = transaction.savepoint()
    locked = (
        AgentProfile.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk=profile.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if locked is not None and _load([profile.user_id], channel).get(profile.user_id, 0) < profile.capacity_for(channel):
        transaction.savepoint_commit(savepoint)
        return True
    transaction.savepoint_rollback(savepoint)
    return None if locked is None else False


def _agent_with_room(candidates: list[AgentProfile], channel: str) -> AgentProfile | None:
    """The best candidate still under capacity, locked. Agents another worker is busy offering to are passed over
    first (workers spread out instead of queueing behind the longest idle agent), then waited for."""
    skip_locked = connection.features.has_select_for_update_skip_locked
    busy = []
    for profile in candidates:
        verdict = _lock_if_room(profile, channel, skip_locked=skip_locked)
        if verdict:
            return profile
        if verdict is None:
            busy.append(profile)
    for profile in busy:
        if _lock_if_room(profile, channel, skip_locked=False):
            return profile
    return None


class Routed(NamedTuple):
    offer: Offer | None
    nobody: bool  # no eligible agent had room (not: another worker holds it, or it left the queue)


def _route(interaction_id: int) -> Routed:
    """Offers one queued interaction to the best eligible agent, or leaves it queued."""
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        interaction = (
            Interaction.objects.select_for_update(skip_locked=skip_locked, of=("self",))
            .select_related("contact", "x_account__team", "team")
            .filter(pk=interaction_id, state=InteractionState.QUEUED)
            .exclude(review=Interaction.Review.HELD)
            .first()
        )
        if interaction is None:
            return Routed(None, nobody=False)  # another worker is routing it, it is no longer queued, or in review
        profile = _agent_with_room(eligible_agents(interaction), interaction.kind)
        if profile is not None:
            offer = services.interaction_offer(interaction_id=interaction.pk, agent=profile.user)
            # Who waited longest since their last offer comes first next time (eligible_agents' order).
            AgentProfile.objects.filter(pk=profile.pk).update(last_routed_at=timezone.now())
            fields = {"interaction_id": interaction.pk, "offer_id": offer.pk, "agent_id": profile.user_id}
            transaction.on_commit(lambda f=fields: log_event(log, "interaction.offered", **f))
            return Routed(offer, nobody=False)
        _tell_owner_if_away(interaction)
    return Routed(None, nobody=True)


def _tell_owner_if_away(interaction: Interaction) -> None:
    """Async continuation: the contact's own agent hears that their contact wrote, even while Not Ready."""
    owner = interaction.contact.assigned_agent_id
    if not owner or Offer.objects.filter(interaction=interaction, agent_id=owner).exists():
        return
    # Once per waiting interaction: the queue is routed often, the agent should hear it once.
    if cache.add(f"perch:replied:{interaction.pk}", 1, timeout=int(sticky_wait().total_seconds()) + 60):
        notice_add(agent_id=owner, kind="contact_replied", contact_id=interaction.contact_id,
                   interaction_id=interaction.pk, text=f"{interaction.contact.display_name} replied.")  # fmt: skip


def route_queue(*, prioritise_ids: list[int] = (), limit: int = BATCH) -> int:
    """(Re)prioritises the given interactions, then works the whole queue by priority and age, making up to `limit`
    offers; returns how many. Once an interaction finds nobody, the others of its kind (channel, team, skills) wait
    for the next pass without being tried, so a head of the queue nobody can take never blocks the rest."""
    # Also any that were never prioritised: their own request was lost (the broker was down at commit).
    never = Q(prioritised_at__isnull=True) & ~Q(pk__in=list(prioritise_ids))
    queued = Interaction.objects.filter(state=InteractionState.QUEUED).select_related("contact")
    for interaction in [*queued.filter(pk__in=prioritise_ids), *queued.filter(never).order_by("pk")[:limit]]:
        prioritise(interaction)
    offered, nobody_for, after = 0, set(), None
    while offered < limit:
        chunk = _queue_chunk(after)
        if not chunk:
            return offered
        for row in chunk:
            if row["kind_key"] in nobody_for and not row["owner"]:
                continue
            routed = _route(row["pk"])
            if routed.offer:
                offered += 1
                if offered >= limit:
                    break
            elif routed.nobody and not row["owner"] and not row["declined"]:
                nobody_for.add(row["kind_key"])  # (someone who turned this one down may still take another)
        after = chunk[-1]
    return offered


def _queue_chunk(after: dict | None) -> list[dict]:
    """The next BATCH queued interactions in queue order after `after`, each with what decides who may take it."""
    # Waiting since: queued_at, or opened_at for rows queued before it was recorded (never NULL, unlike queued_at).
    # In review: waiting for a supervisor, not for an agent (never offered, never stranded).
    queued = (
        Interaction.objects.filter(state=InteractionState.QUEUED)
        .exclude(review=Interaction.Review.HELD)
        .annotate(since=Coalesce("queued_at", "opened_at"))
    )
    if after is not None:  # keyset: the queue moves while it is worked, so offsets would skip rows
        p, since, pk = after["priority"], after["since"], after["pk"]
        queued = queued.filter(
            Q(priority__lt=p) | Q(priority=p, since__gt=since) | Q(priority=p, since=since, pk__gt=pk)
        )
    rows = list(
        queued.order_by("-priority", "since", "pk").values(
            "pk", "priority", "since", "kind", "team_id", "x_account__team_id", "contact__assigned_agent_id"
        )[:BATCH]
    )
    ids = [row["pk"] for row in rows]
    skills: dict[int, set[int]] = {}
    for interaction_id, skill_id in Interaction.required_skills.through.objects.filter(
        interaction_id__in=ids
    ).values_list("interaction_id", "skill_id"):
        skills.setdefault(interaction_id, set()).add(skill_id)
    declined = set(
        Offer.objects.filter(interaction_id__in=ids, state__in=DECLINED).values_list("interaction_id", flat=True)
    )
    for row in rows:
        team = row["team_id"] or row["x_account__team_id"]
        row["kind_key"] = (row["kind"], team, frozenset(skills.get(row["pk"], ())))
        row["owner"], row["declined"] = row["contact__assigned_agent_id"], row["pk"] in declined
    return rows


def waiting(channel: str | None = None):
    """Queued interactions with how long they have waited for an agent (for supervisors; not those in review)."""
    queued = (
        Interaction.objects.filter(state=InteractionState.QUEUED)
        .exclude(review=Interaction.Review.HELD)
        .select_related("contact", "x_account")
    )
    if channel:
        queued = queued.filter(kind=channel)
    now = timezone.now()
    return [(i, now - (i.queued_at or i.opened_at)) for i in queued.order_by("-priority", "queued_at")]


# --- The invariant: no stranded customer ------------------------------------------------------------------
class Stranded(NamedTuple):
    interaction: Interaction
    waited: timedelta  # since it last went back to the queue
    eligible: list[AgentProfile]  # Ready, with room, allowed to take it now
    declined: dict[int, datetime]  # agent id → when they last declined it


def _channels_with_room() -> list[str]:
    """Channels on which at least one Ready agent is under capacity (where a breach is possible at all)."""
    channels = []
    for channel in Channel.values:
        profiles = list(
            AgentProfile.objects.filter(
                user__is_active=True, user__presences__channel=channel, user__presences__ready=True
            )
        )
        load = _load([p.user_id for p in profiles], channel) if profiles else {}
        if any(load.get(p.user_id, 0) < p.capacity_for(channel) for p in profiles):
            channels.append(channel)
    return channels


def stranded_interactions() -> list[Stranded]:
    """Breaches of the invariant: queued interactions (so no live offer) back in the queue for longer than their
    team's cool-down while an agent who may take them is Ready with room on their channel, in queue order. Empty when
    routing works. Walks the queue as route_queue does: once one interaction of a kind (channel, team, skills) has
    nobody eligible, the others of that kind are not asked again."""
    now = timezone.now()
    channels = _channels_with_room()
    stranded, nobody_for, after = [], set(), None
    while channels:
        chunk = _queue_chunk(after)
        if not chunk:
            break
        after = chunk[-1]
        rows = [row for row in chunk if row["kind"] in channels]
        interactions = Interaction.objects.select_related("contact", "team", "x_account__team").in_bulk(
            [row["pk"] for row in rows]
        )
        for row in rows:
            if row["kind_key"] in nobody_for and not row["owner"]:
                continue
            interaction = interactions.get(row["pk"])
            parked = interaction is not None and interaction.review == Interaction.Review.HELD
            if interaction is None or interaction.state != InteractionState.QUEUED or parked:
                continue  # offered, gone or parked in review meanwhile
            declined = declines(interaction) if row["declined"] else {}
            waited = now - max([row["since"], *declined.values()])
            if waited <= reoffer_cooldown(interaction):
                continue
            eligible = eligible_agents(interaction)
            if eligible:
                stranded.append(Stranded(interaction, waited, eligible, declined))
            elif not row["owner"] and not row["declined"]:
                nobody_for.add(row["kind_key"])  # (as in route_queue: nobody for this one, nobody for its kind)
    return stranded


def heal_stranded() -> int:
    """Run by beat: logs each breach of the invariant and routes it; those still stranded after that (a worker stuck
    holding the row, a bug) are kept for the live board until the next check. Returns how many breaches it found
    (0 while routing works)."""
    stranded = stranded_interactions()
    for breach in stranded:
        log_event(
            log,
            "interaction.stranded",
            level=logging.WARNING,
            interaction_id=breach.interaction.pk,
            waited_seconds=int(breach.waited.total_seconds()),
            eligible_agents=len(breach.eligible),
            declined_by=len(breach.declined),
        )
        _route(breach.interaction.pk)
    remaining = {
        s.interaction.pk: {"eligible": len(s.eligible), "declined": len(s.declined)}
        for s in (stranded_interactions() if stranded else [])
    }
    before = last_stranded()
    cache.set(STRANDED_KEY, remaining, timeout=60)  # a stopped beat must not leave old badges on the board
    if remaining != before:
        notify_board(BoardChanged(queue_changed=True))
    return len(stranded)


def last_stranded() -> dict[int, dict]:
    """The breaches beat's last check could not heal (interaction id → how many agents could take it, how many
    declined it), for the live board."""
    return cache.get(STRANDED_KEY) or {}
