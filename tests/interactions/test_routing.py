"""Routing table: who gets which interaction, and when nobody does."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from interactions import routing, scheduling, services, teams
from interactions.models import Interaction, InteractionState, Offer, RoutingRule
from tests.factories import AgentFactory, ContactFactory, InteractionFactory, XAccountFactory
from tests.social.test_worker_death import wait_for
from workspace.agents.models import AgentNotice, ChannelPresence, Skill, Team

pytestmark = pytest.mark.django_db


def ready(agent, *channels, **profile):
    for channel in channels:
        ChannelPresence.objects.create(agent=agent, channel=channel, ready=True, since=timezone.now())
    for field, value in profile.items():
        setattr(agent.agent_profile, field, value)
    agent.agent_profile.save()
    return agent


def queued(**kwargs) -> Interaction:
    interaction = InteractionFactory(**kwargs)
    routing.prioritise(interaction)
    return interaction


def offered_to(interaction) -> int | None:
    offer = Offer.objects.filter(interaction=interaction, state="offered").first()
    return offer.agent_id if offer else None


def test_ready_on_the_channel_is_required():
    chat_only = ready(AgentFactory(), "chat")
    tweet = queued(kind="twitter")
    routing.route_queue()
    assert offered_to(tweet) is None and Interaction.objects.get(pk=tweet.pk).state == "queued"
    both = ready(AgentFactory(), "chat", "twitter")
    routing.route_queue()
    assert offered_to(tweet) == both.pk != chat_only.pk


def test_capacity_is_per_channel():
    agent = ready(AgentFactory(), "chat", "twitter", chat_capacity=1, twitter_capacity=1)
    first, second = queued(), queued()
    tweet = queued(kind="twitter")
    routing.route_queue()
    assert [offered_to(first), offered_to(second), offered_to(tweet)] == [agent.pk, None, agent.pk]


def test_the_contacts_own_agent_comes_first_then_the_longest_idle():
    owner, idle, busy = (ready(AgentFactory(), "chat") for _ in range(3))
    idle.agent_profile.last_routed_at = timezone.now() - timedelta(hours=2)
    idle.agent_profile.save()
    busy.agent_profile.last_routed_at = timezone.now()
    busy.agent_profile.save()
    owner.agent_profile.last_routed_at = timezone.now()
    owner.agent_profile.save()
    mine = queued(contact=ContactFactory(assigned_agent=owner))
    anyone = queued()
    routing.route_queue()
    assert offered_to(mine) == owner.pk
    assert offered_to(anyone) == idle.pk


def test_a_negative_tweet_jumps_ahead_of_older_neutral_ones():
    agent = ready(AgentFactory(), "twitter", twitter_capacity=1)
    older = queued(kind="twitter", sentiment=0.1, queued_at=timezone.now() - timedelta(minutes=5))
    angry = queued(kind="twitter", sentiment=-0.8)
    routing.route_queue()
    assert offered_to(angry) == agent.pk and offered_to(older) is None
    assert Interaction.objects.get(pk=angry.pk).priority > Interaction.objects.get(pk=older.pk).priority


def test_team_and_skills_and_language_rules_pick_the_agent():
    care = Team.objects.create(name="Care")
    spanish = Skill.objects.create(name="lang:es")
    english_only = ready(AgentFactory(), "chat")
    english_only.agent_profile.teams.add(care)
    speaker = ready(AgentFactory(), "chat")
    speaker.agent_profile.teams.add(care)
    speaker.agent_profile.skills.add(spanish)
    outsider = ready(AgentFactory(), "chat")  # speaks Spanish and has waited longest, but is not in the team
    outsider.agent_profile.skills.add(spanish)
    outsider.agent_profile.last_routed_at = None
    outsider.agent_profile.save()
    rule = RoutingRule.objects.create(name="Spanish", language="es")
    rule.required_skills.add(spanish)
    account = XAccountFactory(team=care)
    interaction = InteractionFactory(x_account=account)
    interaction.messages.create(direction="in", kind="dm", text="Hola, mi maleta no ha llegado todavía")
    routing.prioritise(interaction)
    routing.route_queue()
    assert Interaction.objects.get(pk=interaction.pk).language == "es"
    assert offered_to(interaction) == speaker.pk  # not the English-only teammate, not the Spanish outsider


def test_reject_goes_to_the_next_agent_and_back_only_after_the_cooldown():
    first, second = ready(AgentFactory(), "chat"), ready(AgentFactory(), "chat")
    second.agent_profile.last_routed_at = timezone.now()
    second.agent_profile.save()
    interaction = queued()
    routing.route_queue()
    assert offered_to(interaction) == first.pk
    services.interaction_reject(interaction_id=interaction.pk, agent=first)
    routing.route_queue()
    assert offered_to(interaction) == second.pk
    services.interaction_reject(interaction_id=interaction.pk, agent=second)
    routing.route_queue()
    assert offered_to(interaction) is None and Interaction.objects.get(pk=interaction.pk).state == "queued"
    with time_machine.travel(timezone.now() + teams.reoffer_cooldown(interaction)):
        routing.route_queue()
    assert offered_to(interaction) == first.pk  # everyone Ready said no: back to them, the first to decline first


def test_an_unanswered_offer_expires_to_the_next_agent():
    first, second = ready(AgentFactory(), "chat"), ready(AgentFactory(), "chat")
    second.agent_profile.last_routed_at = timezone.now()
    second.agent_profile.save()
    interaction = queued()
    routing.route_queue()
    offer = Offer.objects.get(interaction=interaction)
    assert offer.agent_id == first.pk
    with time_machine.travel(offer.expires_at + timedelta(seconds=1)):
        assert services.offers_expire_overdue() == 1
        routing.route_queue()
    assert Offer.objects.get(pk=offer.pk).state == "expired"
    assert offered_to(interaction) == second.pk


def test_nobody_ready_leaves_it_queued_and_visible_with_its_wait():
    interaction = queued(queued_at=timezone.now() - timedelta(minutes=3))
    assert routing.route_queue() == 0
    ((waiting, waited),) = routing.waiting()
    assert waiting.pk == interaction.pk and waited >= timedelta(minutes=3)


def test_the_contacts_own_agent_keeps_them_while_away_then_others_may_take_it():
    owner = AgentFactory()  # not Ready
    other = ready(AgentFactory(), "chat")
    interaction = queued(contact=ContactFactory(assigned_agent=owner))
    routing.route_queue()
    assert offered_to(interaction) is None
    with time_machine.travel(timezone.now() + routing.sticky_wait() + timedelta(seconds=1)):
        routing.route_queue()
    assert offered_to(interaction) == other.pk


def test_accepting_counts_against_capacity():
    agent = ready(AgentFactory(), "chat", chat_capacity=1)
    first, second = queued(), queued()
    routing.route_queue()
    services.interaction_accept(interaction_id=first.pk, agent=agent)
    routing.route_queue()
    assert offered_to(second) is None
    assert Interaction.objects.get(pk=first.pk).state == InteractionState.ACTIVE


def test_a_head_of_the_queue_nobody_can_take_does_not_block_the_rest():
    spanish = Skill.objects.create(name="lang:es")
    english = ready(AgentFactory(), "chat", chat_capacity=5)
    stuck = []
    for n in range(routing.BATCH + 5):  # more than a pass looks at in one go, all needing a skill nobody Ready has
        stuck.append(InteractionFactory(priority=10, queued_at=timezone.now() - timedelta(minutes=10, seconds=n)))
    for interaction in stuck:
        interaction.required_skills.add(spanish)
    behind = InteractionFactory(priority=0)  # lower priority, younger: last in the queue

    assert routing.route_queue() == 1
    assert offered_to(behind) == english.pk
    assert not Offer.objects.filter(interaction__in=stuck).exists()  # they wait for a Spanish speaker


def test_a_pass_stops_at_its_limit_and_the_next_pass_goes_on():
    agents = [ready(AgentFactory(), "chat", chat_capacity=10) for _ in range(2)]
    waiting = [InteractionFactory() for _ in range(5)]
    assert routing.route_queue(limit=3) == 3
    assert routing.route_queue(limit=3) == 2
    assert {offered_to(i) for i in waiting} <= {a.pk for a in agents} and all(offered_to(i) for i in waiting)


def test_keyword_and_vip_rules_raise_priority_and_route_to_their_team():
    refunds = Team.objects.create(name="Refunds")
    refund_agent = ready(AgentFactory(), "chat", chat_capacity=5)
    refund_agent.agent_profile.teams.add(refunds)
    RoutingRule.objects.create(name="Refunds", keywords="refund, chargeback", priority_boost=5, team=refunds)
    RoutingRule.objects.create(name="VIPs", vip_contacts=True, priority_boost=3)
    plain, refund, vip = InteractionFactory(), InteractionFactory(), InteractionFactory(contact__is_vip=True)
    plain.messages.create(direction="in", kind="dm", text="Where is gate B12?")
    refund.messages.create(direction="in", kind="dm", text="I want a REFUND for my cancelled flight")
    vip.messages.create(direction="in", kind="dm", text="Hello")
    for interaction in (plain, refund, vip):
        routing.prioritise(interaction)
    priorities = dict(Interaction.objects.values_list("pk", "priority"))
    assert priorities == {plain.pk: 0, refund.pk: 5, vip.pk: routing.VIP_BOOST + 3}
    assert Interaction.objects.get(pk=refund.pk).team == refunds
    routing.route_queue()
    assert offered_to(refund) == refund_agent.pk


def test_an_offer_lasts_the_teams_timeout():
    quick = Team.objects.create(name="Quick", offer_timeout_seconds=10)
    agent = ready(AgentFactory(), "chat")
    agent.agent_profile.teams.add(quick)
    interaction = queued(x_account=XAccountFactory(team=quick))
    routing.route_queue()
    offer = Offer.objects.get(interaction=interaction)
    assert 9 <= (offer.expires_at - offer.created_at).total_seconds() <= 11


@pytest.mark.django_db(transaction=True)
def test_an_offer_expires_by_its_own_timer(celery_worker):
    """No beat runs here: only the timer the offer started as it committed (on a real worker, with the team's
    timeout as its countdown) can expire it; the agent is told they missed it."""
    quick = Team.objects.create(name="Quick", offer_timeout_seconds=1)
    agent = ready(AgentFactory(), "chat")
    agent.agent_profile.teams.add(quick)
    interaction = queued(x_account=XAccountFactory(team=quick))
    routing.route_queue()
    offer = Offer.objects.get(interaction=interaction)
    wait_for(lambda: Offer.objects.filter(pk=offer.pk, state=Offer.State.EXPIRED).exists(), 20, "the expiry")
    assert Interaction.objects.get(pk=interaction.pk).state == InteractionState.QUEUED
    assert AgentNotice.objects.filter(agent=agent, kind="offer_missed", interaction_id=interaction.pk).exists()


def test_a_process_that_never_imports_the_tasks_still_sends_them_by_name():
    """A web process never imports interactions.tasks; routing requests and offer timers find their tasks by name in
    the Celery app (registered as Django starts), so tests run them eagerly instead of leaving them on the broker."""
    code = (
        "import django; django.setup(); from celery import current_app; from interactions import scheduling; "
        "print(sorted(n for n in (scheduling.ROUTE_QUEUE, scheduling.EXPIRE_OFFER) if n in current_app.tasks))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[-2] == str(sorted([scheduling.EXPIRE_OFFER, scheduling.ROUTE_QUEUE])), done.stderr
