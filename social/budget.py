"""The X API budget: every call is counted against the account's per-endpoint limits before it is made.

Counts live in Redis (fixed windows, one atomic script for all windows of an endpoint), so any number of
workers share one budget. X's own `x-rate-limit-*` headers feed it too: when X says nothing is left, the
endpoint is blocked until X's reset time, whatever our count says.
"""

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import redis
from django.conf import settings

from social.integrations.x_errors import XTransient

log = logging.getLogger(__name__)

# X's documented per-user limits: (calls, window in seconds). Supervisors may override them per account.
DEFAULT_LIMITS: dict[str, list[tuple[int, int]]] = {
    "dm_send": [(15, 900), (1440, 86400)],
    "dm_events": [(15, 900)],
    "tweet_create": [(100, 900)],
    "like": [(50, 900)],
    "mentions": [(300, 900)],
    "tweet_lookup": [(900, 900)],
    "search": [(300, 900)],
    "users_me": [(75, 900)],
    "media_upload": [(500, 900)],  # POST /2/media/upload (one shot)
    "media_status": [(1000, 900)],  # GET /2/media/upload?command=STATUS (chunked uploads X processes)
    "media_initialize": [(1875, 900)],  # the chunked upload's POST /2/media/upload/initialize, /append, /finalize
    "media_append": [(1875, 900)],
    "media_finalize": [(1875, 900)],
    # X Activity API, counted per app at X (the same app may serve several accounts: these leave room for that).
    "webhooks": [(450, 900)],
    "activity_subscriptions": [(500, 900)],
    "webhooks_replay": [(100, 900)],  # x-api/fundamentals/rate-limits.mdx: POST /2/webhooks/replay 100/15min
}

_SPEND = """
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then return i end
end
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[#KEYS + i])
end
return 0
"""


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reset_at: datetime | None = None  # when a refused call may be made


@dataclass(frozen=True)
class Room:
    """What is left of one window of an endpoint: `calls` more until `resets_at`."""

    calls: int
    resets_at: datetime


@dataclass(frozen=True)
class WindowUse:
    endpoint: str
    window_seconds: int
    used: int
    limit: int
    resets_at: datetime


def limits_for(account, endpoint: str) -> list[tuple[int, int]]:
    """The account's limits: X's defaults, scaled by `multiplier` or replaced per endpoint in budget_overrides."""
    overrides = account.budget_overrides or {}
    if endpoint in overrides:
        return [(int(calls), int(seconds)) for calls, seconds in overrides[endpoint]]
    multiplier = float(overrides.get("multiplier", 1))
    return [(max(1, int(calls * multiplier)), seconds) for calls, seconds in DEFAULT_LIMITS[endpoint]]


def _window_start(seconds: int, now: float) -> int:
    return int(now // seconds * seconds)


def _key(account_id: int, endpoint: str, seconds: int, start: int) -> str:
    return f"perch:budget:{account_id}:{endpoint}:{seconds}:{start}"


def _block_key(account_id: int, endpoint: str) -> str:
    return f"perch:budget:block:{account_id}:{endpoint}"


def _heard_key(account_id: int, endpoint: str) -> str:
    return f"perch:budget:heard:{account_id}:{endpoint}"


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def spend(account, endpoint: str) -> Verdict:
    """Counts one call if every window of the endpoint has room; otherwise says when there will be room. Raises
    XTransient when Redis cannot be reached: a call that cannot be counted is not made (it is tried again later)."""
    now = time.time()
    windows = limits_for(account, endpoint)
    keys = [_key(account.pk, endpoint, seconds, _window_start(seconds, now)) for _, seconds in windows]
    args = [calls for calls, _ in windows] + [seconds + 60 for _, seconds in windows]
    try:
        blocked_until = _redis().get(_block_key(account.pk, endpoint))
        if blocked_until and float(blocked_until) > now:
            return Verdict(False, _at(float(blocked_until)))
        full = _redis().eval(_SPEND, len(keys), *keys, *args)
    except redis.RedisError as exc:
        raise XTransient("The X budget cannot be counted right now (Redis is unreachable).") from exc
    if full:
        seconds = windows[full - 1][1]
        return Verdict(False, _at(_window_start(seconds, now) + seconds))
    return Verdict(True)


def observe(account, endpoint: str, *, remaining: int | None, reset_at: datetime | None) -> None:
    """Feeds X's rate-limit headers in: what X says is left is kept until X's reset (the schedule reads it), and
    nothing remaining at X blocks the endpoint until then."""
    if remaining is None or reset_at is None:
        return
    ttl = int(reset_at.timestamp() - time.time()) + 1
    if ttl <= 0:
        return
    try:
        pipe = _redis().pipeline()
        pipe.set(_heard_key(account.pk, endpoint), f"{remaining}:{reset_at.timestamp()}", ex=ttl)
        if remaining <= 0:
            pipe.set(_block_key(account.pk, endpoint), reset_at.timestamp(), ex=ttl)
        pipe.execute()
    except redis.RedisError:  # heard after X answered: the call stands; X's own 429 stops the next one
        log.warning("X's rate limit for %s of account %s not recorded: Redis is unreachable", endpoint, account.pk)


def room(account, endpoint: str) -> list[Room]:
    """What is left right now of each of the endpoint's windows, as Perch counted its calls and as X last said in its
    headers (X's window may not start when Perch's does). Empty when Redis cannot be reached."""
    now = time.time()
    windows = limits_for(account, endpoint)
    keys = [_key(account.pk, endpoint, seconds, _window_start(seconds, now)) for _, seconds in windows]
    try:
        *used, heard, blocked = _redis().mget(
            [*keys, _heard_key(account.pk, endpoint), _block_key(account.pk, endpoint)]
        )
    except redis.RedisError:
        return []
    rooms = [
        Room(max(0, calls - int(count or 0)), _at(_window_start(seconds, now) + seconds))
        for (calls, seconds), count in zip(windows, used, strict=True)
    ]
    if heard:
        remaining, _, reset = heard.decode().partition(":")
        if float(reset) > now:
            rooms.append(Room(max(0, int(remaining)), _at(float(reset))))
    if blocked and float(blocked) > now:
        rooms.append(Room(0, _at(float(blocked))))
    return rooms


def usage(account) -> list[WindowUse]:
    """Use of every endpoint's windows right now (for `manage.py x_budget` and the admin)."""
    now = time.time()
    rows = []
    for endpoint in DEFAULT_LIMITS:
        for calls, seconds in limits_for(account, endpoint):
            start = _window_start(seconds, now)
            used = int(_redis().get(_key(account.pk, endpoint, seconds, start)) or 0)
            rows.append(WindowUse(endpoint, seconds, used, calls, _at(start + seconds)))
    return rows
