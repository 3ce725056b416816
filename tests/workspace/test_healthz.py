"""/healthz against the real database, Redis and a real Celery worker process."""

import pytest
from django.test import Client

from workspace.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


def test_healthz_is_503_and_names_celery_when_no_worker_runs():
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert body["checks"]["celery"] == "error: no Celery worker answered"


def test_healthz_is_200_with_a_worker_that_runs_tasks(celery_worker):
    response = Client().get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["celery"].startswith("ok (")
    # The worker does not only answer pings: it consumes the queue.
    # disable_sync_subtasks: eager tasks run earlier in this test process may leave Celery thinking it is in one.
    assert celery_app.send_task("workspace.heartbeat").get(timeout=20, disable_sync_subtasks=False) == "pong"
