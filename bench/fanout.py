"""python -m bench.fanout [AGENTS] [ROUNDS] — many agents' websockets on one Daphne process, pushes fanned out.

AGENTS agents (1,000 by default) each open the workspace websocket with a signed-in session, all on one live Daphne
process. Then ROUNDS times, Perch's own push (workspace.infra.push: a sequence number from Redis, then the channel
layer's group_send to `agent.<id>`) sends `interaction.offered` and `message.created` to every agent's group; each
event carries the time it was sent and every websocket records when it arrived. Memory per connection is the RSS
growth of the Daphne process between one connection and all of them. Baseline in the same run: a raw channel-layer
group_send → receive round trip in this process (no Daphne, no websocket).
"""

import asyncio
import json
import sys
import time

from bench._common import daphne, flush_redis, raise_fd_limit, report, setup_django, spread

TARGET_P99_MS = 1000  # every agent hears a push within a second, with all of them online


def make_agents(count: int, run: int) -> list[str]:
    """`count` agents with a signed-in session each (sessions written directly, as a login would)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from workspace.agents.models import AgentProfile

    User = get_user_model()
    users = User.objects.bulk_create(User(username=f"bench-fan-{run}-{i}", password="!") for i in range(count))
    AgentProfile.objects.bulk_create(AgentProfile(user=user) for user in users)
    cookies = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(session.session_key)
    return [(user.pk, key) for user, key in zip(users, cookies, strict=True)]


async def open_sockets(ws_url: str, origin: str, agents, at_once: int = 50):
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(at_once)
    sockets = {}

    async def one(agent_id, cookie):
        async with gate:
            ws = await connect(ws_url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": origin},
                               open_timeout=60, ping_interval=None, max_queue=None)  # fmt: skip
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            assert hello["type"] == "hello" and hello["agent_id"] == agent_id, hello
            sockets[agent_id] = ws

    await asyncio.gather(*(one(agent_id, cookie) for agent_id, cookie in agents))
    return sockets


async def listen(ws, delays: list[float], expected: int) -> None:
    for _ in range(expected):
        event = json.loads(await asyncio.wait_for(ws.recv(), 120))
        delays.append(time.time() - event["sent_at"])


def push_rounds(agent_ids: list[int], rounds: int) -> float:
    """Perch's push to every agent, ROUNDS times each of two event types; returns the seconds it took to send."""
    from workspace.infra.push import _send, agent_group

    start = time.perf_counter()
    for r in range(rounds):
        for event_type in ("interaction.offered", "message.created"):
            for agent_id in agent_ids:
                _send(agent_group(agent_id), {"type": event_type, "interaction_id": r, "sent_at": time.time()})
    return time.perf_counter() - start


async def raw_group_send(n: int) -> list[float]:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("bench.raw", channel)
    times = []
    for i in range(n):
        start = time.perf_counter()
        await layer.group_send("bench.raw", {"type": "bench.ping", "i": i})
        await layer.receive(channel)
        times.append(time.perf_counter() - start)
    await layer.group_discard("bench.raw", channel)
    return times


async def run_fanout(base: str, pid: int, agents, rounds: int) -> dict:
    import psutil

    daphne_process = psutil.Process(pid)
    ws_url, origin = base.replace("http", "ws") + "/ws/workspace/", base
    first = await open_sockets(ws_url, origin, agents[:1])
    await asyncio.sleep(1)
    rss_one = daphne_process.memory_info().rss
    start = time.perf_counter()
    sockets = {**first, **await open_sockets(ws_url, origin, agents[1:])}
    connect_seconds = time.perf_counter() - start
    await asyncio.sleep(2)
    rss_all = daphne_process.memory_info().rss
    delays: list[float] = []
    listeners = [asyncio.create_task(listen(ws, delays, 2 * rounds)) for ws in sockets.values()]
    send_seconds = await asyncio.to_thread(push_rounds, list(sockets), rounds)
    await asyncio.gather(*listeners)
    for ws in sockets.values():
        await ws.close()
    raw = await raw_group_send(1000)
    return {"connections": len(sockets), "connect_seconds": connect_seconds, "rss_one": rss_one, "rss_all": rss_all,
            "delays": delays, "send_seconds": send_seconds, "raw": raw}  # fmt: skip


def main(count: int = 1000, rounds: int = 3) -> None:
    raise_fd_limit(count * 2 + 1024)
    setup_django()
    flush_redis()
    run = int(time.time()) % 100_000
    agents = make_agents(count, run)
    with daphne() as (base, process):
        found = asyncio.run(run_fanout(base, process.pid, agents, rounds))
    flush_redis()  # the ghost checks the closing tabs scheduled: no worker consumes them here
    perch, raw = spread(found["delays"]), spread(found["raw"])
    per_connection_kb = (found["rss_all"] - found["rss_one"]) / max(1, found["connections"] - 1) / 1024
    deliveries = len(found["delays"])
    ok = perch["p99_ms"] < TARGET_P99_MS and deliveries == count * rounds * 2
    line = (
        f"fanout: {found['connections']:,} websockets on 1 Daphne, {deliveries:,} pushes delivered p50 "
        f"{perch['p50_ms']:,.0f} / p99 {perch['p99_ms']:,.0f} ms = {perch['p99_ms'] / raw['p99_ms']:,.0f}x a raw "
        f"channel-layer group_send round trip (p99 {raw['p99_ms']:.2f} ms); {per_connection_kb:,.0f} KB RSS per "
        f"connection (target p99 < {TARGET_P99_MS:,} ms) — {'met' if ok else 'MISSED'}"
    )
    headers = ["measure", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows = [
        ["push → websocket (Perch _send, 1 Daphne)", perch["n"], perch["p50_ms"], perch["p95_ms"], perch["p99_ms"],
         perch["max_ms"]],
        ["raw channel layer group_send → receive", raw["n"], raw["p50_ms"], raw["p95_ms"], raw["p99_ms"],
         raw["max_ms"]],
    ]  # fmt: skip
    figures = {
        "agents": count, "rounds": rounds, "connections": found["connections"],
        "connect_seconds": found["connect_seconds"], "send_seconds": found["send_seconds"],
        "sends_per_second": deliveries / found["send_seconds"], "daphne_rss_one_mb": found["rss_one"] / 2**20,
        "daphne_rss_all_mb": found["rss_all"] / 2**20, "rss_per_connection_kb": per_connection_kb,
        "perch": perch, "raw_group_send": raw, "target_met": ok,
    }  # fmt: skip
    report("fanout", line, figures, (headers, rows))
    print(
        f"  connect {found['connections']:,} sockets: {found['connect_seconds']:.1f} s; Daphne RSS "
        f"{found['rss_one'] / 2**20:,.0f} → {found['rss_all'] / 2**20:,.0f} MB; pushes sent at "
        f"{deliveries / found['send_seconds']:,.0f}/s"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
