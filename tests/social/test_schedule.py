"""Each stream of an account polled on its own schedule, from X's limit for it and the budget left (social.schedule).

The sandbox is served by a thread of this process here (not by the session's Daphne in another process), so the
clock time-machine moves is the sandbox's too: its rate windows, with X's real limits, see the simulated minutes.
"""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from django.utils import timezone

from interactions.models import Message
from social import budget, costs, polling, schedule, tasks
from social.models import IngestCursor, XAccount, XSpend, XSubscription, XWebhook
from social.sandbox import limits
from social.sandbox.models import SandboxRateWindow
from tests.factories import XAccountFactory
from tests.social.conftest import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

DM, MENTIONS, SEARCH = IngestCursor.Stream.DM_EVENTS, IngestCursor.Stream.MENTIONS, IngestCursor.Stream.SEARCH
WINDOW_START = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)  # X's 15-minute windows as Perch counts them


class _Handler(QuietWSGIRequestHandler):
    disable_nagle_algorithm = True  # or each answer waits for the client's delayed ACK: 40 ms a call


class ThreadServer(LiveServerThread):
    def _create_server(self, connections_override=None):
        return self.server_class((self.host, self.port), _Handler, allow_reuse_address=False,
                                 connections_override=connections_override)  # fmt: skip


@pytest.fixture
def sandbox_url(transactional_db):
    """Perch (and so its X sandbox) served over HTTP by a thread of this process."""
    server = ThreadServer("127.0.0.1", static_handler=lambda app: app)
    server.daemon = True
    server.start()
    server.is_ready.wait(10)
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()


@pytest.fixture
def simulator(sandbox_url) -> Simulator:
    return Simulator(f"{sandbox_url}/x-sandbox")


def calls(endpoint: str, user_id: str) -> int:
    """Calls the sandbox counted for the brand on an endpoint, all windows together."""
    rows = SandboxRateWindow.objects.filter(key=f"{endpoint}:{user_id}:900")
    return sum(rows.values_list("count", flat=True))


def test_intervals_come_from_x_documented_limits_and_never_undercut_the_supervisor():
    account = XAccountFactory(poll_interval_seconds=1, keywords="refund")
    assert schedule.interval(account, DM) == 60  # GET /2/dm_events: 15 per 15 min per user
    assert schedule.interval(account, MENTIONS) == 3  # 300 per 15 min
    assert schedule.interval(account, SEARCH) == 3  # recent search: 300 per 15 min
    account.poll_interval_seconds = 10
    assert [schedule.interval(account, s) for s in (DM, MENTIONS, SEARCH)] == [60, 10, 10]
    account.budget_overrides = {"multiplier": 10}  # the demo's sandbox is 10x as generous
    assert schedule.interval(account, DM) == 10 and schedule.limit_interval(account, DM) == 6


def test_a_poll_that_spent_more_of_the_window_stretches_the_next_one():
    account = XAccountFactory(poll_interval_seconds=1)
    started = WINDOW_START + timedelta(seconds=1)
    with time_machine.travel(started, tick=False):
        budget.spend(account, DM)  # a poll of one page, at the pace of the limit
        assert schedule.next_poll_at(account, DM, started=started) == started + timedelta(seconds=60)
        for _ in range(4):  # then four more pages: 10 calls left for the 899 s to the reset
            budget.spend(account, DM)
        assert schedule.next_poll_at(account, DM, started=started) == started + timedelta(seconds=899 / 11)
        # X's headers say less is left than Perch counted (its window began earlier): X's count wins.
        budget.observe(account, DM, remaining=2, reset_at=started + timedelta(seconds=300))
        assert schedule.next_poll_at(account, DM, started=started) == started + timedelta(seconds=100)
        budget.observe(account, DM, remaining=0, reset_at=started + timedelta(seconds=300))
        assert schedule.next_poll_at(account, DM, started=started) == started + timedelta(seconds=300)


def test_a_webhook_that_is_down_has_its_streams_polled_at_the_limit():
    account = XAccountFactory(mode=XAccount.Mode.WEBHOOK, poll_interval_seconds=1)
    hook = XWebhook.objects.create(account=account, url="https://perch.example/hook", x_webhook_id="77",
                                   crc_valid=True, state=XWebhook.State.CONNECTED)  # fmt: skip
    for event in ("dm.received", "post.mention.create"):
        XSubscription.objects.create(account=account, event_type=event, x_subscription_id=event,
                                     state=XSubscription.State.ACTIVE)  # fmt: skip
    assert account.pk not in polling.accounts_due()  # the webhook delivers: nothing to poll

    XSubscription.objects.filter(event_type="dm.received").update(state=XSubscription.State.FAILED)
    assert polling.accounts_due()[account.pk] == [DM]  # only the stream X no longer delivers

    hook.crc_valid = False  # X's CRC check failed: it delivers nothing
    hook.save()
    now = timezone.now()
    assert polling.accounts_to_poll(now)[account.pk] == [DM, MENTIONS]
    claimed = dict(IngestCursor.objects.filter(account=account).values_list("stream", "next_poll_at"))
    assert claimed == {DM: now + timedelta(seconds=60), MENTIONS: now + timedelta(seconds=3)}  # the limits' pace
    assert account.pk not in polling.accounts_due(now + timedelta(seconds=2))  # claimed: not queued twice


