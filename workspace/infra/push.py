"""Pushes to browsers. Sent only after the transaction commits; they carry ids and a per-agent sequence number,
and the page re-fetches the facts. A page that sees a gap in the numbers resyncs from the database."""

import asyncio
import logging
import os
import threading

from channels.layers import get_channel_layer
from django.db import transaction

from workspace.infra import tabs
from workspace.infra.events import AGENTS, SUPERVISORS, BoardChanged, Event

log = logging.getLogger(__name__)
PUSH_TIMEOUT_SECONDS = 5

_push_loop_lock = threading.Lock()
_push_loop: tuple[int, asyncio.AbstractEventLoop] | None = None


def _loop() -> asyncio.AbstractEventLoop:
    """This process's push loop, running in a daemon thread. A push from sync code (workers, views, commands) used to
    run on a new event loop each time (async_to_sync), paying a new Redis connection for every push; this loop keeps
    the channel layer's connections. Keyed by pid: a forked Celery child starts its own."""
    global _push_loop
    with _push_loop_lock:
        if _push_loop is None or _push_loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="perch-push-loop", daemon=True).start()
            _push_loop = (os.getpid(), loop)
        return _push_loop[1]


def group_send(group: str, message: dict) -> None:
    """Sends on the channel layer from sync code, waiting at most PUSH_TIMEOUT_SECONDS (then raises)."""
    future = asyncio.run_coroutine_threadsafe(get_channel_layer().group_send(group, message), _loop())
    try:
        future.result(timeout=PUSH_TIMEOUT_SECONDS)
    except TimeoutError:
        future.cancel()  # Redis hangs: give up on this push (the page resyncs) rather than pile them up
        raise


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def _send(group: str, payload: dict, *, sequenced: bool = True) -> None:
    try:
        if sequenced:
            payload = {**payload, "seq": tabs.next_seq(group)}
        group_send(group, payload)
    except Exception:  # a lost push is recovered by the page's resync; the database already holds the fact
        log.exception("push %s to %s failed", payload["type"], group)


def notify_agent(agent_id: int, event: Event) -> None:
    """Tells one agent's open tabs that something changed, once the current transaction has committed. A passing
    event (events.Event.passing: someone is typing) carries no sequence number: missing one is no gap."""
    if event.audience != AGENTS:
        raise ValueError(f"{event.type} is not an agent's event")
    payload = event.payload()
    transaction.on_commit(lambda: _send(agent_group(agent_id), payload, sequenced=not event.passing))


SUPERVISORS_GROUP = "supervisors"


def notify_board(event: BoardChanged) -> None:
    """Tells open live boards (the `supervisors` group) that the queue, an agent or an interaction changed, after
    commit. Carries ids and a sequence number of its own; the board re-fetches its partials."""
    if not isinstance(event, BoardChanged):
        raise ValueError(f"{event.type} is not the board's event")
    payload = event.payload()
    transaction.on_commit(lambda: _send(SUPERVISORS_GROUP, payload))


def alert_supervisors_now(event: Event) -> None:
    """An alert about an X account to every connected supervisor, at once and without a sequence number: it is a
    notice to read, not a change a page must catch up with (the account row and the admin already say it)."""
    if event.audience != SUPERVISORS:
        raise ValueError(f"{event.type} is not a supervisors' event")
    group_send(SUPERVISORS_GROUP, event.payload())
