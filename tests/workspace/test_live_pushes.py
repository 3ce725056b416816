"""Live pushes through the real stack: both tabs hear an offer; a reconnecting tab learns it missed events."""

import asyncio
import os

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from interactions import routing
from tests.factories import PASSWORD, AgentFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.agents.models import ChannelPresence
from workspace.asgi import application
from workspace.infra import push

pytestmark = pytest.mark.django_db(transaction=True)


def tab_headers(client):
    return [
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]


def test_both_tabs_get_the_offer_and_a_reconnecting_tab_is_told_to_resync():
    agent = AgentFactory()
    ChannelPresence.objects.create(agent=agent, channel="chat", ready=True, since=timezone.now())
    client = sign_in(agent.username, PASSWORD)
    headers = tab_headers(client)

    async def scenario():
        tabs = [WebsocketCommunicator(application, "/ws/workspace/", headers=headers) for _ in range(2)]
        hellos = []
        for tab in tabs:
            assert (await tab.connect(timeout=5))[0]
            hellos.append(await tab.receive_json_from(timeout=5))
        interaction = await database_sync_to_async(InteractionFactory)()
        await database_sync_to_async(routing.route_queue)()
        offers = [await tab.receive_json_from(timeout=5) for tab in tabs]
        await tabs[1].disconnect()

        # While the second tab is away, another offer arrives.
        await database_sync_to_async(InteractionFactory)()
        await database_sync_to_async(routing.route_queue)()
        missed = await tabs[0].receive_json_from(timeout=5)

        again = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
        assert (await again.connect(timeout=5))[0]
        hello = await again.receive_json_from(timeout=5)
        await again.send_json_to({"type": "resync", "since": offers[1]["seq"]})
        answer = await again.receive_json_from(timeout=5)
        await again.disconnect()
        await tabs[0].disconnect()
        return interaction, hellos, offers, missed, hello, answer

    interaction, hellos, offers, missed, hello, answer = async_to_sync(scenario)()
    assert [o["type"] for o in offers] == ["interaction.offered", "interaction.offered"]
    assert offers[0]["interaction_id"] == offers[1]["interaction_id"] == interaction.pk
    assert offers[0]["seq"] == offers[1]["seq"] == hellos[0]["seq"] + 1
    assert missed["seq"] == offers[0]["seq"] + 1
    assert hello["seq"] == missed["seq"] > offers[1]["seq"]  # the page sees the gap…
    assert answer == {"type": "resync", "seq": missed["seq"]}  # …and re-fetches everything it shows
    fresh = client.get("/workspace/offers/").content.decode()
    assert fresh.count('class="toast"') == 2  # what a fresh page load shows: both offers


def test_a_contact_writing_again_is_announced_to_their_own_agent_even_when_not_ready():
    from tests.factories import ContactFactory

    owner = AgentFactory()
    other = AgentFactory()
    ChannelPresence.objects.create(agent=other, channel="chat", ready=True, since=timezone.now())
    headers = tab_headers(sign_in(owner.username, PASSWORD))

    async def scenario():
        tab = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
        assert (await tab.connect(timeout=5))[0]
        await tab.receive_json_from(timeout=5)
        interaction = await database_sync_to_async(InteractionFactory)(contact=ContactFactory(assigned_agent=owner))
        await database_sync_to_async(routing.route_queue)()
        replied = await tab.receive_json_from(timeout=5)
        await tab.disconnect()
        return interaction, replied

    interaction, replied = async_to_sync(scenario)()
    assert replied["type"] == "notice.created" and replied["contact_id"] == interaction.contact_id
    assert not interaction.offers.exists()  # kept for the owner during the sticky wait, not given to `other`


def push_from_a_forked_child() -> int:
    """Forks as Celery's prefork pool does; the child pushes once and reports by its exit code."""
    child = os.fork()
    if child == 0:  # never return into pytest from the child
        try:
            push.group_send("agent.fork-test", {"type": "interaction.offered", "from": "child"})
            os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])


def test_pushes_from_a_process_forked_after_the_parent_pushed_still_arrive():
    """Celery forks its children from a parent that may have pushed already: each process keeps its own push loop,
    so a child's offer reaches the agent instead of waiting on a loop thread that did not survive the fork."""
    layer = get_channel_layer()

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add("agent.fork-test", channel)
        message = {"type": "interaction.offered", "from": "parent"}
        await sync_to_async(push.group_send)("agent.fork-test", message)
        first = await layer.receive(channel)
        exit_code = await sync_to_async(push_from_a_forked_child)()
        second = await asyncio.wait_for(layer.receive(channel), timeout=10)
        await layer.group_discard("agent.fork-test", channel)
        return first["from"], exit_code, second["from"]

    assert async_to_sync(scenario)() == ("parent", 0, "child")
