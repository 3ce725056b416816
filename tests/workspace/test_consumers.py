"""/ws/workspace/ through the real ASGI stack (origin check, session auth) and the real Redis channel layer."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from tests.factories import PASSWORD, AgentFactory, UserFactory
from tests.helpers import sign_in
from workspace.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

HOST = (b"host", b"127.0.0.1")
PAGE = [(b"origin", b"http://127.0.0.1"), HOST]  # a tab of http://127.0.0.1/workspace/: its origin, the host it asks


def session_cookie(user) -> tuple[bytes, bytes]:
    client = sign_in(user.username, PASSWORD)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def connect(headers):
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
        connected, code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected, code

    return async_to_sync(scenario)()


def test_anonymous_browser_is_refused():
    connected, code = connect(PAGE)
    assert not connected and code == 4401


def test_a_signed_in_user_who_is_not_an_agent_is_refused_like_on_the_pages():
    connected, code = connect([*PAGE, session_cookie(UserFactory())])
    assert not connected and code == 4403
    connected, _ = connect([*PAGE, session_cookie(UserFactory(is_staff=True))])  # staff may look around
    assert connected


def test_foreign_origin_is_refused_even_with_a_valid_session():
    agent = AgentFactory()
    connected, _ = connect([(b"origin", b"https://evil.example"), HOST, session_cookie(agent)])
    assert not connected


def test_agent_is_accepted_and_receives_pushes_to_their_group_only():
    agent, other = AgentFactory(), AgentFactory()
    headers = [*PAGE, session_cookie(agent)]

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        hello = await communicator.receive_json_from(timeout=5)
        layer = get_channel_layer()
        await layer.group_send(f"agent.{other.pk}", {"type": "interaction.offered", "interaction_id": 99, "seq": 1})
        await layer.group_send(f"agent.{agent.pk}", {"type": "interaction.offered", "interaction_id": 42, "seq": 2})
        pushed = await communicator.receive_json_from(timeout=5)
        nothing_else = await communicator.receive_nothing(timeout=0.3)
        await communicator.send_json_to({"type": "ping"})
        pong = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return hello, pushed, nothing_else, pong

    hello, pushed, nothing_else, pong = async_to_sync(scenario)()
    assert hello["type"] == "hello" and hello["agent_id"] == agent.pk and isinstance(hello["seq"], int)
    assert pushed == {"type": "interaction.offered", "interaction_id": 42, "seq": 2}
    assert nothing_else, "a push to another agent's group reached this agent"
    assert pong == {"type": "pong"}


def test_a_burst_of_tabs_joining_and_leaving_at_once_is_not_refused_by_the_redis_pool():
    """bench/fanout.py: 1,000 tabs closing at once on one Daphne failed `group_discard` with redis-py's
    "Too many connections" (its asyncio pool stops at 100 by default and refuses, not waits)."""
    layer = get_channel_layer()

    async def scenario():
        import asyncio

        channels = [await layer.new_channel() for _ in range(300)]
        await asyncio.gather(*(layer.group_add("agent.burst", channel) for channel in channels))
        await layer.group_send("agent.burst", {"type": "interaction.offered", "seq": 1})
        received = await asyncio.gather(*(layer.receive(channel) for channel in channels))
        await asyncio.gather(*(layer.group_discard("agent.burst", channel) for channel in channels))
        return received

    received = async_to_sync(scenario)()
    assert len(received) == 300 and {event["type"] for event in received} == {"interaction.offered"}
