"""Ready / Not Ready with reasons, and agents whose tabs are all gone become Not Ready (no ghosts)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from interactions import presence
from interactions.presence import presence_grace_seconds
from interactions.tasks import presence_ghost_check, sign_out_ghosts
from tests.factories import PASSWORD, AgentFactory
from tests.helpers import sign_in
from workspace.agents.models import ChannelPresence
from workspace.infra import tabs

pytestmark = pytest.mark.django_db


def test_going_not_ready_with_a_reason_from_the_header():
    agent = AgentFactory()
    client = sign_in(agent.username, PASSWORD)
    client.post("/workspace/presence/", {"channel": "twitter", "ready": "1"}, headers={"HX-Request": "true"})
    header = client.get("/workspace/presence/").content.decode()
    assert "Not Ready — Break" in header and "Not Ready — After-call work" in header
    response = client.post("/workspace/presence/", {"channel": "twitter", "ready": "0", "reason": "break"},
                           headers={"HX-Request": "true"})  # fmt: skip
    row = ChannelPresence.objects.get(agent=agent, channel="twitter")
    assert (row.ready, row.reason) == (False, "break")
    assert '<span class="reason">Break</span>' in response.content.decode()


def test_an_agent_whose_tabs_all_closed_goes_not_ready_after_the_grace_period():
    agent = AgentFactory()
    presence.presence_set(agent=agent, channel="chat", ready=True)
    presence.presence_set(agent=agent, channel="twitter", ready=True)
    tabs.tab_alive(agent.pk, "tab-1")
    tabs.tab_closed(agent.pk, "tab-1")
    assert presence_ghost_check(agent.pk) is False  # still within the grace period (a reload, say)
    with time_machine.travel(timezone.now() + timedelta(seconds=presence_grace_seconds() + 1)):
        assert presence_ghost_check(agent.pk) is True
    presences = ChannelPresence.objects.filter(agent=agent)
    assert {(p.ready, p.reason) for p in presences} == {(False, "offline")}


def test_an_open_tab_keeps_the_agent_ready():
    agent = AgentFactory()
    presence.presence_set(agent=agent, channel="chat", ready=True)
    tabs.tab_closed(agent.pk, "old-tab")
    tabs.tab_alive(agent.pk, "new-tab")
    with time_machine.travel(timezone.now() + timedelta(seconds=presence_grace_seconds() + 1)):
        assert presence_ghost_check(agent.pk) is False
    assert ChannelPresence.objects.get(agent=agent).ready
    tabs.tab_closed(agent.pk, "new-tab")


def test_agents_whose_web_process_died_are_signed_out_by_the_sweep():
    ghost, present, fresh = AgentFactory(), AgentFactory(), AgentFactory()
    for agent in (ghost, present):
        presence.presence_set(agent=agent, channel="chat", ready=True)
    tabs.tab_alive(present.pk, "tab-of-present")  # pings every 20 s
    # The ghost's web process died: its tab never said goodbye, and the tab's liveness key lapsed.
    with time_machine.travel(timezone.now() + timedelta(seconds=presence_grace_seconds() + 1)):
        presence.presence_set(agent=fresh, channel="chat", ready=True)  # just went Ready: its socket is connecting
        assert sign_out_ghosts() == 1
    ready = dict(ChannelPresence.objects.values_list("agent_id", "ready"))
    assert ready == {ghost.pk: False, present.pk: True, fresh.pk: True}
    assert ChannelPresence.objects.get(agent=ghost).reason == "offline"
    tabs.tab_closed(present.pk, "tab-of-present")