def test_the_monthly_cap_holds_keyword_search_out_of_the_schedule():
    account = XAccountFactory(keywords="refund", monthly_spend_cap=Decimal("1.00"))
    assert polling.accounts_due()[account.pk] == [DM, MENTIONS, SEARCH]
    XSpend.objects.create(account=account, day=costs.utc_day(), endpoint="search", price="read.post", amount=1)
    assert polling.accounts_to_poll()[account.pk] == [DM, MENTIONS]
    assert not IngestCursor.objects.filter(account=account, stream=SEARCH).exists()


def test_a_poll_run_reads_only_the_streams_that_are_due(simulator, brand):
    XAccount.objects.filter(pk=brand.pk).update(budget_overrides={}, poll_interval_seconds=5, keywords="refund")
    maya = simulator.user("maya", "Maya Patel")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        tasks.poll_due_accounts()  # every stream is due the first time
        assert (calls("dm_events", brand.x_user_id), calls("mentions", brand.x_user_id)) == (1, 1)
        assert calls("search", brand.x_user_id) == 1

        clock.shift(3)
        simulator.dm(maya, brand.x_user_id, "Where is my refund?")
        simulator.tweet(maya, "@acmecare where is my refund?")
        clock.shift(3)
        tasks.poll_due_accounts()  # mentions and search (5 s); DMs wait for their minute
        assert (calls("dm_events", brand.x_user_id), calls("mentions", brand.x_user_id)) == (1, 2)
        assert calls("search", brand.x_user_id) == 2
        texts = set(Message.objects.values_list("text", flat=True))
        assert texts == {"@acmecare where is my refund?"}

        clock.move_to(start + timedelta(seconds=60))
        tasks.poll_due_accounts()
        assert calls("dm_events", brand.x_user_id) == 2
        assert Message.objects.filter(text="Where is my refund?").exists()

        # A stream X refused waits for X's reset; the others keep their pace.
        simulator.fault(method="GET", path=f"/2/users/{brand.x_user_id}/mentions", status=429, times=1)
        clock.shift(5)
        tasks.poll_due_accounts()
        cursor = IngestCursor.objects.get(account=brand, stream=MENTIONS)
        assert cursor.next_poll_at >= timezone.now() + timedelta(seconds=59)  # the fault's reset: a minute
        search = IngestCursor.objects.get(account=brand, stream=SEARCH)
        assert search.next_poll_at == timezone.now() + timedelta(seconds=5)


def test_thirty_minutes_of_polling_with_x_real_limits_are_never_refused(simulator, brand, settings, caplog):
    """Beat every 2 s for 30 simulated minutes, customers writing all along and once 120 DMs at the same moment
    (two pages to read): with X's own limits (multiplier 1) at the sandbox and in Perch's budget, X refuses no
    call, Perch's budget never has to hold a poll back, and everything is read. (Keyword search is scheduled as
    mentions are, on a limit of the same size: left out here to keep the test short.)

    From a fixed instant, not the wall clock: X's windows start at multiples of 15 minutes, and a burst whose second
    page falls in a window's last second rightly waits a second for the next window (Perch's budget holds it, X
    refuses nothing) — a start at 12:04:59.5 did that, and the hold this test counts depended on the time of day."""
    settings.X_SANDBOX_RATE_LIMIT_MULTIPLIER = 1
    XAccount.objects.filter(pk=brand.pk).update(budget_overrides={}, poll_interval_seconds=1)
    customers = [simulator.user(f"customer{i}") for i in range(5)]
    rng = random.Random(19)
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    # The last ones a minute before the end: the last DM read (one a minute) still finds them.
    sends = sorted((rng.uniform(0, 1740), rng.choice(["dm", "mention"])) for _ in range(60))
    sends = sorted([*sends, *[(600.5, "dm")] * 120])
    with time_machine.travel(start, tick=False) as clock, caplog.at_level("WARNING", logger="social.tasks"):
        for tick in range(0, 1800, 2):
            while sends and sends[0][0] < tick:
                at, kind = sends.pop(0)
                clock.move_to(start + timedelta(seconds=at))
                who = rng.choice(customers)
                if kind == "dm":
                    simulator.dm(who, brand.x_user_id, f"DM at {at:.0f}")
                else:
                    simulator.tweet(who, f"@acmecare at {at:.0f}")
            clock.move_to(start + timedelta(seconds=tick))
            tasks.poll_due_accounts()

    assert limits.refused(who=brand.x_user_id) == 0
    assert not [r.getMessage() for r in caplog.records if "rate limited" in r.getMessage()]
    assert Message.objects.filter(direction="in").count() == 180
    # X's DM reads were spent evenly and in full, not held back: about one a minute, never over 15 a window.
    windows = SandboxRateWindow.objects.filter(key=f"dm_events:{brand.x_user_id}:900")
    per_window = list(windows.order_by("window_start").values_list("count", flat=True))
    assert max(per_window) <= 15 and sum(per_window) >= 29, per_window
