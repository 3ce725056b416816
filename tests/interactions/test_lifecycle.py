from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from interactions import services
from interactions.errors import InvalidTransition, NotYours
from interactions.models import Interaction, InteractionState, Label, Message, Offer
from tests.factories import AgentFactory, InboundDMFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return AgentFactory()


def test_full_lifecycle_queued_to_done(agent):
    interaction = InteractionFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    services.interaction_end(interaction_id=interaction.pk, agent=agent)
    resolved = Label.objects.create(name="Resolved")
    services.interaction_mark_done(interaction_id=interaction.pk, agent=agent, disposition=resolved, note="Refunded")

    interaction.refresh_from_db()
    assert interaction.state == InteractionState.DONE
    assert interaction.agent == agent
    assert interaction.accepted_at <= interaction.ended_at <= interaction.done_at
    assert (interaction.disposition, interaction.done_note) == (resolved, "Refunded")
    assert interaction.offers.get().state == Offer.State.ACCEPTED


def test_accepting_a_queued_interaction_is_refused_with_a_clear_error(agent):
    interaction = InteractionFactory()
    with pytest.raises(InvalidTransition, match=rf"Cannot accept interaction #{interaction.pk}: it is queued\."):
        services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    assert Interaction.objects.get(pk=interaction.pk).state == InteractionState.QUEUED


def test_mark_done_before_the_end_is_refused(agent):
    interaction = InteractionFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    with pytest.raises(InvalidTransition, match="it is active"):
        services.interaction_mark_done(interaction_id=interaction.pk, agent=agent)


def test_an_interaction_cannot_be_offered_twice(agent):
    interaction = InteractionFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    with pytest.raises(InvalidTransition, match="Cannot offer"):
        services.interaction_offer(interaction_id=interaction.pk, agent=AgentFactory())
    assert interaction.offers.count() == 1


def test_only_the_agent_offered_can_accept(agent):
    interaction = InteractionFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    with pytest.raises(NotYours, match="not offered to you"):
        services.interaction_accept(interaction_id=interaction.pk, agent=AgentFactory())
    assert Interaction.objects.get(pk=interaction.pk).state == InteractionState.OFFERED


def test_reject_puts_the_interaction_back_in_the_queue(agent):
    interaction = InteractionFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_reject(interaction_id=interaction.pk, agent=agent)
    interaction.refresh_from_db()
    assert interaction.state == InteractionState.QUEUED and interaction.agent is None
    assert interaction.offers.get().state == Offer.State.REJECTED
    services.interaction_offer(interaction_id=interaction.pk, agent=AgentFactory())  # offered to the next agent


def test_another_agent_cannot_end_my_interaction(agent):
    interaction = InteractionFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    with pytest.raises(NotYours):
        services.interaction_end(interaction_id=interaction.pk, agent=AgentFactory())


def test_customer_can_end_and_the_agent_then_marks_done(agent):
    interaction = InteractionFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    services.interaction_end(interaction_id=interaction.pk, ended_by=Interaction.EndedBy.CUSTOMER)
    services.interaction_mark_done(interaction_id=interaction.pk, agent=agent)
    interaction.refresh_from_db()
    assert (interaction.state, interaction.ended_by) == (InteractionState.DONE, "customer")


def test_a_chat_whose_customer_went_quiet_after_the_answer_ends_as_customer_gone(agent, settings):
    settings.CUSTOMER_GONE_MINUTES = 30
    start = timezone.now()

    def active_chat(**kwargs):
        interaction = InteractionFactory(agent=agent, state="active", accepted_at=start, **kwargs)
        InboundDMFactory(interaction=interaction, created_at=start)
        return interaction

    def agent_reply(interaction, *, delivery="sent", minutes=1):
        at = start + timedelta(minutes=minutes)
        sent_at = at if delivery == "sent" else None
        Message.objects.create(
            interaction=interaction, direction="out", kind="dm", delivery=delivery, created_at=at, sent_at=sent_at
        )

    answered, waiting, unsent = active_chat(), active_chat(), active_chat()
    agent_reply(answered)
    agent_reply(unsent, delivery="failed")  # the customer never got it: they are still waiting
    tweet = active_chat(kind="twitter")
    agent_reply(tweet)

    with time_machine.travel(start + timedelta(minutes=30), tick=False):  # 29 minutes after the answer
        assert services.interactions_end_quiet_chats() == 0
    with time_machine.travel(start + timedelta(minutes=32), tick=False):
        assert services.interactions_end_quiet_chats() == 1
        assert services.interactions_end_quiet_chats() == 0  # once
    states = {i.pk: (i.state, i.ended_by) for i in Interaction.objects.all()}
    assert states[answered.pk] == ("ended", "customer")
    assert states[waiting.pk] == states[unsent.pk] == states[tweet.pk] == ("active", "")

    services.interaction_mark_done(interaction_id=answered.pk, agent=agent)  # the agent closes it as usual
    settings.CUSTOMER_GONE_MINUTES = 0
    with time_machine.travel(start + timedelta(days=1), tick=False):
        assert services.interactions_end_quiet_chats() == 0  # switched off


def test_a_new_customers_first_agent_becomes_their_agent_and_gets_them_back(agent):
    from interactions import routing
    from workspace.agents.models import ChannelPresence
    from workspace.desk.selectors import assigned_contacts

    first = InteractionFactory()
    services.interaction_offer(interaction_id=first.pk, agent=agent)
    services.interaction_accept(interaction_id=first.pk, agent=agent)
    contact = first.contact
    contact.refresh_from_db()
    assert contact.assigned_agent == agent and list(assigned_contacts(agent=agent)) == [contact]

    # The customer writes again later: their agent is offered it first, although a colleague has waited longer.
    colleague = AgentFactory()
    for person in (colleague, agent):
        ChannelPresence.objects.create(agent=person, channel="chat", ready=True, since=timezone.now())
    again = InteractionFactory(contact=contact)
    routing.route_queue()
    assert again.offers.get().agent == agent

    # Accepting a contact who already has an agent (a reassignment, a colleague covering) keeps their agent.
    services.interaction_reject(interaction_id=again.pk, agent=agent)
    routing.route_queue()  # their agent turned it down: it goes to the colleague at once, not after the sticky wait
    services.interaction_accept(interaction_id=again.pk, agent=again.offers.get(state="offered", agent=colleague).agent)
    contact.refresh_from_db()
    assert contact.assigned_agent == agent
