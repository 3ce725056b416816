"""/healthz against the real database, Redis and a real Celery worker process."""

import os
import subprocess
import sys
import time

import pytest
from django.test import Client

from workspace.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def celery_worker():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PERCH_CELERY_EAGER": "false"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workspace", "worker", "--pool=solo", "--loglevel=WARNING",
         "--hostname", f"healthz-{os.getpid()}@%h", "--without-mingle", "--without-gossip"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        assert worker.poll() is None, "the Celery worker exited"
        assert time.monotonic() < deadline, "the Celery worker did not answer within 60 s"
    yield worker
    worker.terminate()
    worker.wait(timeout=30)


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
    assert celery_app.send_task("workspace.heartbeat").get(timeout=20) == "pong"
