"""Redis restarted in the middle of traffic: /healthz says degraded while it is down and recovers by itself, the
events keep being stored (the database is the truth), pushes resume for the reconnected tab, and agent B never
gets agent A's pushes. The test runs its own redis-server, so the suite's Redis is never touched."""

import subprocess
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.cache import cache
from django.test import Client

from interactions.models import Interaction, InteractionState, Message
from social import budget
from social.webhooks import signature
from tests.factories import PASSWORD, AgentFactory, XAccountFactory
from tests.faults.x_events import BRAND, delivery, event
from tests.helpers import sign_in
from workspace.infra import tabs
from workspace.infra.embedded_redis import command as redis_command
from workspace.infra.redis_urls import channels_host

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ORIGIN, HOST = (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")


class PrivateRedis:
    def __init__(self, socket):
        self.socket, self.process = socket, None

    def start(self):
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(redis_command(self.socket), stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
            time.sleep(0.02)

    def stop(self):
        self.process.kill()
        self.process.wait(timeout=10)
        self.socket.unlink(missing_ok=True)


@pytest.fixture
def private_redis(settings):
    redis = PrivateRedis(settings.VAR_DIR / "faults-redis.sock")
    redis.start()
    url = f"unix://{redis.socket}"
    settings.REDIS_URL = url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    settings.CHANNEL_LAYERS = {"default": {**settings.CHANNEL_LAYERS["default"],
                                           "CONFIG": {"hosts": [channels_host(url)], "prefix": "perch"}}}  # fmt: skip
    tabs._redis.cache_clear(), budget._redis.cache_clear()
    yield redis
    redis.stop()
    tabs._redis.cache_clear(), budget._redis.cache_clear()


def test_redis_restarted_during_traffic_loses_no_event_and_pushes_resume(private_redis, figures):
    account = XAccountFactory(x_user_id=BRAND, handle="acme", consumer_secret="test", mode="webhook")
    agent_a, agent_b = AgentFactory(), AgentFactory()
    cookies = {agent: (b"cookie", f"sessionid={sign_in(agent.username, PASSWORD).cookies['sessionid'].value}".encode())
               for agent in (agent_a, agent_b)}  # fmt: skip
    webhook, health = Client(), Client()
    statuses = []

    def deliver(n: int) -> None:
        body = delivery(event(n * 3))  # always the same customer: one thread, worked by agent A
        response = webhook.post(account.webhook_path, body, content_type="application/json",
                                headers={"x-twitter-webhooks-signature": signature("test", body)})  # fmt: skip
        statuses.append(response.status_code)
        if n == 0:
            Interaction.objects.update(agent=agent_a, state=InteractionState.ACTIVE)

    def redis_check() -> tuple[int, str]:
        response = health.get("/healthz")
        return response.status_code, response.json()["checks"]["redis"]

    async def tab(agent):
        from channels.testing import WebsocketCommunicator

        from workspace.asgi import application

        communicator = WebsocketCommunicator(application, "/ws/workspace/", headers=[ORIGIN, HOST, cookies[agent]])
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        hello = await communicator.receive_json_from(timeout=5)
        return communicator, hello

    async def drain(communicator) -> list[dict]:
        pushes = []
        while not await communicator.receive_nothing(timeout=0.3):
            pushes.append(await communicator.receive_json_from(timeout=1))
        return pushes

    async def scenario():
        tab_a, _ = await tab(agent_a)
        tab_b, _ = await tab(agent_b)
        for n in range(50):
            await sync_to_async(deliver)(n)
        before = [p for p in await drain(tab_a) if p["type"] == "message.created"]
        assert await drain(tab_b) == []

        await sync_to_async(private_redis.stop)()
        down = await sync_to_async(redis_check)()
        for n in range(50, 100):  # X keeps delivering while Redis is down
            await sync_to_async(deliver)(n)
        await sync_to_async(private_redis.start)()
        deadline, up = time.monotonic() + 15, None
        while time.monotonic() < deadline:  # nobody restarts Perch: it must come back by itself
            up = await sync_to_async(redis_check)()
            if up[1] == "ok":
                break
        for communicator in (tab_a, tab_b):  # the browser's socket broke with Redis; it reconnects
            try:
                await communicator.disconnect(timeout=2)
            except Exception:
                pass
        tab_a, hello_a = await tab(agent_a)
        tab_b, _ = await tab(agent_b)
        for n in range(100, 200):
            await sync_to_async(deliver)(n)
        after = [p for p in await drain(tab_a) if p["type"] == "message.created"]
        leaked = await drain(tab_b)
        await tab_a.disconnect()
        await tab_b.disconnect()
        return before, down, up, hello_a, after, leaked

    before, down, up, hello_a, after, leaked = async_to_sync(scenario)()
    assert len(before) == 49  # the first DM opens the thread: nobody works it yet
    assert down[0] == 503 and down[1].startswith("error"), down
    assert up[1] == "ok", up
    assert "hello" == hello_a["type"]  # the page resyncs everything it shows on this hello
    assert len(after) == 100 and leaked == []
    assert set(statuses) == {200}, "X would have had to redeliver"
    stored = Message.objects.filter(x_account=account).count()
    distinct = len(set(Message.objects.values_list("external_id", flat=True)))
    figures.record(
        "redis restart",
        sent=200,
        stored=stored,
        duplicated=stored - distinct,
        extra=f"pushes before {len(before)}, after {len(after)}; 50 sent while down, read by resync",
    )
    assert cache.get("perch:nothing") is None  # the cache works again too
