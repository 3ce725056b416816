"""A 429 while beat keeps finding the account due: one retry per account and stream, and the other streams go on.
(The probe saw "polling again in 53s" 146 times: every queued poll that met the limit scheduled its own retry.)"""

import logging
import time
from datetime import timedelta

import pytest
import requests
import time_machine
from django.utils import timezone

from interactions.models import Message
from social import tasks
from social.models import XAccount
from tests.social.test_worker_death import wait_for
from workspace.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


def beat(seconds: float) -> None:
    """beat's `social.poll_due_accounts`, every 0.2 s instead of every 2 s (it runs in beat's process)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tasks.poll_due_accounts()
        time.sleep(0.2)


def scheduled_polls(account_id: int) -> list[dict]:
    """The poll tasks the worker holds for later (retries with a countdown)."""
    held = celery_app.control.inspect(timeout=2).scheduled() or {}
    return [t for tasks_ in held.values() for t in tasks_
            if t["request"]["name"] == "social.poll_account" and t["request"]["args"][:1] == [account_id]]  # fmt: skip


def idle() -> bool:
    inspect = celery_app.control.inspect(timeout=2)
    return not any((inspect.active() or {}).values()) and not any((inspect.reserved() or {}).values())


def test_beat_finding_a_rate_limited_account_due_reads_its_other_streams_and_schedules_one_retry(
    simulator, brand, caplog
):
    XAccount.objects.filter(pk=brand.pk).update(poll_interval_seconds=1)
    maya = simulator.user("maya", "Maya Patel")
    simulator.fault(method="GET", path="/2/dm_events", status=429, times=1)  # X: no DM reads until the reset
    start = timezone.now()
    with caplog.at_level(logging.WARNING, logger="social.tasks"):
        for n in range(6):  # beat, every 2 s, within X's minute (the polls run inline here)
            simulator.tweet(maya, f"@acmecare anyone? #{n}")
            with time_machine.travel(start + timedelta(seconds=2 * n), tick=False):
                tasks.poll_due_accounts()
    mentions = Message.objects.filter(text__startswith="@acmecare anyone?")
    assert mentions.count() == 6, "a DM rate limit stopped the mentions too"
    retries = [r.getMessage() for r in caplog.records if "polling again" in r.getMessage()]
    assert len(retries) == 1 and "on dm_events" in retries[0], retries


@pytest.mark.slow
def test_a_429_schedules_one_retry_however_many_polls_beat_queued(simulator, brand, celery_worker):
    XAccount.objects.filter(pk=brand.pk).update(poll_interval_seconds=1)
    maya = simulator.user("maya", "Maya Patel")
    # The first poll's DM page is answered 4 s late (the worker is busy meanwhile); the next DM read meets a 429.
    simulator.fault(method="GET", path="/2/dm_events", status=0, delay_ms=4000, times=1)
    limit = simulator.fault(method="GET", path="/2/dm_events", status=429, times=1)["fault_id"]

    beat(6)
    wait_for(lambda: next(f["fired"] for f in requests.get(f"{simulator.api}/faults", timeout=10).json()["faults"]
                          if f["id"] == limit), 30, "the 429")  # fmt: skip
    simulator.tweet(maya, "@acmecare are your DMs down?")  # DMs are rate limited; mentions are not
    beat(6)
    wait_for(idle, 30, "the worker draining the polls")

    assert len(scheduled_polls(brand.pk)) == 1
    assert Message.objects.filter(text="@acmecare are your DMs down?").exists(), "the mentions stream stopped too"
