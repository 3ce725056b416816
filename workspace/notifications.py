"""Pushes to browsers. Sent only after the transaction commits; they carry ids and a per-agent sequence number,
and the page re-fetches the facts. A page that sees a gap in the numbers resyncs from the database."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from workspace import live

log = logging.getLogger(__name__)


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def _send(group: str, event_type: str, payload: dict) -> None:
    try:
        seq = live.next_seq(group)
        async_to_sync(get_channel_layer().group_send)(group, {"type": event_type, "seq": seq, **payload})
    except Exception:  # a lost push is recovered by the page's resync; the database already holds the fact
        log.exception("push %s to %s failed", event_type, group)


def notify_agent(agent_id: int, event_type: str, **payload) -> None:
    """Tells one agent's open tabs that something changed, once the current transaction has committed."""
    transaction.on_commit(lambda: _send(agent_group(agent_id), event_type, payload))


SUPERVISORS_GROUP = "supervisors"


def notify_board(**payload) -> None:
    """Tells open live boards (the `supervisors` group) that the queue, an agent or an interaction changed, after
    commit. Carries ids and a sequence number of its own; the board re-fetches its partials."""
    transaction.on_commit(lambda: _send(SUPERVISORS_GROUP, "board.changed", payload))
