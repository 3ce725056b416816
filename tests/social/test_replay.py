"""Acceptance: replay after downtime. X could not reach Perch while customers wrote; beat's watch (the real task, over
real HTTP to the sandbox, which checks the webhook with a CRC against the live server) asks X to replay the gap, and
a catch-up poll covers what replay cannot. Nothing is stored twice; the board says what was replayed.

"Perch down" is what X sees of it: its webhook URL refuses connections (the sandbox's webhook is pointed at a port
nobody listens on, then back), and the watch did not run meanwhile (its last run is ten minutes back, by the clock of
time-machine). The sandbox, served by the same live server, keeps its own real clock, as X does."""

import re
import socket
from contextlib import contextmanager
from datetime import UTC, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from interactions.models import Message
from social import tasks
from social.models import WebhookReplay, XDelivery, XWebhook
from social.replay import replay_window, x_minute
from social.sandbox.models import SandboxDelivery, SandboxReplayJob, SandboxWebhook
from tests.factories import PASSWORD
from tests.helpers import sign_in
from tests.social.conftest import switch_to_webhook
from tests.social.test_worker_death import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connected(settings, simulator, brand, live_server_url):
    """The brand in webhook mode, its webhook registered at the sandbox and watched once ten minutes ago."""
    settings.PERCH_PUBLIC_URL = live_server_url
    hook = switch_to_webhook(brand, live_server_url)
    assert hook.state == XWebhook.State.CONNECTED, hook.error
    return hook


def minute(moment):
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def watched_at(moment, account):
    """Beat's watch ran at `moment` (by Perch's clock) and found the webhook reachable."""
    with time_machine.travel(moment, tick=False):
        tasks.watch_webhook(account.pk)
    hook = XWebhook.objects.get(account=account)
    assert hook.reachable_at == moment and hook.crc_valid is True
    return hook


@contextmanager
def perch_unreachable(hook: XWebhook):
    """X cannot connect to Perch: its deliveries to the webhook fail as to a server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    at_x = SandboxWebhook.objects.get(pk=hook.x_webhook_id)
    SandboxWebhook.objects.filter(pk=at_x.pk).update(url=re.sub(r":\d+/", f":{closed_port}/", at_x.url, count=1))
    try:
        yield
    finally:
        SandboxWebhook.objects.filter(pk=at_x.pk).update(url=at_x.url)


def settled(count: int):
    """The sandbox's log once `count` deliveries were tried (delivered or failed)."""
    log = SandboxDelivery.objects.exclude(state=SandboxDelivery.State.PENDING)
    wait_for(lambda: log.count() >= count, 30, f"{count} deliveries tried")
    return log


def board_health(client) -> str:
    page = client.get("/admin/board/health/")
    assert page.status_code == 200
    return " ".join(page.content.decode().split())


def test_perch_down_for_ten_minutes_while_20_dms_arrive_replays_the_gap_and_stores_each_once(
    simulator, brand, connected
):
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    maya = simulator.user("maya", "Maya Patel")
    last_watch = timezone.now() - timedelta(minutes=10)
    hook = watched_at(last_watch, brand)
    simulator.dm(maya, brand.x_user_id, "Before the outage: is my bag found?")  # Perch up: delivered at once
    settled(1)
    assert Message.objects.filter(direction="in").count() == 1

    with perch_unreachable(hook):
        for n in range(20):
            simulator.dm(maya, brand.x_user_id, f"Message {n + 1} while you were down")
        log = settled(21)
    assert log.filter(state=SandboxDelivery.State.FAILED).count() == 20  # X could not deliver them
    assert Message.objects.filter(direction="in").count() == 1

    tasks.watch_webhooks()  # beat's first run as Perch starts again
    replay = WebhookReplay.objects.get(account=brand)
    assert (replay.from_at, replay.to_at) == (minute(last_watch) - timedelta(minutes=1), minute(replay.requested_at))
    job = SandboxReplayJob.objects.get()  # what X was asked, in its yyyymmddhhmm minutes
    assert (x_minute(job.from_at), x_minute(job.to_at)) == (x_minute(replay.from_at), x_minute(replay.to_at))
    assert job.pk == replay.job_id and not replay.caught_up

    wait_for(lambda: WebhookReplay.objects.filter(pk=replay.pk, state="complete").exists(), 30, "the job's end")
    job.refresh_from_db()
    assert (job.state, job.sent, job.failed, job.completion_status) == ("complete", 21, 0, 200)  # the first too
    texts = list(Message.objects.filter(direction="in").values_list("text", flat=True))
    assert len(texts) == len(set(texts)) == 21  # all 20 stored, none twice, the one Perch had not again
    assert XDelivery.objects.filter(account=brand).count() == 21
    replay.refresh_from_db()
    assert replay.events == 20  # the one re-sent that Perch had is not counted
    assert XWebhook.objects.get(account=brand).reachable_at == replay.requested_at

    start, end = (timezone.localtime(t).strftime("%H:%M") for t in (replay.from_at, replay.to_at))
    assert f"replayed {start}–{end} (20 events)" in board_health(sign_in("sam", PASSWORD))

    tasks.watch_webhook(brand.pk)  # a minute later all is well: nothing more is asked of X
    assert WebhookReplay.objects.count() == 1


def test_a_watch_on_time_asks_x_for_no_replay(simulator, brand, connected):
    watched_at(timezone.now() - timedelta(seconds=60), brand)
    tasks.watch_webhook(brand.pk)
    assert not WebhookReplay.objects.exists() and not SandboxReplayJob.objects.exists()


