"""A Celery worker process SIGKILLed in the middle of a poll (the send side: tests/social/test_worker_death.py).
The task is acked late and handed back; the page being read when the worker died is read again, the ones before it
are not: every X event stored once."""

import os
import signal

import pytest
import requests

from interactions.models import Message
from social import tasks
from tests.social.test_worker_death import children, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_worker_killed_mid_poll_stores_every_event_once_after_redelivery(simulator, brand, celery_worker, figures):
    customers = [simulator.user(f"killed{i}") for i in range(5)]
    for n in range(250):
        simulator.dm(customers[n % 5], brand.x_user_id, f"killed {n}")
    # Page 2 is answered late: the worker dies while it waits, after page 1 was stored.
    fault = simulator.fault(method="GET", path="/2/dm_events", status=0, delay_ms=4000, skip=1)["fault_id"]

    tasks.poll_account.delay(brand.pk)

    def page_two_requested():
        faults = requests.get(f"{simulator.api}/faults", timeout=10).json()["faults"]
        return next(f["fired"] for f in faults if f["id"] == fault)

    wait_for(page_two_requested, 60, "the worker reading page 2")
    assert Message.objects.count() == 100
    for pid in wait_for(lambda: children(celery_worker.pid), 10, "the worker's pool process"):
        os.kill(pid, signal.SIGKILL)

    wait_for(lambda: Message.objects.count() >= 250, 60, "the redelivered poll storing pages 2 and 3")
    numbers = [int(text.split()[1]) for text in Message.objects.values_list("text", flat=True)]
    assert sorted(set(numbers)) == list(range(250))
    duplicated = len(numbers) - len(set(numbers))
    figures.record("worker SIGKILLed mid-ingest", sent=250, stored=len(numbers), duplicated=duplicated,
                   extra="the poll task handed back (acks_late) and resumed at page 2")  # fmt: skip
