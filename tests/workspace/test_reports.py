"""The supervisors' reports (/admin/reports/): a fixed day of work with known figures, on the page and in the CSV."""

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.utils import timezone

from interactions.models import Channel, InteractionState, Message, Offer
from tests.factories import (
    PASSWORD,
    AgentFactory,
    InboundDMFactory,
    InteractionFactory,
    UserFactory,
    XAccountFactory,
)
from tests.helpers import sign_in
from workspace.agents.models import Team

pytestmark = pytest.mark.django_db

RANGE = {"start": "2026-03-02", "end": "2026-03-03"}


def at(hour: int, minute: int = 0, second: int = 0, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=dt.UTC)


def outbound(interaction, when, *, kind=Message.Kind.DM, agent=None):
    return Message.objects.create(
        interaction=interaction,
        x_account=interaction.x_account,
        direction=Message.Direction.OUTBOUND,
        kind=kind,
        author_agent=agent,
        text="On it!",
        delivery=Message.Delivery.SENT,
        created_at=when,
        sent_at=when,
    )


def offer(interaction, agent, state, when):
    with time_machine.travel(when, tick=False):
        return Offer.objects.create(
            interaction=interaction,
            agent=agent,
            state=state,
            expires_at=when + dt.timedelta(seconds=30),
            responded_at=when,
        )


@pytest.fixture
def day_of_work():
    """Two worked interactions (first response 90 s each, handle time 10 min each, waits of 30 s and 60 s), one
    still queued the next day, one outside the range; one offer rejected, one expired."""
    billing = Team.objects.create(name="Billing")
    account_a = XAccountFactory(name="Acme Billing", team=billing)
    account_b = XAccountFactory(name="Acme Care")
    ana, ben = AgentFactory(username="ana"), AgentFactory(username="ben")

    with time_machine.travel(at(9), tick=False):
        first = InteractionFactory(kind=Channel.CHAT, x_account=account_a, sentiment=-0.8)
    InboundDMFactory(interaction=first, created_at=at(9))
    offer(first, ben, Offer.State.REJECTED, at(9, 0, 5))
    offer(first, ana, Offer.State.ACCEPTED, at(9, 0, 20))
    outbound(first, at(9, 1, 30), agent=ana)  # first response: 90 s
    InboundDMFactory(interaction=first, created_at=at(9, 2))
    outbound(first, at(9, 3), agent=ana)
    first.__class__.objects.filter(pk=first.pk).update(
        agent=ana, state=InteractionState.DONE, accepted_at=at(9, 0, 30), ended_at=at(9, 10, 30), done_at=at(9, 11)
    )

    with time_machine.travel(at(10), tick=False):
        second = InteractionFactory(kind=Channel.TWITTER, x_account=account_b, sentiment=0.6)
    InboundDMFactory(interaction=second, kind=Message.Kind.TWEET, created_at=at(10))
    offer(second, ana, Offer.State.EXPIRED, at(10, 0, 30))
    offer(second, ben, Offer.State.ACCEPTED, at(10, 0, 50))
    outbound(second, at(10, 1, 30), kind=Message.Kind.TWEET, agent=ben)  # first response: 90 s
    outbound(second, at(10, 2), kind=Message.Kind.LIKE, agent=ben)  # a Like is not a message
    second.__class__.objects.filter(pk=second.pk).update(
        agent=ben, state=InteractionState.ENDED, accepted_at=at(10, 1), ended_at=at(10, 11)
    )

    with time_machine.travel(at(8, day=3), tick=False):
        third = InteractionFactory(kind=Channel.CHAT, x_account=account_a)
    InboundDMFactory(interaction=third, created_at=at(8, day=3))

    with time_machine.travel(dt.datetime(2026, 2, 20, 9, tzinfo=dt.UTC), tick=False):
        old = InteractionFactory(kind=Channel.CHAT, x_account=account_a, sentiment=-0.9)
    InboundDMFactory(interaction=old, created_at=old.opened_at)
    return {"billing": billing, "account_a": account_a, "account_b": account_b, "ana": ana, "ben": ben}


@pytest.fixture
def supervisor_client():
    UserFactory(username="sam", is_staff=True)
    return sign_in("sam", PASSWORD)


def cards(html: str) -> dict[str, str]:
    found = re.findall(
        r'data-figure="(\w+)">\s*<div class="report-card-label">[^<]*</div>\s*<div class="report-card-value">([^<]*)<',
        html,
    )
    return dict(found)


def test_the_page_shows_the_figures_of_the_day(day_of_work, supervisor_client):
    response = supervisor_client.get("/admin/reports/", RANGE)
    assert response.status_code == 200
    assert cards(response.content.decode()) == {
        "messages_in": "4",
        "messages_out": "3",
        "interactions_opened": "3",
        "interactions_done": "1",
        "first_response_seconds": "1 min 30 s",
        "handle_seconds": "10 min 0 s",
        "waiting_seconds": "45 s",
        "offers_rejected": "1",
        "offers_expired": "1",
        "sentiment_negative": "1",
        "sentiment_neutral": "1",
        "sentiment_positive": "1",
    }
    page = response.content.decode()
    assert "<svg" in page and "Mon 02 Mar: 3 in" in page and "Tue 03 Mar: 1 in" in page
    assert "negative: 1 (33%)" in page
    assert "<script" not in page.split('id="content-main"')[1]


