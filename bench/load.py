"""python -m bench.load [--agents 200] [--rate 20] [--duration 300] — Perch under a steady customer load.

Everything runs on 127.0.0.1 and stops by itself: a private redis-server (unix socket under var/load/), its own
database recreated each run (SQLite var/load/load.sqlite3; LOAD_DATABASE_URL=postgres://… for PostgreSQL — it needs
about 60 connections for 200 tabs), Daphne with the X sandbox, and one Celery worker. N agents are Ready on Chat
with a websocket each; the customer simulator DMs the brand at RATE events/s for DURATION seconds; the sandbox
delivers them by signed webhook.

It checks: every event stored once, every conversation offered to one Ready agent and that agent's socket got the
offer (and no other socket did), no websocket error, and the memory (RSS) of web and worker within bounds.
"""

import argparse
import asyncio
import base64
import json
import os
import secrets
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never anything else
WEB_RSS_BOUND_MB = 500
WORKER_RSS_BOUND_MB = 700
CUSTOMERS = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of a process and its children (Celery's pool), in MB."""
    try:
        root = psutil.Process(process.pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20
    except psutil.NoSuchProcess:
        return 0.0


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    import psycopg

    admin_url, name = url.rsplit("/", 1)
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- A websocket client small enough to read: RFC 6455 text frames, client frames masked ----------------------
async def ws_open(port: int, session: str):
    reader, writer = await asyncio.open_connection(HOST, port)
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    writer.write(
        f"GET /ws/workspace/ HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{HOST}:{port}\r\n"
        f"Cookie: sessionid={session}\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
    return reader, writer


async def ws_read(reader) -> tuple[int, bytes]:
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", await reader.readexactly(8))[0]
    return first & 0x0F, await reader.readexactly(length)


def ws_frame(text: str) -> bytes:
    data, mask = text.encode(), secrets.token_bytes(4)
    size = bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(data))
    return bytes([0x81]) + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class Tab:
    """One agent's workspace tab: counts the pushes it gets, pings like the page does."""

    def __init__(self, agent_id: int, session: str):
        self.agent_id, self.session = agent_id, session
        self.offers: list[int] = []
        self.errors: list[str] = []

    async def run(self, port: int, stop: asyncio.Event):
        try:
            reader, writer = await ws_open(port, self.session)
        except Exception as exc:
            self.errors.append(f"connect: {exc}")
            return
        last_ping = time.monotonic()
        try:
            while not stop.is_set():
                try:
                    opcode, payload = await asyncio.wait_for(ws_read(reader), timeout=1)
                except TimeoutError:
                    opcode = None
                if opcode == 0x8:
                    self.errors.append("closed by the server")
                    return
                if opcode == 0x1:
                    event = json.loads(payload)
                    if event.get("type") == "interaction.offered":
                        self.offers.append(event["interaction_id"])
                if time.monotonic() - last_ping > 20:
                    writer.write(ws_frame('{"type": "ping"}'))
                    last_ping = time.monotonic()
        except Exception as exc:
            self.errors.append(f"{exc.__class__.__name__}: {exc}")
        finally:
            writer.close()


def seed(args, port: int):
    """The brand on the sandbox, N Ready agents with a session each, the customers."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from interactions.presence import presence_set
    from social.models import XAccount
    from workspace.agents.models import AgentProfile

    api = f"http://{HOST}:{port}/x-sandbox/simulator/api"
    brand = requests.post(f"{api}/users", json={"username": "loadbrand", "name": "Load Air"}, timeout=10).json()
    secret = secrets.token_urlsafe(24)
    account = XAccount.objects.create(
        name="Load Air", handle="loadbrand", x_user_id=brand["id"], access_token=brand["access_token"],
        access_token_secret="s", consumer_key="k", consumer_secret=secret, mode=XAccount.Mode.WEBHOOK,
        api_base_url=f"http://{HOST}:{port}/x-sandbox", budget_overrides={"multiplier": 100},
    )  # fmt: skip
    hook = {"user_id": brand["id"], "url": f"http://{HOST}:{port}{account.webhook_path}", "consumer_secret": secret}
    requests.post(f"{api}/webhooks", json=hook, timeout=10).raise_for_status()
    wanted = min(CUSTOMERS, max(1, int(args.rate * args.duration)))
    tabs = []
    for n in range(args.agents):
        user = get_user_model().objects.create_user(f"load{n}", password=secrets.token_urlsafe(12))
        AgentProfile.objects.create(user=user, chat_capacity=max(5, 3 * wanted // args.agents))
        presence_set(agent=user, channel="chat", ready=True)
        session = SessionStore()
        session.update({"_auth_user_id": str(user.pk), "_auth_user_hash": user.get_session_auth_hash(),
                        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})  # fmt: skip
        session.create()
        tabs.append(Tab(user.pk, session.session_key))
    with requests.Session() as http:
        customers = [http.post(f"{api}/users", json={"username": f"cust{n}"}, timeout=10).json()["id"]
                     for n in range(wanted)]  # fmt: skip
    return brand["id"], tabs, customers


async def drive(api: str, brand_id: str, customers: list[str], rate: float, duration: float) -> tuple[int, int]:
    """DMs to the brand at `rate` per second (4 senders in threads); returns (sent, refused)."""
    sent = refused = 0
    session = requests.Session()

    def one(n: int) -> bool:
        body = {"sender_id": customers[n % len(customers)], "recipient_id": brand_id, "text": f"load event {n}"}
        return session.post(f"{api}/dm", json=body, timeout=30).status_code in (200, 201)

    start, n, pending = time.monotonic(), 0, set()
    while time.monotonic() - start < duration:
        due = start + n / rate
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        pending.add(asyncio.create_task(asyncio.to_thread(one, n)))
        n += 1
        if len(pending) >= 16:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            sent += sum(t.result() for t in done)
            refused += sum(not t.result() for t in done)
    for task in asyncio.as_completed(pending):
        ok = await task
        sent, refused = sent + ok, refused + (not ok)
    return sent, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--duration", type=float, default=300.0)
    args = parser.parse_args()

    var = ROOT / "var" / "load"
    var.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("LOAD_DATABASE_URL", f"sqlite:///{var / 'load.sqlite3'}")
    redis_socket = var / "redis.sock"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "workspace.settings", "DATABASE_URL": database_url,
           "REDIS_URL": f"unix://{redis_socket}", "PERCH_VAR_DIR": str(var), "X_SANDBOX_ENABLED": "True",
           "DEBUG": "True", "ALLOWED_HOSTS": HOST, "LOG_LEVEL": "WARNING", "X_SANDBOX_RATE_LIMIT_MULTIPLIER": "100",
           "DJANGO_ALLOW_ASYNC_UNSAFE": "true"}  # fmt: skip
    os.environ.update(env)
    fresh_database(database_url)

    from workspace.infra.embedded_redis import command as redis_command

    redis_socket.unlink(missing_ok=True)
    processes = {"redis": subprocess.Popen(redis_command(redis_socket), stdout=subprocess.DEVNULL)}
    port = free_port()
    try:
        while not redis_socket.exists():
            time.sleep(0.05)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        processes["web"] = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "workspace.asgi:application"], cwd=ROOT,
            env=env, stdout=subprocess.DEVNULL, stderr=(var / "web.log").open("w"),
        )  # fmt: skip
        processes["worker"] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workspace", "worker", "--concurrency=2", "--loglevel=WARNING",
             "--without-mingle", "--without-gossip"], cwd=ROOT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://{HOST}:{port}/accounts/login/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("Daphne did not start") from None
                time.sleep(0.3)

        import django

        django.setup()
        brand_id, tabs, customers = seed(args, port)
        figures = asyncio.run(run(args, port, brand_id, tabs, customers, processes))
    finally:
        for process in reversed(processes.values()):  # Redis last: the others still talk to it while stopping
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        redis_socket.unlink(missing_ok=True)
    from bench._common import report

    ok = figures["lost"] == 0 and figures["duplicated"] == 0 and not figures["errors"] and figures["misrouted"] == 0
    ok = ok and figures["web_rss_max_mb"] < WEB_RSS_BOUND_MB and figures["worker_rss_max_mb"] < WORKER_RSS_BOUND_MB
    line = (
        f"load: {args.agents} agent websockets, {figures['rate_achieved']:.1f} ev/s for {args.duration:.0f} s — "
        f"sent {figures['sent']}, stored {figures['stored']}, duplicated {figures['duplicated']}, lost "
        f"{figures['lost']}; conversations {figures['conversations']}, offered {figures['offered']} "
        f"({figures['offers']} offers with re-offers), offer pushes received {figures['offer_pushes']} (to the wrong "
        f"agent {figures['misrouted']}); websocket errors "
        f"{len(figures['errors'])}; RSS web ≤ {figures['web_rss_max_mb']:.0f} MB (bound {WEB_RSS_BOUND_MB}), "
        f"worker ≤ {figures['worker_rss_max_mb']:.0f} MB (bound {WORKER_RSS_BOUND_MB}) — {'met' if ok else 'NOT met'}"
    )
    report("load", line, {**figures, "agents": args.agents, "rate": args.rate, "duration": args.duration})
    sys.exit(0 if ok else 1)


async def run(args, port, brand_id, tabs, customers, processes) -> dict:
    from asgiref.sync import sync_to_async

    from interactions.models import Message, Offer

    stop = asyncio.Event()
    readers = [asyncio.create_task(tab.run(port, stop)) for tab in tabs]
    await asyncio.sleep(3)  # every tab connected and joined its group
    samples = {"web": [], "worker": []}

    async def sample():
        while not stop.is_set():
            samples["web"].append(rss_mb(processes["web"]))
            samples["worker"].append(rss_mb(processes["worker"]))
            await asyncio.sleep(5)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    sent, refused = await drive(f"http://{HOST}:{port}/x-sandbox/simulator/api", brand_id, customers, args.rate,
                                args.duration)  # fmt: skip
    elapsed = time.monotonic() - started

    def counts():
        stored = Message.objects.filter(direction="in").count()
        distinct = Message.objects.filter(direction="in").values("external_id").distinct().count()
        offers = set(Offer.objects.values_list("interaction_id", "agent_id"))  # re-offers after a timeout too
        return stored, distinct, offers

    deadline = time.monotonic() + 60  # the last webhooks and routing settle
    while True:
        stored, distinct, offers = await sync_to_async(counts)()
        pushed = sum(len(tab.offers) for tab in tabs)
        if (distinct >= sent and pushed >= len(offers)) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(*readers, sampler)
    # Offers go on being made (an unanswered one expires and is re-offered): read them after the last push was
    # received, so every push names an offer that exists.
    stored, distinct, offers = await sync_to_async(counts)()
    misrouted = sum(1 for tab in tabs for interaction in tab.offers if (interaction, tab.agent_id) not in offers)
    conversations = await sync_to_async(lambda: Message.objects.values("interaction_id").distinct().count())()
    return {
        "sent": sent, "refused_by_sandbox": refused, "stored": stored, "duplicated": stored - distinct,
        "lost": sent - distinct, "conversations": conversations,
        "offered": len({interaction for interaction, _ in offers}), "offers": len(offers),
        "offer_pushes": sum(len(tab.offers) for tab in tabs), "misrouted": misrouted,
        "errors": [e for tab in tabs for e in tab.errors], "rate_achieved": sent / elapsed,
        "web_rss_max_mb": max(samples["web"] or [0]), "worker_rss_max_mb": max(samples["worker"] or [0]),
    }  # fmt: skip


if __name__ == "__main__":
    main()
