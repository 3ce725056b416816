"""What /healthz checks: the database, Redis (through the channel layer) and a Celery worker."""

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from workspace.celery import app as celery_app

CELERY_PING_TIMEOUT = 1.5


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
    replies = celery_app.control.ping(timeout=CELERY_PING_TIMEOUT)
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return f"ok ({len(replies)} worker{'s' if len(replies) != 1 else ''})"


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
