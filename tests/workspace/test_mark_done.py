"""Mark Done asks how the conversation ended: nothing is picked for the agent (a pre-selected first label filed
every quick Mark Done as "Escalated"), a missing disposition is refused in words, and once done the agent is back
on /workspace/ with the right panel reset."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from interactions.models import Label
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


@pytest.fixture
def labels():
    return [Label.objects.create(name=name) for name in ("Escalated", "Refund issued", "Resolved")]


def ended_chat(agent):
    interaction = InteractionFactory(
        agent=agent, contact=ContactFactory(display_name="Lucía Fernández"), state="ended",
        accepted_at=timezone.now(), ended_at=timezone.now(),
    )  # fmt: skip
    InboundDMFactory(interaction=interaction, text="Thanks, that is all")
    return interaction


def disposition_select(html: str) -> str:
    match = re.search(r'<select[^>]*name="disposition"[^>]*>.*?</select>', html, re.S)
    assert match, "the Mark Done form has no disposition select"
    return match.group(0)


def test_the_disposition_starts_on_choose_and_is_required(client, ana, labels):
    interaction = ended_chat(ana)
    html = client.get(reverse("workspace:interaction", args=[interaction.pk]), headers=HX).content.decode()
    select = disposition_select(html)
    assert " required" in select.split(">", 1)[0]  # the browser asks before anything is sent
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select)
    assert options[0] == (' value="" selected', "Choose…")
    assert [text for _, text in options[1:]] == ["Escalated", "Refund issued", "Resolved"]
    assert not any("selected" in attrs for attrs, _ in options[1:])  # nothing is picked for the agent
    assert "checked" not in html.split('class="mark-done"', 1)[1]


@pytest.mark.parametrize("posted", [{}, {"disposition": ""}])
def test_mark_done_without_a_disposition_is_refused_in_words(client, ana, labels, posted):
    interaction = ended_chat(ana)
    url = reverse("workspace:interaction_done", args=[interaction.pk])
    response = client.post(url, {**posted, "note": "Rebooked on the 10:40"}, headers=HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Pick a disposition: how did this conversation end?" in html
    assert html.count("Pick a disposition") == 1  # said once, in the form
    assert "Rebooked on the 10:40" in html  # the note the agent wrote is kept
    assert disposition_select(html)  # the form is back, where the agent was
    interaction.refresh_from_db()
    assert (interaction.state, interaction.disposition) == ("ended", None)


def test_a_refused_mark_done_keeps_the_disposition_the_agent_picked(client, ana, labels):
    interaction = ended_chat(ana)
    url = reverse("workspace:interaction_done", args=[interaction.pk])
    response = client.post(url, {"disposition": labels[1].pk, "note": "x\x00"}, headers=HX)
    assert response.status_code == 422
    select = disposition_select(response.content.decode())
    assert re.search(rf'<option value="{labels[1].pk}" selected>Refund issued</option>', select)
    assert '<option value="">Choose…</option>' in select


def test_mark_done_returns_the_agent_to_the_workspace_and_resets_the_right_panel(client, ana, labels):
    interaction = ended_chat(ana)
    url = reverse("workspace:interaction_done", args=[interaction.pk])
    response = client.post(url, {"disposition": labels[2].pk, "note": ""}, headers=HX)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == reverse("workspace:home")
    html = response.content.decode()
    assert "Closed as <strong>Resolved</strong>" in html
    # The right panel no longer shows the contact of a conversation that is over.
    assert re.search(r'<div id="details" hx-swap-oob="innerHTML">\s*<p class="muted">Pick an interaction', html)
    assert re.search(r'<div id="conversation-panel" hx-swap-oob="innerHTML">\s*<p class="muted">Pick an', html)
    assert "Lucía" not in html
    interaction.refresh_from_db()
    assert (interaction.state, interaction.disposition) == ("done", labels[2])


def test_without_any_labels_mark_done_needs_no_disposition(client, ana):
    interaction = ended_chat(ana)
    html = client.get(reverse("workspace:interaction", args=[interaction.pk]), headers=HX).content.decode()
    assert 'name="disposition"' not in html  # nothing to choose from: a supervisor has made no labels yet
    response = client.post(reverse("workspace:interaction_done", args=[interaction.pk]), {"note": ""}, headers=HX)
    assert response.status_code == 200
    interaction.refresh_from_db()
    assert (interaction.state, interaction.disposition) == ("done", None)
