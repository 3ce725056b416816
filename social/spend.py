"""Reads of the X spend ledger for supervisors: today's and this month's spend per account, per endpoint and per
handled conversation (the board, `x_budget`), and the spend of a report's days (Reports and its CSV). Days are UTC
days, as X bills them. A handled conversation is an interaction marked done in the period; its figure is the spend
of the period divided by them (what care costs per conversation, X's calls for everything included)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum

from interactions.models import Interaction
from social.costs import month_start, optional_calls_held, utc_day
from social.models import XAccount, XSpend

ZERO = Decimal("0")


def per_conversation(amount: Decimal, handled: int) -> Decimal | None:
    return amount / handled if handled else None


@dataclass
class EndpointSpend:
    endpoint: str
    today: Decimal = ZERO
    month: Decimal = ZERO
    calls_today: int = 0
    free_today: int = 0


@dataclass
class AccountSpend:
    account: XAccount
    today: Decimal = ZERO
    month: Decimal = ZERO
    handled_today: int = 0
    handled_month: int = 0
    endpoints: list[EndpointSpend] = field(default_factory=list)
    held: str = ""  # why optional calls are held (the cap), or ""

    @property
    def per_conversation_today(self) -> Decimal | None:
        return per_conversation(self.today, self.handled_today)

    @property
    def per_conversation_month(self) -> Decimal | None:
        return per_conversation(self.month, self.handled_month)

    @property
    def cap(self) -> Decimal | None:
        return self.account.monthly_spend_cap

    @property
    def cap_percent(self) -> int | None:
        return int(self.month * 100 / self.cap) if self.cap else None


def _utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, time.min, UTC), datetime.combine(last + timedelta(days=1), time.min, UTC)


def accounts_spend(*, now: datetime | None = None, account_ids=None) -> list[AccountSpend]:
    """Every account's spend today and this month, per endpoint, and per handled conversation (three queries)."""
    today = utc_day(now)
    first = month_start(today)
    accounts = XAccount.objects.order_by("name")
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    found = {a.pk: AccountSpend(a) for a in accounts}
    rows = (
        XSpend.objects.filter(account__in=list(found), day__gte=first, day__lte=today)
        .values("account_id", "endpoint")
        .annotate(
            month=Sum("amount"), today=Sum("amount", filter=Q(day=today)), calls=Sum("calls", filter=Q(day=today)),
            free=Sum("free_units", filter=Q(day=today)),
        )
        .order_by("account_id", "-month", "endpoint")
    )  # fmt: skip
    for row in rows:
        spend = found[row["account_id"]]
        item = EndpointSpend(row["endpoint"], row["today"] or ZERO, row["month"] or ZERO, row["calls"] or 0,
                             row["free"] or 0)  # fmt: skip
        spend.endpoints.append(item)
        spend.today += item.today
        spend.month += item.month
    month_from, until = _utc_bounds(first, today)
    day_from, _ = _utc_bounds(today, today)
    handled = (
        Interaction.objects.filter(x_account__in=list(found), done_at__gte=month_from, done_at__lt=until)
        .values("x_account_id")
        .annotate(month=Count("id"), today=Count("id", filter=Q(done_at__gte=day_from)))
    )
    for row in handled:
        spend = found[row["x_account_id"]]
        spend.handled_month, spend.handled_today = row["month"], row["today"]
    for spend in found.values():
        cap = spend.account.monthly_spend_cap
        if cap is not None and spend.month >= cap:
            spend.held = optional_calls_held(spend.account, now=now)
    return list(found.values())


@dataclass
class SpendRow:
    account: str
    endpoint: str
    price: str
    calls: int
    units: int
    free_units: int
    amount: Decimal


@dataclass
class PeriodSpend:
    rows: list[SpendRow]
    total: Decimal
    handled: int

    @property
    def per_conversation(self) -> Decimal | None:
        return per_conversation(self.total, self.handled)


def spend_between(*, start: date, end: date, account_id: int | None = None) -> PeriodSpend:
    """The ledger of the UTC days start..end, per account, endpoint and price, with the conversations handled then."""
    ledger = XSpend.objects.filter(day__gte=start, day__lte=end)
    done = Interaction.objects.filter(x_account__isnull=False)
    if account_id:
        ledger, done = ledger.filter(account_id=account_id), done.filter(x_account_id=account_id)
    grouped = (
        ledger.values("account__name", "account__handle", "endpoint", "price")
        .annotate(calls=Sum("calls"), units=Sum("units"), free=Sum("free_units"), amount=Sum("amount"))
        .order_by("account__name", "endpoint", "price")
    )
    rows = [
        SpendRow(f"{r['account__name']} (@{r['account__handle']})", r["endpoint"], r["price"], r["calls"], r["units"],
                 r["free"], r["amount"])
        for r in grouped
    ]  # fmt: skip
    since, until = _utc_bounds(start, end)
    handled = done.filter(done_at__gte=since, done_at__lt=until).count()
    return PeriodSpend(rows, sum((r.amount for r in rows), ZERO), handled)
