"""Rate limits as X counts them: per acting user (or the app, for Bearer calls) and endpoint, in fixed windows
kept in the database (the server may run in several processes), reported in x-rate-limit-* headers."""

import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from social.sandbox.errors import Problem
from social.sandbox.models import SandboxLimit, SandboxRateWindow

# X's documented per-user limits as (calls, window seconds); the first window is the one the headers report.
USER_LIMITS = {
    "users_me": [(75, 900)],
    "users_lookup": [(900, 900)],
    "mentions": [(300, 900)],
    "tweet_lookup": [(900, 900)],
    "search": [(300, 900)],
    "dm_events": [(15, 900)],
    "dm_send": [(15, 900), (1440, 86400)],
    "tweet_create": [(100, 900)],
    "tweet_delete": [(50, 900)],
    "like": [(50, 900)],
    "unlike": [(50, 900)],
    "media_upload": [(500, 900)],  # POST /2/media/upload (one shot)
    "media_status": [(1000, 900)],  # GET /2/media/upload?command=STATUS
    "media_initialize": [(1875, 900)],
    "media_append": [(1875, 900)],
    "media_finalize": [(1875, 900)],
    # X counts the X Activity API per app only; the sandbox counts a user-context call per user, at the same rate.
    "webhooks": [(450, 900)],
    "activity_subscriptions": [(500, 900)],
    "webhooks_replay": [(100, 900)],
}
# Per-app limits of the routes that accept a Bearer token.
APP_LIMITS = {
    "users_lookup": [(300, 900)],
    "mentions": [(450, 900)],
    "tweet_lookup": [(450, 900)],
    "search": [(450, 900)],
    "webhooks": [(450, 900)],
    "activity_subscriptions": [(500, 900)],
    "webhooks_replay": [(100, 900)],
}
LIMITS = USER_LIMITS  # the endpoint names the simulator's limits API accepts


def multiplier() -> float:
    return float(getattr(settings, "X_SANDBOX_RATE_LIMIT_MULTIPLIER", 10))


def windows(endpoint: str, *, app: bool) -> list[tuple[int, int]]:
    """The (limit, seconds) windows in force: a run-time override, else X's values times the multiplier."""
    override = SandboxLimit.objects.filter(endpoint=endpoint).first()
    if override:
        return [(override.limit, override.window_seconds)]
    table = APP_LIMITS if app and endpoint in APP_LIMITS else USER_LIMITS
    return [(max(1, int(calls * multiplier())), seconds) for calls, seconds in table[endpoint]]


def _headers(limit: int, used: int, reset: int) -> dict:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(max(0, limit - used)),
        "x-rate-limit-reset": str(reset),
    }


def _row(key: str, start: int) -> SandboxRateWindow:
    """The window's counter row, locked until the end of the transaction (created by the first call)."""
    row = SandboxRateWindow.objects.select_for_update().filter(key=key, window_start=start).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return SandboxRateWindow.objects.create(key=key, window_start=start, count=0)
    except IntegrityError:  # another request created it meanwhile
        return SandboxRateWindow.objects.select_for_update().get(key=key, window_start=start)


def spend(endpoint: str, who: str, *, app: bool = False) -> dict:
    """Counts one call in every window; returns the headers; raises a 429 Problem (with headers) when full, and
    counts that refusal (`refused`)."""
    try:
        return _spend(endpoint, who, app=app)
    except Problem:
        with transaction.atomic():  # after the refused call's own transaction rolled back
            row = _row(f"{REFUSED}:{endpoint}:{who}", 0)
            SandboxRateWindow.objects.filter(pk=row.pk).update(count=F("count") + 1)
        raise


REFUSED = "refused"  # the key prefix of the running count of calls refused for a full window (not injected faults)


def refused(*, endpoint: str = "", who: str = "") -> int:
    """How many calls the sandbox answered 429 because a window was full (for one endpoint and caller, a user id or
    "app", when given): a client that keeps to X's limits gets none."""
    total = 0
    rows = SandboxRateWindow.objects.filter(key__startswith=f"{REFUSED}:", window_start=0)
    for key, count in rows.values_list("key", "count"):
        _, counted_endpoint, caller = key.split(":", 2)
        if endpoint in ("", counted_endpoint) and str(who) in ("", caller):
            total += count
    return total


def _spend(endpoint: str, who: str, *, app: bool) -> dict:
    now = int(time.time())
    reported = None
    with transaction.atomic():
        rows = []
        for limit, seconds in windows(endpoint, app=app):
            start = now // seconds * seconds
            key = f"{endpoint}:{who}:{seconds}"
            row = _row(key, start)
            rows.append((row, limit, start + seconds))
            if row.count >= limit:
                headers = _headers(limit, row.count, start + seconds)
                raise Problem(429, headers=headers)
        for row, limit, reset in rows:
            SandboxRateWindow.objects.filter(pk=row.pk).update(count=F("count") + 1)
            if reported is None:
                reported = _headers(limit, row.count + 1, reset)
        # Windows that ended are of no use any more.
        SandboxRateWindow.objects.filter(key__startswith=f"{endpoint}:{who}:", window_start__lt=now - 86400).delete()
    return reported


def peek(endpoint: str, who: str, *, app: bool = False) -> dict:
    """The headers of the first window without counting a call (for answers that do not count, e.g. faults)."""
    limit, seconds = windows(endpoint, app=app)[0]
    start = int(time.time()) // seconds * seconds
    row = SandboxRateWindow.objects.filter(key=f"{endpoint}:{who}:{seconds}", window_start=start).first()
    return _headers(limit, row.count if row else 0, start + seconds)
