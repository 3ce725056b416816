"""Things that are gone, and what the URL says (workspace/gone.py and the interaction views).

An htmx request for an interaction or contact the agent may no longer see gets a calm notice with status 404 (the
page swaps it where the agent looked), an action on one says it in the page's notice slot, a page load of a gone
interaction's URL is the workspace saying so, and an htmx request without a session sends the page to the login.
Accept pushes the interaction's URL, Mark Done the workspace's."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from interactions import routing, services
from interactions.models import Label, Offer
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.agents.models import ChannelPresence

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/workspace/interactions/7/"}
GONE = "This conversation is no longer yours, or it no longer exists."


def someone_elses():
    """An interaction of Ben's, with a contact assigned to Ben: Ana may not see it (any more)."""
    ben = AgentFactory()
    contact = ContactFactory(assigned_agent=ben)
    return InteractionFactory(agent=ben, state="active", accepted_at=timezone.now(), contact=contact)


def test_an_htmx_get_of_a_gone_interaction_is_a_calm_notice_swapped_where_the_agent_looked():
    gone = someone_elses()
    ana = sign_in(AgentFactory().username, PASSWORD)
    for url in (f"/workspace/interactions/{gone.pk}/", f"/workspace/interactions/{gone.pk}/conversation/"):
        response = ana.get(url, headers=HX)
        assert response.status_code == 404
        body = response.content.decode()
        assert GONE in body and 'class="alert alert-notice gone-notice"' in body
        assert "<html" not in body and "Not Found" not in body
        assert response["HX-Reselect"] == ".gone-notice"  # whatever hx-select the element has for its usual answer
        assert "HX-Retarget" not in response
    contact = ana.get(f"/workspace/contacts/{gone.contact_id}/", headers=HX)
    assert contact.status_code == 404 and "This contact is no longer yours" in contact.content.decode()


def test_an_action_on_a_gone_interaction_is_said_in_the_notice_slot_and_leaves_the_url():
    gone = someone_elses()
    ana = sign_in(AgentFactory().username, PASSWORD)
    response = ana.post(f"/workspace/interactions/{gone.pk}/end/", headers=HX)
    assert response.status_code == 404 and GONE in response.content.decode()
    assert response["HX-Retarget"] == "#page-notice" and response["HX-Reswap"] == "innerHTML"
    assert response["HX-Push-Url"] == "false"


def test_a_page_load_of_a_gone_interaction_is_the_workspace_saying_so():
    gone = someone_elses()
    response = sign_in(AgentFactory().username, PASSWORD).get(f"/workspace/interactions/{gone.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'aria-label="My interactions"' in body and GONE in body
    assert 'id="page-notice"' in body


def test_a_404_without_htmx_is_left_alone():
    ana = sign_in(AgentFactory().username, PASSWORD)
    response = ana.get("/workspace/contacts/999999/")
    assert response.status_code == 404 and "gone-notice" not in response.content.decode()


def test_an_htmx_request_without_a_session_sends_the_whole_page_to_the_login():
    response = Client().get("/workspace/interactions/", headers=HX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fworkspace%2Finteractions%2F7%2F"
    board = Client().get("/admin/board/queue/", headers={**HX, "HX-Current-URL": "http://testserver/admin/board/"})
    assert board["HX-Redirect"] == "/admin/login/?next=%2Fadmin%2Fboard%2F"
    # Without htmx, Django's own redirect; a Current-URL on another site is not followed.
    assert Client().get("/workspace/interactions/").status_code == 302
    foreign = Client().get("/workspace/", headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"})
    assert foreign["HX-Redirect"] == "/accounts/login/?next=%2Fworkspace%2F"


def test_accept_pushes_the_interaction_url_and_a_refusal_keeps_the_centre():
    ana = AgentFactory()
    ChannelPresence.objects.create(agent=ana, channel="chat", ready=True, since=timezone.now())
    first, second = InboundDMFactory().interaction, InboundDMFactory().interaction
    routing.route_queue()
    client = sign_in(ana.username, PASSWORD)
    offer = Offer.objects.get(interaction=first, agent=ana)
    response = client.post(f"/workspace/offers/{offer.pk}/accept/", headers=HX)
    assert response.status_code == 200 and response["HX-Push-Url"] == f"/workspace/interactions/{first.pk}/"
    assert "HX-Request" in response["Vary"]  # the same URL answers a page load with the whole workspace

    routing.route_queue()
    expired = Offer.objects.get(interaction=second, agent=ana)
    with time_machine.travel(expired.expires_at + timedelta(seconds=1)):
        assert services.offer_expire(offer_id=expired.pk)
    refused = client.post(f"/workspace/offers/{expired.pk}/accept/", headers=HX)
    assert refused.status_code == 409 and refused["HX-Retarget"] == "#page-notice"
    assert "HX-Push-Url" not in refused


def test_mark_done_pushes_the_workspace_url():
    ana = AgentFactory()
    ended = InteractionFactory(agent=ana, state="ended", accepted_at=timezone.now(), ended_at=timezone.now())
    label = Label.objects.create(name="Resolved")
    response = sign_in(ana.username, PASSWORD).post(
        f"/workspace/interactions/{ended.pk}/done/", {"disposition": label.pk, "note": ""}, headers=HX
    )
    assert response.status_code == 200 and response["HX-Push-Url"] == "/workspace/"
