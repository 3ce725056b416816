"""Supervisor moves (reassign, force-end, requeue) go through services, are audited, and refuse clearly."""

import pytest
from django.contrib.auth import get_user_model

from interactions import services
from interactions.errors import InteractionError, InvalidTransition
from interactions.models import InteractionState, Offer
from tests.factories import PASSWORD, AgentFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.agents.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor():
    return get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)


def active_with(agent):
    interaction = InteractionFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    return services.interaction_accept(interaction_id=interaction.pk, agent=agent)


def test_reassign_gives_an_active_interaction_to_another_agent_and_audits_it(supervisor):
    ana, ben = AgentFactory(first_name="Ana"), AgentFactory(first_name="Ben")
    interaction = active_with(ana)

    services.interaction_reassign(interaction_id=interaction.pk, to_agent=ben, by=supervisor)

    interaction.refresh_from_db()
    assert (interaction.state, interaction.agent) == (InteractionState.ACTIVE, ben)
    entry = AuditEntry.objects.get(verb="reassign")
    assert entry.actor == supervisor and entry.object_id == str(interaction.pk)
    assert entry.details == {"from_agent_id": ana.pk, "to_agent_id": ben.pk}


def test_reassigning_an_offered_interaction_withdraws_the_offer(supervisor):
    ana, ben = AgentFactory(), AgentFactory()
    interaction = InteractionFactory()
    offer = services.interaction_offer(interaction_id=interaction.pk, agent=ana)

    services.interaction_reassign(interaction_id=interaction.pk, to_agent=ben, by=supervisor)

    offer.refresh_from_db()
    assert offer.state == Offer.State.WITHDRAWN
    interaction.refresh_from_db()
    assert (interaction.state, interaction.agent) == (InteractionState.ACTIVE, ben)


def test_reassign_refuses_a_done_interaction_and_a_user_who_is_not_an_agent(supervisor):
    ana = AgentFactory()
    interaction = active_with(ana)
    with pytest.raises(InteractionError, match="sam is not an active agent"):
        services.interaction_reassign(interaction_id=interaction.pk, to_agent=supervisor, by=supervisor)
    services.interaction_end(interaction_id=interaction.pk, agent=ana)
    with pytest.raises(InvalidTransition, match=rf"Cannot reassign interaction #{interaction.pk}: it is ended\."):
        services.interaction_reassign(interaction_id=interaction.pk, to_agent=AgentFactory(), by=supervisor)
    assert not AuditEntry.objects.filter(verb="reassign").exists()


def test_force_end_ends_an_offered_interaction_as_the_supervisor(supervisor):
    interaction = InteractionFactory()
    offer = services.interaction_offer(interaction_id=interaction.pk, agent=AgentFactory())

    services.interaction_force_end(interaction_id=interaction.pk, by=supervisor)

    interaction.refresh_from_db()
    offer.refresh_from_db()
    assert (interaction.state, interaction.ended_by) == (InteractionState.ENDED, "supervisor")
    assert offer.state == Offer.State.WITHDRAWN
    assert AuditEntry.objects.filter(verb="force_end", actor=supervisor).count() == 1


def test_requeue_puts_an_active_interaction_back_in_the_queue_without_agent(supervisor):
    interaction = active_with(AgentFactory())
    services.interaction_requeue(interaction_id=interaction.pk, by=supervisor)
    interaction.refresh_from_db()
    assert (interaction.state, interaction.agent) == (InteractionState.QUEUED, None)
    with pytest.raises(InvalidTransition, match="Cannot requeue .*: it is queued"):
        services.interaction_requeue(interaction_id=interaction.pk, by=supervisor)


def test_admin_actions_run_the_services_and_report_refusals(supervisor):
    client = sign_in("sam", PASSWORD)
    ana, ben = AgentFactory(first_name="Ana"), AgentFactory(first_name="Ben")
    working, done = active_with(ana), active_with(ana)
    services.interaction_end(interaction_id=done.pk, agent=ana)
    url = "/admin/interactions/interaction/"

    confirm = client.post(url, {"action": "reassign", "_selected_action": [working.pk]})
    assert b"Reassign to" in confirm.content and b"Ben" in confirm.content
    client.post(url, {"action": "reassign", "_selected_action": [working.pk], "agent": ben.pk, "confirm": "1"})
    working.refresh_from_db()
    assert working.agent == ben

    answer = client.post(url, {"action": "force_end", "_selected_action": [working.pk, done.pk]}, follow=True)
    text = answer.content.decode()
    assert f"Cannot force-end interaction #{done.pk}: it is ended." in text
    assert "1 interaction ended." in text
    working.refresh_from_db()
    assert working.ended_by == "supervisor"


def test_the_agent_who_lost_an_interaction_is_told_who_took_it_and_nobody_else_is(supervisor):
    ana = AgentFactory(username="ana", first_name="Ana")
    ben = AgentFactory(username="ben", first_name="Ben", last_name="Brooks")
    AgentFactory(username="mallory")
    interaction = active_with(ana)
    url = f"/workspace/interactions/{interaction.pk}/access/"
    as_ana, as_ben = sign_in("ana", PASSWORD), sign_in("ben", PASSWORD)
    assert as_ana.get(url).status_code == 204  # still hers: nothing to say

    services.interaction_reassign(interaction_id=interaction.pk, to_agent=ben, by=supervisor)
    notice = as_ana.get(url)
    assert notice.status_code == 200
    text = " ".join(notice.content.decode().split())
    assert "This conversation is no longer yours." in text and "sam gave it to Ben Brooks" in text
    assert as_ben.get(url).status_code == 204  # his now
    assert sign_in("mallory", PASSWORD).get(url).status_code == 404  # never his: not even that it exists

    services.interaction_requeue(interaction_id=interaction.pk, by=supervisor)
    assert "put it back in the queue" in as_ben.get(url).content.decode()
