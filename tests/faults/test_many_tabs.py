"""Many workspace tabs connecting at the same moment (a shift starting, or every tab reconnecting after a network
blip) to one web process: every one is accepted and gets its pushes. redis-py's asyncio pool used to stop at 100
connections and answer the rest with "Too many connections" (a 500 on the websocket handshake)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from tests.factories import AgentFactory
from workspace.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

TABS = 160


def session_for(user) -> bytes:
    session = SessionStore()
    session.update({"_auth_user_id": str(user.pk), "_auth_user_hash": user.get_session_auth_hash(),
                    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})  # fmt: skip
    session.create()
    return f"sessionid={session.session_key}".encode()


def test_160_tabs_connecting_at_once_are_all_accepted_and_get_their_pushes():
    agents = [AgentFactory() for _ in range(TABS)]
    cookies = [session_for(agent) for agent in agents]

    async def scenario():
        page = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
        tabs = [WebsocketCommunicator(application, "/ws/workspace/", headers=[*page, (b"cookie", cookie)])
                for cookie in cookies]  # fmt: skip
        results = await asyncio.gather(*(tab.connect(timeout=30) for tab in tabs), return_exceptions=True)
        accepted = [tab for tab, result in zip(tabs, results, strict=True)
                    if not isinstance(result, BaseException) and result[0]]  # fmt: skip
        for tab in accepted:
            await tab.receive_json_from(timeout=10)  # hello
        layer = get_channel_layer()
        await asyncio.gather(*(layer.group_send(f"agent.{agent.pk}", {"type": "interaction.offered",
                                                                      "interaction_id": agent.pk, "seq": 1})
                               for agent in agents))  # fmt: skip
        got = [(await tab.receive_json_from(timeout=10))["interaction_id"] for tab in accepted]
        for tab in accepted:
            await tab.disconnect()
        return len(accepted), got

    accepted, got = async_to_sync(scenario)()
    assert accepted == TABS
    assert got == [agent.pk for agent in agents]  # each tab its own agent's push, none lost