def test_a_gap_over_24_hours_is_replayed_for_24_hours_and_polled_for_the_rest(simulator, brand, connected):
    maya = simulator.user("maya", "Maya Patel")
    hook = watched_at(timezone.now() - timedelta(hours=25), brand)
    with perch_unreachable(hook):
        for n in range(3):
            simulator.dm(maya, brand.x_user_id, f"Yesterday's message {n + 1}")
        settled(3)
    # X's log of them is 25 hours old: out of replay's reach.
    SandboxDelivery.objects.update(created_at=timezone.now() - timedelta(hours=25))

    tasks.watch_webhook(brand.pk)
    replay = WebhookReplay.objects.get()
    assert replay.caught_up
    assert replay.from_at == minute(replay.requested_at - timedelta(hours=24)) + timedelta(minutes=1)  # clipped
    wait_for(lambda: WebhookReplay.objects.filter(pk=replay.pk, state="complete").exists(), 30, "the job's end")
    texts = sorted(Message.objects.filter(direction="in").values_list("text", flat=True))
    assert texts == [f"Yesterday's message {n + 1}" for n in range(3)]  # by the catch-up poll, once
    assert SandboxReplayJob.objects.get().sent == 0


def test_a_replay_x_refuses_is_recorded_polled_for_and_asked_again_at_the_next_watch(simulator, brand, connected):
    maya = simulator.user("maya", "Maya Patel")
    hook = watched_at(timezone.now() - timedelta(minutes=10), brand)
    with perch_unreachable(hook):
        simulator.dm(maya, brand.x_user_id, "Anyone there?")
        settled(1)
    at_x = SandboxWebhook.objects.get(pk=hook.x_webhook_id)
    running = SandboxReplayJob.objects.create(
        id="77", webhook=at_x, from_at=timezone.now() - timedelta(minutes=5), to_at=timezone.now()
    )  # another job of this webhook, under way at X

    tasks.watch_webhook(brand.pk)
    refused = WebhookReplay.objects.get()
    assert refused.state == WebhookReplay.State.REFUSED and "ReplayConflictError" in refused.error
    assert refused.caught_up
    assert list(Message.objects.values_list("text", flat=True)) == ["Anyone there?"]  # the catch-up poll
    assert XWebhook.objects.get(account=brand).reachable_at < refused.requested_at  # the gap stays open

    simulator.fault(method="POST", path="/2/webhooks/replay", status=503)
    SandboxReplayJob.objects.filter(pk=running.pk).update(state="complete")
    tasks.watch_webhook(brand.pk)
    failed = WebhookReplay.objects.order_by("-pk").first()
    assert failed.state == WebhookReplay.State.REFUSED and "server error" in failed.error and "503" in failed.error

    tasks.watch_webhook(brand.pk)  # X answers again: the same gap is asked for
    asked = WebhookReplay.objects.order_by("-pk").first()
    assert asked.state in (WebhookReplay.State.REQUESTED, WebhookReplay.State.COMPLETE) and asked.job_id
    assert asked.from_at == refused.from_at
    wait_for(lambda: WebhookReplay.objects.filter(pk=asked.pk, state="complete").exists(), 30, "the job's end")
    asked.refresh_from_db()
    # A delivery Perch had not had (the poll stored its DM meanwhile): counted, and its DM not stored again.
    assert asked.events == 1 and Message.objects.count() == 1

    client = sign_in_supervisor()
    page = client.get(f"/admin/social/xaccount/{brand.pk}/change/").content.decode()
    assert "Replays after downtime" in page and "ReplayConflictError" in page and "Refused by X" in page


def test_while_x_cannot_reach_perch_each_watch_polls_and_the_gap_is_replayed_once_it_can(simulator, brand, connected):
    maya = simulator.user("maya", "Maya Patel")
    hook = watched_at(timezone.now() - timedelta(seconds=30), brand)
    with perch_unreachable(hook):
        simulator.dm(maya, brand.x_user_id, "Hello?")
        settled(1)
        tasks.watch_webhook(brand.pk)  # X's CRC check cannot reach Perch: invalid at X; polled meanwhile
        assert SandboxWebhook.objects.get(pk=hook.x_webhook_id).valid is False
        assert XWebhook.objects.get(account=brand).crc_valid is False
        assert list(Message.objects.values_list("text", flat=True)) == ["Hello?"]
        assert not WebhookReplay.objects.exists()
    tasks.watch_webhook(brand.pk)  # reachable again, and X had said invalid: replayed, short as the gap is
    replay = WebhookReplay.objects.get()
    assert replay.job_id and replay.from_at == minute(hook.reachable_at) - timedelta(minutes=1)
    assert SandboxWebhook.objects.get(pk=hook.x_webhook_id).valid is True
    wait_for(lambda: WebhookReplay.objects.filter(pk=replay.pk, state="complete").exists(), 30, "the job's end")
    assert Message.objects.count() == 1


def sign_in_supervisor():
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    return sign_in("sam", PASSWORD)


@pytest.mark.parametrize(
    ("since", "now", "expected"),
    [
        ("2026-11-24 12:04:30", "2026-11-24 12:41:10", ("202611241203", "202611241241", False)),
        ("2026-11-22 09:00:00", "2026-11-24 12:41:10", ("202611231242", "202611241241", True)),
    ],
)
def test_the_replay_window_is_whole_utc_minutes_from_the_minute_before_the_gap_clipped_to_24_hours(
    since, now, expected
):
    from datetime import datetime

    def at(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    start, end, clipped = replay_window(since=at(since), now=at(now))
    assert (x_minute(start), x_minute(end), clipped) == expected
