"""What X charges: a day of traffic through the real polling and sending paths, priced by Perch's ledger and by the
sandbox (its x-sandbox-cost-usd headers), which must agree per endpoint; the monthly cap holds keyword search and
parent-tweet fetches first while DMs and replies keep flowing; supervisors are warned once at 80 %."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db.models import Sum

from interactions import outbox, services
from interactions.models import Message
from social import costs, polling, prices
from social.models import XAccount, XSpend
from tests.factories import PASSWORD, AgentFactory, UserFactory
from tests.helpers import sign_in
from tests.social.test_health import board_socket

pytestmark = pytest.mark.django_db(transaction=True)


def sandbox_charges(simulator, account) -> dict:
    answer = requests.get(f"{simulator.api}/charges", params={"user_id": account.x_user_id}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def ledger(account, day=None) -> dict[str, Decimal]:
    rows = XSpend.objects.filter(account=account, **({"day": day} if day else {}))
    return {r["endpoint"]: r["s"] for r in rows.values("endpoint").annotate(s=Sum("amount")).order_by("endpoint")}


def take(account, tweet_or_dm_interaction=None):
    agent = AgentFactory()
    interaction = tweet_or_dm_interaction or account.interactions.order_by("pk").last()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    return agent, interaction


def test_a_day_of_traffic_costs_in_perch_what_the_sandbox_billed_per_endpoint(simulator, brand):
    XAccount.objects.filter(pk=brand.pk).update(
        keywords="refund", access=XAccount.Access.ENTERPRISE
    )  # only Enterprise may like
    brand.refresh_from_db()
    maya, tom, lee = simulator.user("maya", "Maya Patel"), simulator.user("tom"), simulator.user("lee")
    today = datetime.now(tz=UTC).replace(hour=6, minute=0, second=0, microsecond=0)
    with time_machine.travel(today, tick=True) as clock:
        simulator.dm(maya, brand.x_user_id, "Where is my parcel?")
        mention = simulator.tweet(tom, "@acmecare my refund never came")  # a mention and a keyword match
        original = simulator.tweet(lee, "Flying with Acme today")  # never seen by Perch: a parent to fetch
        polling.poll_account(account_id=brand.pk)

        clock.shift(timedelta(hours=2))
        agent, chat = take(brand, brand.interactions.get(kind="chat"))
        outbox.outbox_send_dm(interaction_id=chat.pk, agent=agent, text="Let me check", idempotency_key="d1")
        simulator.dm(maya, brand.x_user_id, "Thanks!")
        polling.poll_account(account_id=brand.pk)  # the first DM events again: free, only the new one is billed

        clock.shift(timedelta(hours=3))
        tweeter, thread = take(brand, brand.interactions.get(kind="twitter"))
        reply = outbox.outbox_reply(
            interaction_id=thread.pk, agent=tweeter, in_reply_to_tweet_id=mention["id"],
            text="Sorry Tom, the form is at https://acme.com/refunds", idempotency_key="r1",
        )  # fmt: skip
        simulator.tweet(lee, "@acmecare and mine?", in_reply_to=original["id"])  # its parent is fetched
        polling.poll_account(account_id=brand.pk)

        clock.shift(timedelta(hours=4))
        second = brand.interactions.filter(kind="twitter").exclude(pk=thread.pk).get()
        second_agent, _ = take(brand, second)
        question = Message.objects.get(text__endswith="and mine?")
        plain = outbox.outbox_reply(
            interaction_id=second.pk, agent=second_agent, in_reply_to_tweet_id=question.external_id,
            text="Checking yours too, Lee", idempotency_key="r2",
        )  # fmt: skip
        outbox.outbox_like(interaction_id=thread.pk, agent=tweeter, tweet_id=mention["id"], idempotency_key="l1")
        polling.poll_account(account_id=brand.pk)
        day = costs.utc_day()

    reply.refresh_from_db()
    plain.refresh_from_db()
    assert (reply.delivery, plain.delivery) == ("sent", "sent")
    billed = sandbox_charges(simulator, brand)
    ours = ledger(brand, day)
    assert {e: str(a.normalize()) for e, a in ours.items()} == {
        e: str(Decimal(a).normalize()) for e, a in billed["endpoints"].items()
    }
    assert sum(ours.values()) == Decimal(billed["total"])

    # The rules behind those sums, row by row.
    def row(endpoint, price):
        return XSpend.objects.get(account=brand, day=day, endpoint=endpoint, price=price)

    assert row("tweet_create", "write.post_url").amount == Decimal("0.2")  # the reply holding a link
    assert row("tweet_create", "write.post_summoned").amount == Decimal("0.01")  # Lee @mentioned the brand
    assert row("dm_send", "write.dm").amount == Decimal("0.015")
    assert row("like", "write.like").amount == Decimal("0.015")
    assert row("users_me", "read.user").amount == Decimal("0.01")  # whose credentials: asked once
    dm_reads = row("dm_events", "read.dm_event")
    assert dm_reads.units == 3 and dm_reads.free_units > 0  # Maya's two DMs and the brand's: each once today
    owned = row("mentions", "read.owned")
    assert owned.units == 2 and owned.amount == Decimal("0.002")  # the brand's own mentions: X's owned rate
    assert row("search", "read.post").units == 0  # Tom's tweet was read as a mention first: free again today
    assert row("tweet_lookup", "read.post").units == 1  # Lee's original, the parent of a reply

    # The next UTC day the same DMs are billed again.
    with time_machine.travel(today + timedelta(days=1), tick=True):
        polling.poll_account(account_id=brand.pk)
        tomorrow = costs.utc_day()
    assert XSpend.objects.get(account=brand, day=tomorrow, endpoint="dm_events").units == 3


def test_a_reached_cap_holds_keyword_search_and_parent_fetches_while_dms_and_replies_flow(simulator, brand):
    XAccount.objects.filter(pk=brand.pk).update(keywords="refund", monthly_spend_cap=Decimal("1.00"))
    brand.refresh_from_db()
    XSpend.objects.create(account=brand, day=costs.utc_day(), endpoint="search", price="read.post", amount=1)
    maya, lee = simulator.user("maya"), simulator.user("lee")
    simulator.dm(maya, brand.x_user_id, "Where is my parcel?")
    simulator.tweet(lee, "Acme lost my refund")  # only keyword search would find it
    original = simulator.tweet(lee, "Flying with Acme")
    simulator.tweet(lee, "@acmecare help", in_reply_to=original["id"])
    before = sandbox_charges(simulator, brand)["endpoints"]

    report = polling.poll_account(account_id=brand.pk)
    assert "monthly X spend cap ($1.00) is reached" in report.held
    texts = set(Message.objects.values_list("text", flat=True))
    assert "Where is my parcel?" in texts and "@acmecare help" in texts  # DMs and mentions flow
    assert "Acme lost my refund" not in texts and "Flying with Acme" not in texts
    after = sandbox_charges(simulator, brand)["endpoints"]
    assert "search" not in after and "tweet_lookup" not in after and before == {}

    agent, chat = take(brand, brand.interactions.get(kind="chat"))
    dm = outbox.outbox_send_dm(interaction_id=chat.pk, agent=agent, text="On it", idempotency_key="d1")
    tweeter, thread = take(brand, brand.interactions.get(kind="twitter"))
    question = Message.objects.get(text="@acmecare help")
    reply = outbox.outbox_reply(
        interaction_id=thread.pk, agent=tweeter, in_reply_to_tweet_id=question.external_id,
        text="We are on it", idempotency_key="r1",
    )  # fmt: skip
    dm.refresh_from_db()
    reply.refresh_from_db()
    assert (dm.delivery, reply.delivery) == ("sent", "sent")


def test_supervisors_are_warned_once_at_80_percent_and_once_when_the_cap_is_reached(simulator, brand):
    XAccount.objects.filter(pk=brand.pk).update(monthly_spend_cap=Decimal("1.00"))
    brand.refresh_from_db()
    earlier = XSpend.objects.create(
        account=brand, day=costs.utc_day(), endpoint="search", price="read.post", amount="0.77"
    )
    maya = simulator.user("maya")
    simulator.dm(maya, brand.x_user_id, "Hello")
    polling.poll_account(account_id=brand.pk)  # users/me and the DM: 0.77 + 0.01 + 0.01 = 0.79
    agent, chat = take(brand, brand.interactions.get(kind="chat"))
    UserFactory(username="sam", is_staff=True)
    client = sign_in("sam", PASSWORD)

    def send(key):
        outbox.outbox_send_dm(interaction_id=chat.pk, agent=agent, text=f"Reply {key}", idempotency_key=key)

    async def scenario():
        board = board_socket(client)
        assert (await board.connect(timeout=5))[0]
        await board.receive_json_from(timeout=5)  # hello
        nothing_below = await board.receive_nothing(timeout=0.3)
        await database_sync_to_async(send)("a")  # 0.805: past 80 %
        warned = await board.receive_json_from(timeout=5)
        await database_sync_to_async(send)("b")  # 0.82: still past 80 %, warned already
        once = await board.receive_nothing(timeout=0.5)
        await database_sync_to_async(XSpend.objects.filter(pk=earlier.pk).update)(amount=Decimal("0.98"))
        await database_sync_to_async(send)("c")  # 1.045: the cap
        reached = await board.receive_json_from(timeout=5)
        await database_sync_to_async(send)("d")
        once_more = await board.receive_nothing(timeout=0.5)
        await board.disconnect()
        return nothing_below, warned, once, reached, once_more

    nothing_below, warned, once, reached, once_more = async_to_sync(scenario)()
    assert nothing_below and once and once_more, "a cap alert was sent twice (or below 80 %)"
    assert warned["type"] == "account.spend" and warned["level"] == 80
    assert "has spent $0.805 of its monthly X spend cap ($1.00): 80 % reached" in warned["message"]
    assert reached["level"] == 100 and "reached its monthly X spend cap ($1.00)" in reached["message"]
    assert Message.objects.filter(direction="out", delivery="sent").count() == 4  # DMs flow past the cap


def test_prices_are_x_table_of_the_day_and_an_account_may_override_them():
    assert prices.EFFECTIVE.isoformat() == "2026-04-20"
    table = prices.price_table()
    assert table["write.post_url"] == Decimal("0.2") and table["read.owned"] == Decimal("0.001")
    account = XAccount(price_overrides={"write.post_url": "0.25"})
    assert prices.price_of("write.post_url", account) == Decimal("0.25")
    assert prices.price_of("event.dm.received") == Decimal("0.01")
    assert prices.price_of("event.dm.read") == 0  # X: not billed
    assert prices.usd(Decimal("0.2")) == "$0.20" and prices.usd(Decimal("0.015")) == "$0.015"
    with pytest.raises(prices.PriceOverrideError, match="not one of X's prices"):
        prices.parse_overrides({"write.tweet": 1})
    with pytest.raises(prices.PriceOverrideError, match="from 0 to 100"):
        prices.parse_overrides({"write.dm": "free"})
