"""The re-offer rule and the no-stranded invariant.

An agent who rejected an interaction or let its offer expire is offered it again once their team's cool-down has
passed since they declined, the longest-waiting first, the last to decline last; and no interaction waits longer than
its team's cool-down while an agent who may take it is Ready with room (beat checks, logs and routes any breach).
"""

import logging
import random
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from interactions import routing, services, tasks, teams
from interactions.models import Interaction, InteractionState, Offer
from tests.factories import AgentFactory, ContactFactory, InteractionFactory, XAccountFactory
from tests.interactions.test_routing import offered_to, queued, ready
from tests.social.test_worker_death import wait_for
from workspace.agents.models import Skill, Team
from workspace.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    """The clock stands still unless the test moves it (offers, declines and cool-downs are all timed)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def idle_since(agent, when):
    agent.agent_profile.last_routed_at = when
    agent.agent_profile.save()


def test_everyone_ready_rejected_it_so_it_returns_to_them_after_the_cooldown_and_not_before(clock):
    ana = ready(AgentFactory(), "chat", chat_capacity=5)  # Ready at 0/5, the only one
    interaction = queued()
    routing.route_queue()
    assert offered_to(interaction) == ana.pk
    services.interaction_reject(interaction_id=interaction.pk, agent=ana)

    cooldown = teams.reoffer_cooldown(interaction)
    assert cooldown == timedelta(seconds=60)  # no team: the default
    routing.route_queue()
    assert offered_to(interaction) is None  # she just said no
    clock.shift(cooldown - timedelta(seconds=1))
    routing.route_queue()
    assert offered_to(interaction) is None
    assert routing.stranded_interactions() == []  # waiting, but nobody may take it yet: no breach

    clock.shift(timedelta(seconds=1))
    routing.route_queue()
    assert offered_to(interaction) == ana.pk  # back to her, not stranded
    services.interaction_accept(interaction_id=interaction.pk, agent=ana)
    assert Interaction.objects.get(pk=interaction.pk).state == InteractionState.ACTIVE


def test_a_supervisor_sets_a_teams_cooldown_in_the_admin(admin_client):
    care = Team.objects.create(name="Care")
    assert care.reoffer_cooldown_seconds == 60
    page = admin_client.get(f"/admin/workspace/team/{care.pk}/change/").content.decode()
    assert 'name="reoffer_cooldown_seconds"' in page
    fields = {"name": "Care", "offer_timeout_seconds": 30, "reoffer_cooldown_seconds": 15}
    assert admin_client.post(f"/admin/workspace/team/{care.pk}/change/", fields).status_code == 302
    care.refresh_from_db()
    assert care.reoffer_cooldown_seconds == 15


def test_the_cooldown_is_the_teams(clock):
    care = Team.objects.create(name="Care", reoffer_cooldown_seconds=5)
    ana = ready(AgentFactory(), "chat")
    ana.agent_profile.teams.add(care)
    interaction = queued(x_account=XAccountFactory(team=care))
    assert teams.team_of(interaction) == care and teams.reoffer_cooldown(interaction) == timedelta(seconds=5)
    routing.route_queue()
    services.interaction_reject(interaction_id=interaction.pk, agent=ana)
    clock.shift(timedelta(seconds=4))
    routing.route_queue()
    assert offered_to(interaction) is None
    clock.shift(timedelta(seconds=1))
    routing.route_queue()
    assert offered_to(interaction) == ana.pk


def test_a_reject_keeps_the_customers_place_and_the_longest_waiting_comes_back_first(clock):
    ana = ready(AgentFactory(), "chat", chat_capacity=1)
    older = queued(queued_at=timezone.now() - timedelta(minutes=5))
    younger = queued(queued_at=timezone.now() - timedelta(minutes=1))
    routing.route_queue()
    assert offered_to(older) == ana.pk
    services.interaction_reject(interaction_id=older.pk, agent=ana)
    routing.route_queue()
    assert (offered_to(older), offered_to(younger)) == (None, ana.pk)  # she is cooling down on the older one only
    clock.shift(timedelta(seconds=10))
    services.interaction_reject(interaction_id=younger.pk, agent=ana)
    assert Interaction.objects.get(pk=older.pk).queued_at == older.queued_at  # rejects move no one back

    clock.shift(timedelta(seconds=60))  # both cool-downs have passed; she has room for one
    routing.route_queue()
    assert (offered_to(older), offered_to(younger)) == (ana.pk, None)


def test_among_eligible_agents_the_one_who_declined_last_comes_last(clock):
    ana, ben, cara = (ready(AgentFactory(), "chat") for _ in range(3))
    interaction = queued()
    for agent in (ana, ben):  # Ana says no first, then Ben
        services.interaction_offer(interaction_id=interaction.pk, agent=agent)
        services.interaction_reject(interaction_id=interaction.pk, agent=agent)
        clock.shift(timedelta(seconds=1))
    # Longest idle would put Ben first and Cara last.
    idle_since(ben, None)
    idle_since(ana, timezone.now() - timedelta(hours=1))
    idle_since(cara, timezone.now())
    assert [p.user_id for p in routing.eligible_agents(interaction)] == [cara.pk]  # both are cooling down

    clock.shift(timedelta(seconds=60))
    assert [p.user_id for p in routing.eligible_agents(interaction)] == [cara.pk, ana.pk, ben.pk]
    routing.route_queue()
    assert offered_to(interaction) == cara.pk


def test_the_contacts_own_agent_who_declined_it_comes_after_those_who_did_not(clock):
    owner, colleague = ready(AgentFactory(), "chat"), ready(AgentFactory(), "chat")
    interaction = queued(contact=ContactFactory(assigned_agent=owner))
    routing.route_queue()
    assert offered_to(interaction) == owner.pk  # sticky
    services.interaction_reject(interaction_id=interaction.pk, agent=owner)
    idle_since(colleague, timezone.now())  # just got something else: longest idle would put the owner first
    clock.shift(timedelta(seconds=60))
    assert [p.user_id for p in routing.eligible_agents(interaction)] == [colleague.pk, owner.pk]


def test_an_expired_offer_counts_as_a_decline(clock):
    ana = ready(AgentFactory(), "chat")
    interaction = queued()
    routing.route_queue()
    offer = Offer.objects.get(interaction=interaction)
    clock.move_to(offer.expires_at + timedelta(seconds=1))
    assert services.offers_expire_overdue() == 1
    assert routing.declines(interaction) == {ana.pk: timezone.now()}
    routing.route_queue()
    assert offered_to(interaction) is None
    clock.shift(teams.reoffer_cooldown(interaction))
    routing.route_queue()
    assert offered_to(interaction) == ana.pk


def test_a_supervisors_requeue_is_no_decline(clock, admin_user):
    ana = ready(AgentFactory(), "chat")
    interaction = queued()
    routing.route_queue()
    services.interaction_accept(interaction_id=interaction.pk, agent=ana)
    services.interaction_requeue(interaction_id=interaction.pk, by=admin_user)
    assert routing.declines(interaction) == {}
    routing.route_queue()
    assert offered_to(interaction) == ana.pk  # the only Ready agent: not stranded for ever (the old rule did that)


def test_an_agent_at_capacity_is_not_eligible_even_after_the_cooldown(clock):
    ana = ready(AgentFactory(), "chat", chat_capacity=1)
    declined = queued(queued_at=timezone.now() - timedelta(minutes=1))
    routing.route_queue()
    services.interaction_reject(interaction_id=declined.pk, agent=ana)
    working = queued()
    routing.route_queue()
    services.interaction_accept(interaction_id=working.pk, agent=ana)  # 1/1

    clock.shift(timedelta(seconds=120))
    assert routing.eligible_agents(declined) == []
    routing.route_queue()
    assert offered_to(declined) is None
    assert routing.stranded_interactions() == [] and routing.heal_stranded() == 0  # full is no breach


def test_nothing_is_stranded_while_routing_works(clock):
    """A few minutes of a small shift: after every event and every beat pass, no breach."""
    rng = random.Random(14)
    agents = [ready(AgentFactory(), "chat", "twitter", chat_capacity=2, twitter_capacity=2) for _ in range(3)]
    for _ in range(12):
        queued(kind=rng.choice(["chat", "twitter"]), contact=ContactFactory(), queued_at=timezone.now())
    for _ in range(40):
        routing.route_queue()
        for offer in Offer.objects.filter(state=Offer.State.OFFERED):
            choice = rng.random()
            if choice < 0.4:
                services.interaction_reject(interaction_id=offer.interaction_id, agent=offer.agent)
            elif choice < 0.6:
                services.interaction_accept(interaction_id=offer.interaction_id, agent=offer.agent)
            # else: left to expire
        for working in Interaction.objects.filter(state=InteractionState.ACTIVE):
            if rng.random() < 0.3:
                services.interaction_end(interaction_id=working.pk, agent=working.agent)
        routing.route_queue()  # what each of those events asks for after commit
        clock.shift(timedelta(seconds=10))
        services.offers_expire_overdue()
        routing.route_queue()  # beat's pass, and the retries at the end of each cool-down
        assert routing.stranded_interactions() == []
    assert Offer.objects.filter(state=Offer.State.REJECTED).count() > 5  # the shift did decline things
    assert {o.agent_id for o in Offer.objects.filter(state=Offer.State.ACCEPTED)} <= {a.pk for a in agents}


def test_a_breach_is_found_logged_routed_and_kept_for_the_board(clock, caplog):
    ana = ready(AgentFactory(), "chat", chat_capacity=1)
    lost = queued(queued_at=timezone.now() - timedelta(minutes=2))  # its routing request was lost
    declined = queued(queued_at=timezone.now() - timedelta(minutes=10))
    services.interaction_offer(interaction_id=declined.pk, agent=ana)
    services.interaction_reject(interaction_id=declined.pk, agent=ana)

    (stranded,) = routing.stranded_interactions()  # the declined one waits for its cool-down: no breach (yet)
    assert stranded.interaction.pk == lost.pk and [p.user_id for p in stranded.eligible] == [ana.pk]
    assert stranded.waited >= timedelta(minutes=2) and stranded.declined == {}

    with caplog.at_level(logging.INFO, logger="interactions.routing"):
        assert routing.heal_stranded() == 1
    (record,) = [r for r in caplog.records if getattr(r, "event", "") == "interaction.stranded"]
    assert record.levelno == logging.WARNING
    assert record.perch_fields == {"interaction_id": lost.pk, "waited_seconds": 120, "eligible_agents": 1,
                                   "declined_by": 0}  # fmt: skip
    assert offered_to(lost) == ana.pk  # healed
    assert routing.stranded_interactions() == [] and routing.last_stranded() == {}  # nothing left for the board

    services.interaction_reject(interaction_id=lost.pk, agent=ana)
    clock.shift(timedelta(seconds=61))  # both cool-downs over, and the retries were lost too
    assert {s.interaction.pk for s in routing.stranded_interactions()} == {lost.pk, declined.pk}
    assert routing.heal_stranded() == 2
    assert (offered_to(declined), offered_to(lost)) == (ana.pk, None)  # the longest waiting first; then she is full
    assert routing.heal_stranded() == 0 and routing.last_stranded() == {}


def test_the_check_walks_the_whole_queue_at_a_flat_cost(clock, django_assert_max_num_queries):
    """A head of the queue nobody Ready can take (it needs Spanish) neither hides a breach behind it nor costs a
    round of eligibility queries per interaction."""
    spanish = Skill.objects.create(name="lang:es")
    english = ready(AgentFactory(), "chat")
    for n in range(routing.BATCH + 5):
        head = InteractionFactory(priority=10, queued_at=timezone.now() - timedelta(minutes=10, seconds=n))
        head.required_skills.add(spanish)
    behind = queued(queued_at=timezone.now() - timedelta(minutes=2))  # its routing request was lost
    with django_assert_max_num_queries(30):
        (stranded,) = routing.stranded_interactions()
    assert stranded.interaction.pk == behind.pk and [p.user_id for p in stranded.eligible] == [english.pk]


def test_beat_checks_the_invariant_every_five_seconds():
    (entry,) = [e for e in celery_app.conf.beat_schedule.values() if e["task"] == "interactions.check_stranded"]
    assert entry["schedule"] <= 5.0
    assert "interactions.check_stranded" in celery_app.tasks
    ana = ready(AgentFactory(), "chat")
    lost = queued(queued_at=timezone.now() - timedelta(minutes=2))
    tasks.check_stranded.delay()  # as beat sends it
    assert offered_to(lost) == ana.pk


@pytest.mark.django_db(transaction=True)
def test_a_reject_schedules_the_reoffer_for_the_end_of_the_cooldown(celery_worker):
    """No beat runs here: only the retry the reject scheduled (on a real worker, with its countdown) can offer it."""
    care = Team.objects.create(name="Care", reoffer_cooldown_seconds=2)
    ana = ready(AgentFactory(), "chat")
    ana.agent_profile.teams.add(care)
    interaction = queued(x_account=XAccountFactory(team=care))
    routing.route_queue()
    services.interaction_reject(interaction_id=interaction.pk, agent=ana)  # committed: the worker routes now and in 2 s
    rejected = Offer.objects.get(interaction=interaction, state=Offer.State.REJECTED)

    again = wait_for(
        lambda: Offer.objects.filter(interaction=interaction, state=Offer.State.OFFERED).first(), 20, "the re-offer"
    )
    assert again.agent_id == ana.pk
    assert again.created_at >= rejected.responded_at + timedelta(seconds=2)
