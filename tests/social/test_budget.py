"""The X budget, counted in the real Redis and shared by every worker."""

from datetime import UTC, datetime

import pytest
import time_machine

from social import budget
from tests.factories import XAccountFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 24, 12, 0, 5, tzinfo=UTC)


def test_dm_send_allows_15_per_15_minutes_then_says_when(django_db_blocker):
    account = XAccountFactory()
    with time_machine.travel(START, tick=False):
        verdicts = [budget.spend(account, "dm_send") for _ in range(16)]
    assert all(v.allowed for v in verdicts[:15])
    assert not verdicts[15].allowed
    assert verdicts[15].reset_at == datetime(2026, 11, 24, 12, 15, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 11, 24, 12, 15, 1, tzinfo=UTC), tick=False):
        assert budget.spend(account, "dm_send").allowed


def test_the_24_hour_window_holds_even_when_15_minute_windows_reset():
    account = XAccountFactory(budget_overrides={"dm_send": [[15, 900], [20, 86400]]})
    sent = 0
    for quarter in range(3):
        with time_machine.travel(datetime(2026, 11, 24, 12, quarter * 15, 1, tzinfo=UTC), tick=False):
            sent += sum(budget.spend(account, "dm_send").allowed for _ in range(15))
    assert sent == 20


def test_accounts_have_separate_budgets_and_a_multiplier():
    small, large = XAccountFactory(), XAccountFactory(budget_overrides={"multiplier": 2})
    with time_machine.travel(START, tick=False):
        assert sum(budget.spend(small, "like").allowed for _ in range(120)) == 50
        assert sum(budget.spend(large, "like").allowed for _ in range(120)) == 100


def test_x_saying_nothing_remains_blocks_until_its_reset():
    account = XAccountFactory()
    with time_machine.travel(START, tick=False):
        reset = datetime(2026, 11, 24, 12, 7, tzinfo=UTC)
        budget.observe(account, "mentions", remaining=0, reset_at=reset)
        verdict = budget.spend(account, "mentions")
    assert not verdict.allowed and verdict.reset_at == reset


def test_usage_reports_what_was_spent():
    account = XAccountFactory()
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            budget.spend(account, "tweet_create")
        rows = {(r.endpoint, r.window_seconds): r for r in budget.usage(account)}
    assert (rows[("tweet_create", 900)].used, rows[("tweet_create", 900)].limit) == (3, 100)
    assert rows[("dm_send", 86400)].limit == 1440


def test_x_budget_prints_each_accounts_use_per_endpoint_and_flags_the_spent_ones():
    from io import StringIO

    from django.core.management import call_command

    account = XAccountFactory(name="Perch Air", budget_overrides={"dm_send": [[15, 900]], "multiplier": 1})
    for _ in range(15):
        budget.spend(account, "dm_send")
    budget.spend(account, "dm_events")
    out = StringIO()
    call_command("x_budget", stdout=out, no_color=True)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"{account} (id {account.pk})"
    dm_send = next(line.split() for line in lines if line.split()[:1] == ["dm_send"])
    assert dm_send[:5] == ["dm_send", "15", "min", "15", "15"]  # used 15 of 15 in the 15-minute window
    dm_events = next(line.split() for line in lines if line.split()[:1] == ["dm_events"])
    assert dm_events[3] == "1"
