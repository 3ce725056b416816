"""Ingestion health of each X account, for supervisors: last successful poll or webhook, how far behind Perch
may be, "needs reconnect", and silence.

*Silence*: no customer event (DM or mention) for `ACCOUNT_SILENCE_MINUTES` (30) while the account is usually
busy. *Usually busy* means: at the account's average rate over the past 7 days, at least
`SILENCE_EXPECTED_EVENTS` (3) events would have arrived in that many minutes, so such a silence happens by
chance about 5 % of the time (Poisson, e^-3) and more likely means events stopped reaching Perch. Quiet accounts
never alert.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from interactions.models import Message
from social import access
from social.alerts import alert_supervisors
from social.models import WebhookReplay, XAccount
from social.replay import latest_replays
from workspace.infra.events import AccountRecovered, AccountSilent

BUSY_WINDOW = timedelta(days=7)
POLL_LATE_INTERVALS = 3
SILENCE_EXPECTED_EVENTS = 3


def silence_minutes() -> int:
    return getattr(settings, "ACCOUNT_SILENCE_MINUTES", 30)


@dataclass(frozen=True)
class AccountHealth:
    account: XAccount
    last_ok_at: datetime | None  # last successful poll or webhook delivery
    lag: timedelta | None  # since then: events newer than this may not be in Perch yet
    last_event_at: datetime | None  # newest customer event (X's time)
    events_per_hour: float  # average over the past 7 days
    silent: bool
    stale: bool  # a polling account not polled successfully for three intervals
    replay: WebhookReplay | None = None  # the newest replay after downtime (webhook accounts)
    access_notes: tuple[str, ...] = ()  # what the account is set to do but its access does not allow, and why

    @property
    def status(self) -> str:
        if not self.account.is_active:
            return "inactive"
        if self.account.needs_reconnect:
            return "needs_reconnect"
        if self.silent:
            return "silent"
        if self.account.rate_limited_until and self.account.rate_limited_until > timezone.now():
            return "rate_limited"
        return "stale" if self.stale else "ok"

    @property
    def status_label(self) -> str:
        return {
            "inactive": "Inactive",
            "needs_reconnect": "Needs reconnect",
            "silent": f"Silent for {silence_minutes()}+ min",
            "rate_limited": "Rate limited",
            "stale": "Polling late",
            "ok": "Healthy",
        }[self.status]


def accounts_health(*, now: datetime | None = None) -> list[AccountHealth]:
    """Health of every X account, in three queries whatever the number of accounts."""
    now = now or timezone.now()
    stats = {
        row["x_account"]: row
        for row in Message.objects.filter(
            direction=Message.Direction.INBOUND, x_account__isnull=False, created_at__gte=now - BUSY_WINDOW
        )
        .values("x_account")
        .annotate(n=Count("id"), last=Max("created_at"))
    }
    window = timedelta(minutes=silence_minutes())
    rows = []
    accounts = list(XAccount.objects.select_related("team").order_by("name"))
    replays = latest_replays([a.pk for a in accounts])
    for account in accounts:
        row = stats.get(account.pk, {"n": 0, "last": None})
        per_hour = row["n"] / (BUSY_WINDOW.total_seconds() / 3600)
        busy = per_hour * window.total_seconds() / 3600 >= SILENCE_EXPECTED_EVENTS
        quiet = row["last"] is None or now - row["last"] >= window
        lag = now - account.last_poll_ok_at if account.last_poll_ok_at else None
        # Late: no good poll for three intervals and at least a minute (a new account gets as long for its first).
        late_after = timedelta(seconds=max(POLL_LATE_INTERVALS * account.poll_interval_seconds, 60))
        stale = (
            account.mode == XAccount.Mode.POLLING and now - (account.last_poll_ok_at or account.created_at) > late_after
        )
        rows.append(AccountHealth(account, account.last_poll_ok_at, lag, row["last"], per_hour, busy and quiet, stale,
                                  replays.get(account.pk), access_notes(account)))  # fmt: skip
    return rows


def access_notes(account: XAccount) -> tuple[str, ...]:
    """Set up but not allowed: keyword monitoring without search, webhook mode without webhooks (social.access)."""
    notes = []
    search = access.may(account, access.Action.SEARCH)
    if account.keywords.strip() and not search:
        notes.append(f"Keyword monitoring is paused: {search.reason}")
    webhooks = access.may(account, access.Action.WEBHOOKS)
    if account.mode == XAccount.Mode.WEBHOOK and not webhooks:
        notes.append(f"Webhook mode: {webhooks.reason}")
    return tuple(notes)


def accounts_check_silence(*, now: datetime | None = None) -> list[int]:
    """Run by beat: alerts supervisors once when a usually busy account falls silent, and again when it wakes up.
    Returns the ids of accounts newly found silent."""
    now = now or timezone.now()
    newly_silent = []
    for health in accounts_health(now=now):
        account = health.account
        if not account.is_active or account.needs_reconnect:
            continue  # those have their own alert; a stopped account is expected to be quiet
        with transaction.atomic():
            unmarked = XAccount.objects.filter(pk=account.pk, silent_since__isnull=True)
            if health.silent and unmarked.update(silent_since=now):  # once per silence, however many beats
                minutes = silence_minutes()
                alert_supervisors(AccountSilent(
                    account_id=account.pk, account=str(account),
                    message=f"{account} has had no events for {minutes} minutes while usually busy.",
                ))  # fmt: skip
                newly_silent.append(account.pk)
            elif not health.silent and XAccount.objects.filter(pk=account.pk, silent_since__isnull=False).update(
                silent_since=None
            ):
                alert_supervisors(AccountRecovered(account_id=account.pk, account=str(account)))
    return newly_silent
