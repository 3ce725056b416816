"""Supervisors see what X charges: today's and this month's spend per account, per endpoint and per handled
conversation on the live board, the report's days in Reports and its CSV, and `x_budget` beside the rate budget;
the board says why optional calls are held once the monthly cap is reached."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from interactions.models import InteractionState
from social.models import XSpend
from tests.factories import PASSWORD, InteractionFactory, UserFactory, XAccountFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def spending():
    account = XAccountFactory(name="Acme Air", handle="acmeair", monthly_spend_cap=Decimal("5.00"))
    today, earlier = NOW.date(), NOW.date() - timedelta(days=3)
    XSpend.objects.create(account=account, day=today, endpoint="tweet_create", price="write.post_url", calls=2,
                          units=2, amount=Decimal("0.4"))  # fmt: skip
    XSpend.objects.create(account=account, day=today, endpoint="dm_events", price="read.dm_event", calls=4, units=3,
                          free_units=9, amount=Decimal("0.03"))  # fmt: skip
    XSpend.objects.create(account=account, day=earlier, endpoint="search", price="read.post", calls=10, units=100,
                          amount=Decimal("0.5"))  # fmt: skip
    XSpend.objects.create(account=account, day=NOW.date().replace(month=11), endpoint="search", price="read.post",
                          calls=1, units=1, amount=Decimal("9"))  # last month: not this month's  # fmt: skip
    for done in (NOW - timedelta(hours=1), NOW - timedelta(days=3)):
        InteractionFactory(x_account=account, state=InteractionState.DONE, done_at=done)
    UserFactory(username="sam", is_staff=True)
    return account


def test_the_board_shows_spend_today_this_month_per_endpoint_and_per_handled_conversation(spending):
    client = sign_in("sam", PASSWORD)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/admin/board/").content.decode()
        partial = client.get("/admin/board/spend/").content.decode()
    for html in (page, partial):
        assert 'aria-label="X spend of Acme Air (@acmeair)"' in html
        assert '<dd class="spend-today">$0.43</dd>' in html
        assert "$0.93 of $5.00 cap (18 %)" in html
        assert "today $0.43 (1 handled) · month $0.465 (2 handled)" in html
        assert '<th scope="row">dm_events</th><td>$0.03</td><td>4</td><td>9</td><td>$0.03</td>' in html
        assert "spend-held" not in html


def test_a_reached_cap_says_on_the_board_what_is_held_and_why(spending):
    XSpend.objects.filter(endpoint="search", day=NOW.date() - timedelta(days=3)).update(amount=Decimal("4.6"))
    client = sign_in("sam", PASSWORD)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/admin/board/spend/").content.decode()
    assert 'data-held="true"' in html
    assert (
        "The monthly X spend cap ($5.00) is reached: keyword search and parent-tweet fetches are held until the month "
        "ends; DMs and replies keep flowing."
    ) in html


def test_reports_and_their_csv_show_the_spend_of_the_range(spending):
    client = sign_in("sam", PASSWORD)
    query = f"start={NOW.date().replace(day=1)}&end={NOW.date()}"
    with time_machine.travel(NOW, tick=False):
        html = client.get(f"/admin/reports/?{query}").content.decode()
        answer = client.get(f"/admin/reports/export.csv?{query}")
    assert "$0.93 in all · $0.465 per handled conversation (2 handled)" in html
    assert "<td>Acme Air (@acmeair)</td><td>tweet_create</td><td>write.post_url</td><td>2</td><td>2</td>" in html
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert ["x account", "endpoint", "price", "calls", "billed", "free re-reads", "usd"] in rows
    assert ["Acme Air (@acmeair)", "dm_events", "read.dm_event", "4", "3", "9", "0.030000"] in rows
    assert ["all", "", "", "", "", "", "0.930000"] in rows
    assert ["per handled conversation", "", "", "", "2", "", "0.465000"] in rows


def test_x_budget_prints_spend_beside_the_rate_budget(spending):
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("x_budget", stdout=out)
    text = out.getvalue()
    assert "X spend: today $0.43, this month $0.93 of $5.00 cap" in text
    line = next(line for line in text.splitlines() if line.strip().startswith("dm_events"))
    assert line.rstrip().endswith("$0.03 / $0.03")


def test_an_unknown_price_override_is_refused_in_words_in_the_admin(spending):
    from social.admin import XAccountForm

    form = XAccountForm(instance=spending, data={"price_overrides": '{"write.tweet": "1"}'})
    form.is_valid()
    assert "'write.tweet' is not one of X's prices" in form.errors["price_overrides"][0]
