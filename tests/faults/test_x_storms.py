"""X misbehaving in every way at once — 429, 500/503, timeouts, garbled JSON — while a backlog is read: each
failure costs one call (no tight loop), the poll comes back later, and every DM is stored exactly once."""

from datetime import timedelta

import pytest
import requests
import time_machine
from django.utils import timezone

from interactions.models import Message
from social import polling
from social.integrations.x_client import XRateLimited, XTransient
from social.models import IngestCursor, XAccount

pytestmark = pytest.mark.django_db(transaction=True)

STORM = [  # (status, delay_ms): what X answers the next page with, one after another (200: garbled JSON)
    (429, 0), (500, 0), (503, 0), (200, 0), (0, 1500), (500, 0), (200, 0),
]  # fmt: skip


def dm_events_calls(simulator) -> int:
    """How many GET /2/dm_events the sandbox has seen: a fault that never fires counts them."""
    faults = requests.get(f"{simulator.api}/faults", timeout=10).json()["faults"]
    return next(f["seen"] for f in faults if f["skip"] >= 10**9)


def test_a_storm_of_429_5xx_timeouts_and_garbled_json_loses_nothing_and_sends_nothing_twice(
    simulator, brand, settings, figures
):
    settings.X_API_TIMEOUT_SECONDS = 0.5  # the sandbox's slow answer (1.5 s) is a timeout for Perch
    customers = [simulator.user(f"storm{i}") for i in range(5)]
    for n in range(250):
        simulator.dm(customers[n % 5], brand.x_user_id, f"storm {n}")
    simulator.fault(method="GET", path="/2/dm_events", status=500, skip=10**9, times=1)  # the call counter

    now, attempts, failures, rate_limited_calls = timezone.now(), 0, 0, 0
    for index, (status, delay) in enumerate(STORM):
        # The first fault lets page 1 through, so the storm hits the middle of the pagination run.
        simulator.fault(method="GET", path="/2/dm_events", status=status, delay_ms=delay, skip=int(index == 0))
        before = dm_events_calls(simulator)
        with time_machine.travel(now, tick=False):
            attempts += 1
            try:
                polling.poll_account(account_id=brand.pk)
            except XRateLimited:
                failures += 1
                until = XAccount.objects.get(pk=brand.pk).rate_limited_until
                calls = dm_events_calls(simulator)
                with pytest.raises(XRateLimited):  # before X's reset Perch does not even ask
                    polling.poll_account(account_id=brand.pk)
                rate_limited_calls += dm_events_calls(simulator) - calls
                now = until + timedelta(seconds=1)
            except XTransient:
                failures += 1
                now += timedelta(seconds=5 * 2**failures)  # the poll task's retry backoff
        # A failure costs exactly the one call that failed (plus the page before it, in the first round).
        assert dm_events_calls(simulator) - before == 1 + int(index == 0), f"round {index}: {status}"

    with time_machine.travel(now, tick=False):
        report = polling.poll_account(account_id=brand.pk)
    assert report.error == "" and rate_limited_calls == 0
    texts = list(Message.objects.values_list("text", flat=True))
    numbers = sorted(int(text.split()[1]) for text in texts)
    stored, distinct = len(numbers), len(set(numbers))
    assert set(numbers) == set(range(250))
    cursor = IngestCursor.objects.get(account=brand, stream="dm_events")
    assert cursor.resume_token == "" and cursor.since_id == max(Message.objects.values_list("external_id", flat=True),
                                                                 key=int)  # fmt: skip
    calls = dm_events_calls(simulator)
    assert calls == 3 + len(STORM)  # three pages and one call per fault: no retry loop inside a poll
    figures.record(
        "X storm (429, 500, 503, timeout, garbled JSON)", sent=250, stored=stored, duplicated=stored - distinct,
        extra=f"{len(STORM)} faults, {calls} calls to /2/dm_events, {attempts + 1} polls",
    )  # fmt: skip