def test_the_csv_holds_the_same_figures(day_of_work, supervisor_client):
    response = supervisor_client.get("/admin/reports/export.csv", RANGE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="perch-report-2026-03-02-2026-03-03.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    figures = {row[0]: (row[1], row[2]) for row in rows[1:13]}
    assert rows[0] == ["figure", "value", "unit"]
    assert figures["First response time (average)"] == ("90.0", "seconds")
    assert figures["Handle time (average)"] == ("600.0", "seconds")
    assert figures["Waiting time (average)"] == ("45.0", "seconds")
    assert figures["Messages in"] == ("4", "count") and figures["Messages out"] == ("3", "count")
    assert figures["Interactions opened"] == ("3", "count") and figures["Interactions done"] == ("1", "count")
    assert figures["Offers rejected"] == ("1", "count") and figures["Offers expired"] == ("1", "count")
    spend_header = rows.index(["x account", "endpoint", "price", "calls", "billed", "free re-reads", "usd"])
    assert rows[spend_header - 3 : spend_header - 1] == [["2026-03-02", "3", "3"], ["2026-03-03", "1", "0"]]


def test_filters_narrow_the_figures(day_of_work, supervisor_client):
    ana = day_of_work["ana"]
    by_agent = cards(supervisor_client.get("/admin/reports/", {**RANGE, "agent": ana.pk}).content.decode())
    assert by_agent["interactions_opened"] == "1" and by_agent["messages_in"] == "2"
    assert by_agent["waiting_seconds"] == "30 s"
    # Offers count against the agent they were offered to: Ana let one expire, Ben rejected one.
    assert by_agent["offers_expired"] == "1" and by_agent["offers_rejected"] == "0"

    by_team = cards(
        supervisor_client.get("/admin/reports/", {**RANGE, "team": day_of_work["billing"].pk}).content.decode()
    )
    assert by_team["interactions_opened"] == "2" and by_team["sentiment_neutral"] == "1"

    twitter = cards(supervisor_client.get("/admin/reports/", {**RANGE, "channel": "twitter"}).content.decode())
    assert twitter["interactions_opened"] == "1" and twitter["messages_out"] == "1"
    assert twitter["sentiment_positive"] == "1"

    by_account = cards(
        supervisor_client.get("/admin/reports/", {**RANGE, "x_account": day_of_work["account_b"].pk}).content.decode()
    )
    assert by_account["interactions_opened"] == "1" and by_account["offers_expired"] == "1"


def test_an_empty_range_shows_dashes_not_errors(supervisor_client):
    found = cards(supervisor_client.get("/admin/reports/", RANGE).content.decode())
    assert found["interactions_opened"] == "0" and found["first_response_seconds"] == "—"


def test_bad_dates_get_a_clear_error(supervisor_client):
    response = supervisor_client.get("/admin/reports/", {"start": "2026-03-05", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    csv_response = supervisor_client.get("/admin/reports/export.csv", {"start": "not a date", "end": "2026-03-01"})
    assert csv_response.status_code == 400 and "Enter a valid date" in csv_response.content.decode()


def test_the_report_costs_the_same_queries_for_more_rows(day_of_work, supervisor_client, django_assert_num_queries):
    supervisor_client.get("/admin/reports/", RANGE)  # warm the session
    with django_assert_num_queries(13) as captured:  # 11, and X spend's two (the ledger, conversations handled)
        supervisor_client.get("/admin/reports/", RANGE)
    for _ in range(5):
        with time_machine.travel(at(12), tick=False):
            more = InteractionFactory(x_account=day_of_work["account_a"])
        InboundDMFactory(interaction=more, created_at=at(12))
    with django_assert_num_queries(len(captured)):
        response = supervisor_client.get("/admin/reports/", RANGE)
    assert cards(response.content.decode())["interactions_opened"] == "8"


def test_agents_are_sent_to_the_admin_login(day_of_work):
    client = sign_in("ana", PASSWORD)
    for url in ("/admin/reports/", "/admin/reports/export.csv"):
        response = client.get(url, RANGE)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_admin_index_links_to_reports(supervisor_client):
    assert 'href="/admin/reports/"' in supervisor_client.get("/admin/").content.decode()


def test_default_range_is_the_last_seven_days(supervisor_client):
    with time_machine.travel(at(12, day=9), tick=False):
        response = supervisor_client.get("/admin/reports/")
    assert response.status_code == 200
    assert 'value="2026-03-03"' in response.content.decode() and 'value="2026-03-09"' in response.content.decode()
    assert timezone.is_aware(at(1))
