"""What /healthz checks: the database, Redis (through the channel layer) and Celery (beat's heartbeat, else a
worker ping), plus the ingestion health of each X account (reported, never failing the web check)."""

import time
import uuid

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from social.health import accounts_health
from workspace.celery import app as celery_app

CELERY_PING_TIMEOUT = 1.5
HEARTBEAT_KEY = "worker-heartbeat"
HEARTBEAT_STALE_SECONDS = 45  # beat stamps every 10 s
# A polling account is late when its last good poll is older than this many intervals (and at least a minute).


def stamp_heartbeat() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


@shared_task(name="workspace.heartbeat")
def heartbeat() -> str:
    """Stamps the time in Redis and answers `pong`: beat sends it every 10 s, so a fresh stamp proves beat runs
    and a worker consumes the queue, and /healthz can say so without waiting for a ping."""
    stamp_heartbeat()
    return "pong"


def heartbeat_age() -> float | None:
    """Seconds since a worker last ran beat's heartbeat task; None if it never did."""
    stamped = cache.get(HEARTBEAT_KEY)
    return None if stamped is None else max(0.0, time.time() - float(stamped))


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_channel_layer() -> str:
    """A message sent to a fresh channel must come back: proves Redis answers and the layer works."""
    layer = get_channel_layer()
    channel = f"healthz.{uuid.uuid4().hex}"

    async def round_trip():
        await layer.send(channel, {"type": "healthz"})
        return await layer.receive(channel)

    message = async_to_sync(round_trip)()
    if message.get("type") != "healthz":
        raise RuntimeError("channel layer returned the wrong message")
    return "ok"


def check_celery() -> str:
    """A fresh heartbeat answers at once; only without one are the workers pinged (up to 1.5 s)."""
    age = heartbeat_age()
    if age is not None and age < HEARTBEAT_STALE_SECONDS:
        return f"ok (heartbeat {age:.0f} s ago)"
    replies = celery_app.control.ping(timeout=CELERY_PING_TIMEOUT)
    if not replies:
        raise RuntimeError("no Celery worker answered")
    workers = f"{len(replies)} worker{'s' if len(replies) != 1 else ''}"
    if age is not None:
        raise RuntimeError(f"{workers} answer but the last heartbeat was {age:.0f} s ago: is celery beat running?")
    return f"ok ({workers}; no heartbeat yet)"


# /healthz's words for the statuses the live board shows (social.health decides them, for both).
HEALTHZ_STATUS = {
    "needs_reconnect": "needs reconnect", "silent": "silent", "rate_limited": "rate limited", "stale": "late",
    "ok": "ok",
}  # fmt: skip


def account_health(now=None) -> list[dict]:
    """Each active X account as the live board sees it: status, last successful poll (or webhook delivery), lag.
    No secrets, no X error texts."""
    now = now or timezone.now()
    report = []
    for health in accounts_health(now=now):
        account = health.account
        if not account.is_active:
            continue
        report.append({
            "id": account.pk, "name": account.name, "handle": account.handle, "mode": account.mode,
            "status": HEALTHZ_STATUS[health.status], "needs_reconnect": account.needs_reconnect,
            "last_poll_ok_at": account.last_poll_ok_at.isoformat() if account.last_poll_ok_at else None,
            "lag_seconds": None if health.lag is None else round(health.lag.total_seconds()),
        })  # fmt: skip
    return report


CHECKS = {"database": check_database, "redis": check_channel_layer, "celery": check_celery}


def run_checks() -> tuple[bool, dict[str, str]]:
    results, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health page reports failures, it does not raise them
            healthy = False
            results[name] = f"error: {exc}"[:200]
    return healthy, results
