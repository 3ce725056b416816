"""who_may_see is visible_contacts_q read the other way: for every contact and user, the two agree."""

from datetime import timedelta

import pytest
from django.utils import timezone

from interactions.models import Offer
from interactions.visibility import visible_contacts, who_may_see
from tests.factories import AgentFactory, ContactFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_who_may_see_a_contact_agrees_with_the_rule_for_every_user():
    owner, holder, ended_holder, done_holder, offered, expired, bystander = (AgentFactory() for _ in range(7))
    staff, not_an_agent, gone = UserFactory(is_staff=True), UserFactory(), AgentFactory(is_active=False)
    assigned = ContactFactory(assigned_agent=owner)
    InteractionFactory(contact=assigned, agent=holder, state="active")
    InteractionFactory(contact=assigned, agent=ended_holder, state="ended")
    InteractionFactory(contact=assigned, agent=done_holder, state="done")
    waiting = InteractionFactory(contact=assigned, state="offered")
    Offer.objects.create(interaction=waiting, agent=offered, expires_at=timezone.now() + timedelta(seconds=30))
    Offer.objects.create(
        interaction=InteractionFactory(contact=assigned, state="queued"), agent=expired, state=Offer.State.OFFERED,
        expires_at=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip
    unassigned = ContactFactory()
    InteractionFactory(contact=unassigned, agent=holder, state="active")
    elsewhere = ContactFactory(assigned_agent=bystander)
    workspace_users = [owner, holder, ended_holder, done_holder, offered, expired, bystander, staff]

    for contact in (assigned, unassigned, elsewhere):
        by_rule = [u.pk for u in workspace_users if visible_contacts(agent=u).filter(pk=contact.pk).exists()]
        assert who_may_see(contact_id=contact.pk) == sorted(by_rule), contact
    assert who_may_see(contact_id=assigned.pk) == sorted([owner.pk, holder.pk, ended_holder.pk, offered.pk])
    everyone = who_may_see(contact_id=unassigned.pk)
    assert everyone == sorted(u.pk for u in workspace_users)  # the shared pool: every agent, and staff
    assert not_an_agent.pk not in everyone and gone.pk not in everyone  # no workspace for them
    assert who_may_see(contact_id=10**9) == []
