"""python -m bench.latency [N] — a customer's DM to an offer on the agent's screen, end to end, N times.

Each event: the X Activity API webhook POST (signed, one dm.received from a new customer) to Perch on a live Daphne
process → ingest in the request → on commit a routing task through Redis to a real Celery worker (prefork, one
child) → Offer to the one Ready agent → on commit the push through the channel layer → the agent's websocket,
opened with a signed-in session. The clock stops when the websocket hears `interaction.offered`. A thread then
accepts, ends and marks the interaction done (services, as the agent's clicks would) while the next event runs, so
capacity frees.
Baseline in the same run: a raw Redis PUBLISH → SUBSCRIBE round trip.
"""

import hashlib
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench._common import (
    celery_workers,
    daphne,
    flush_redis,
    quiet_queue,
    report,
    session_cookie,
    setup_django,
    spread,
)

TARGET_P95_MS = 300


def dm_delivery(*, brand: str, customer: str, event_id: str, text: str) -> bytes:
    """A dm.received delivery as X sends it: the envelope, one message_create event and its users."""
    return json.dumps({"data": {
        "event_uuid": f"-{event_id[-18:]}", "filter": {"user_id": brand}, "event_type": "dm.received",
        "payload": {
            "direct_message_events": [{
                "type": "message_create", "id": event_id, "created_timestamp": str(int(time.time() * 1000)),
                "message_create": {"target": {"recipient_id": brand}, "sender_id": customer,
                                   "message_data": {"text": text, "entities": {}}},
            }],
            "users": {customer: {"data": {"id": customer, "name": f"Customer {customer[-4:]}",
                                          "username": f"cust{customer[-6:]}"}}},
        },
    }}).encode()  # fmt: skip


def raw_pubsub(n: int) -> list[float]:
    import os

    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe("bench:latency")
    pubsub.get_message(timeout=1)
    times = []
    for i in range(n):
        start = time.perf_counter()
        client.publish("bench:latency", str(i))
        while pubsub.get_message(timeout=5) is None:
            pass
        times.append(time.perf_counter() - start)
    pubsub.close()
    return times


def close(interaction_id: int, agent) -> None:
    from interactions import services

    services.interaction_accept(interaction_id=interaction_id, agent=agent)
    services.interaction_end(interaction_id=interaction_id, agent=agent)
    services.interaction_mark_done(interaction_id=interaction_id, agent=agent)


def main(n: int = 1000) -> None:
    setup_django()
    import requests
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from websockets.sync.client import connect

    from social.models import XAccount
    from social.webhooks import signature
    from workspace.agents.models import AgentProfile, ChannelPresence

    flush_redis()
    quiet_queue()
    run = int(time.time()) % 100_000
    brand = str(1_810_000_000_000_000_000 + run)
    account = XAccount.objects.create(
        name=f"Latency {run}", handle=f"latency{run}", x_user_id=brand, consumer_key="k",
        consumer_secret=f"secret-{run}", access_token=f"{brand}-t", access_token_secret="s", mode="webhook",
    )  # fmt: skip
    agent = get_user_model().objects.create_user(username=f"bench-latency-{run}", first_name="Lea")
    AgentProfile.objects.create(user=agent, chat_capacity=3)
    ChannelPresence.objects.create(agent=agent, channel="chat", ready=True, since=timezone.now())
    cookie = session_cookie(agent)

    times, missed = [], 0
    # The agent's Accept / End / Mark Done run beside the next event, as a real agent works while others arrive.
    closer = ThreadPoolExecutor(max_workers=1)
    with daphne() as (base, _), celery_workers(1, concurrency=1):
        http = requests.Session()
        url = f"{base}{account.webhook_path}"
        ws_url = base.replace("http", "ws") + "/ws/workspace/"
        with connect(ws_url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": base}) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            for i in range(n + 5):  # the first five warm the processes up and are not counted
                customer = str(1_960_000_000_000_000_000 + run * 10_000 + i)
                body = dm_delivery(brand=brand, customer=customer, event_id=str(2_000_000_000_000_000_000 + run
                                   * 10_000 + i), text=f"Hi, order {hashlib.md5(customer.encode()).hexdigest()[:6]}"
                                   " is late")  # fmt: skip
                start = time.perf_counter()
                response = http.post(url, data=body, timeout=30, headers={
                    "Content-Type": "application/json", "X-Twitter-Webhooks-Signature": signature(
                        account.consumer_secret, body)})  # fmt: skip
                assert response.status_code == 200 and response.json()["stored"] == 1, response.text
                offered = None
                deadline = time.monotonic() + 30
                while offered is None and time.monotonic() < deadline:
                    event = json.loads(ws.recv(timeout=30))
                    if event.get("type") == "interaction.offered":
                        offered = event
                if offered is None:
                    missed += 1
                    continue
                if i >= 5:
                    times.append(time.perf_counter() - start)
                closer.submit(close, offered["interaction_id"], agent)
            closer.shutdown(wait=True)
    raw = raw_pubsub(n)
    perch, baseline = spread(times), spread(raw)
    ok = perch["p95_ms"] < TARGET_P95_MS and not missed
    line = (
        f"latency: webhook → offer on the websocket p50 {perch['p50_ms']:,.0f} / p95 {perch['p95_ms']:,.0f} / "
        f"p99 {perch['p99_ms']:,.0f} ms over {len(times):,} events = {perch['p95_ms'] / baseline['p95_ms']:,.0f}x "
        f"a raw Redis PUBLISH→SUBSCRIBE (p95 {baseline['p95_ms']:.2f} ms); Celery worker (prefork, 1 child), "
        f"1 Daphne (target p95 < {TARGET_P95_MS} ms) — {'met' if ok else 'MISSED'}"
    )
    headers = ["path", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows = [
        ["webhook POST → offer on websocket", perch["n"], perch["p50_ms"], perch["p95_ms"], perch["p99_ms"],
         perch["max_ms"]],
        ["raw Redis PUBLISH → SUBSCRIBE", baseline["n"], baseline["p50_ms"], baseline["p95_ms"], baseline["p99_ms"],
         baseline["max_ms"]],
    ]  # fmt: skip
    report("latency", line, {"events": n, "missed": missed, "perch": perch, "raw_redis_pubsub": baseline,
                             "tasks": "celery worker, prefork, concurrency 1", "target_met": ok},
           (headers, rows))  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
