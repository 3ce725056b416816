"""Which agents have a workspace tab open right now, kept in Redis by the websocket consumer (never the DB)."""

import time
from functools import cache

import redis
from django.conf import settings

CONNECTION_TTL = 60  # a tab pings every 20 s; three missed pings and it counts as gone


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _key(agent_id: int, channel_name: str) -> str:
    return f"perch:ws:{agent_id}:{channel_name}"


def tab_alive(agent_id: int, channel_name: str) -> None:
    _redis().set(_key(agent_id, channel_name), "1", ex=CONNECTION_TTL)


def tab_closed(agent_id: int, channel_name: str) -> None:
    _redis().delete(_key(agent_id, channel_name))
    _redis().set(f"perch:ws-closed:{agent_id}", time.time(), ex=3600)


def has_open_tab(agent_id: int) -> bool:
    return any(True for _ in _redis().scan_iter(f"perch:ws:{agent_id}:*", count=100))


def seconds_since_last_close(agent_id: int) -> float:
    closed = _redis().get(f"perch:ws-closed:{agent_id}")
    return time.time() - float(closed) if closed else float("inf")


def next_seq(group: str) -> int:
    """A sequence number per group, monotonic across every process that pushes."""
    return int(_redis().incr(f"perch:seq:{group}"))


def current_seq(group: str) -> int:
    return int(_redis().get(f"perch:seq:{group}") or 0)
