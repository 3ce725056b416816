"""/healthz against the real database, Redis and a real Celery worker process."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tests.factories import XAccountFactory
from tests.social.test_health import busy_week
from workspace.celery import app as celery_app
from workspace.health import HEARTBEAT_KEY, stamp_heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def test_healthz_is_503_and_names_celery_when_no_worker_runs():
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert body["checks"]["celery"] == "error: no Celery worker answered"


def test_a_fresh_heartbeat_answers_without_pinging_workers():
    stamp_heartbeat()  # what beat's workspace.heartbeat task does every 10 s
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["celery"] == "ok (heartbeat 0 s ago)"


def test_a_stale_heartbeat_and_no_worker_is_503():
    cache.set(HEARTBEAT_KEY, time.time() - 120, timeout=None)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["celery"] == "error: no Celery worker answered"


def test_healthz_is_200_with_a_worker_that_runs_tasks(celery_worker):
    response = Client().get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["celery"].endswith("; no heartbeat yet)")
    # The worker does not only answer pings: it consumes the queue, and the heartbeat task stamps Redis.
    # disable_sync_subtasks: eager tasks run earlier in this test process may leave Celery thinking it is in one.
    assert celery_app.send_task("workspace.heartbeat").get(timeout=20, disable_sync_subtasks=False) == "pong"
    assert Client().get("/healthz").json()["checks"]["celery"].startswith("ok (heartbeat ")

    # Workers answer but beat stopped stamping: the operator is told where to look.
    cache.set(HEARTBEAT_KEY, time.time() - 120, timeout=None)
    stale = Client().get("/healthz")
    assert stale.status_code == 503
    assert stale.json()["checks"]["celery"].endswith("the last heartbeat was 120 s ago: is celery beat running?")


def test_each_x_account_reports_its_ingestion_health_without_secrets():
    now = timezone.now()
    fine = XAccountFactory(handle="fine", poll_interval_seconds=60, last_poll_ok_at=now - timedelta(seconds=10))
    late = XAccountFactory(handle="late", poll_interval_seconds=10, last_poll_ok_at=now - timedelta(minutes=10))
    revoked = XAccountFactory(handle="revoked", needs_reconnect=True, last_poll_ok_at=now - timedelta(hours=1))
    quiet = XAccountFactory(handle="quiet", mode="webhook", last_poll_ok_at=now - timedelta(hours=5))
    silent = XAccountFactory(handle="silent", mode="webhook", last_poll_ok_at=now - timedelta(hours=1))
    busy_week(silent, end=now - timedelta(hours=1))  # ten DMs an hour all week, none for the last hour
    XAccountFactory(handle="off", is_active=False)
    stamp_heartbeat()

    response = Client().get("/healthz")
    assert response.status_code == 200  # an account's trouble does not take the web servers out of rotation
    accounts = {a["handle"]: a for a in response.json()["accounts"]}
    assert set(accounts) == {"fine", "late", "revoked", "quiet", "silent"}
    assert accounts["fine"]["status"] == "ok" and 9 <= accounts["fine"]["lag_seconds"] <= 30
    assert accounts["late"]["status"] == "late" and accounts["late"]["lag_seconds"] >= 600
    assert accounts["revoked"]["status"] == "needs reconnect" and accounts["revoked"]["needs_reconnect"] is True
    assert accounts["quiet"]["status"] == "ok"  # a webhook account with no traffic is quiet, not late
    assert accounts["silent"]["status"] == "silent"  # as the live board says: events stopped reaching Perch
    assert accounts["fine"]["id"] == fine.pk and accounts["late"]["id"] == late.pk
    assert accounts["revoked"]["id"] == revoked.pk and accounts["quiet"]["id"] == quiet.pk
    body = response.content.decode()
    for secret in ("consumer-secret", "access-token", "consumer-key"):
        assert secret not in body
