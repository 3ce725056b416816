"""When each stream of an account is polled next: as often as X's documented limit for it allows, spread over X's
window so that it never runs dry early, and never more often than the supervisor's shortest poll interval.

X counts each endpoint per user in 15-minute windows (x-api/fundamentals/rate-limits.mdx, social.budget's
DEFAULT_LIMITS, which a supervisor may scale per account): GET /2/dm_events 15, GET /2/users/:id/mentions 300,
GET /2/tweets/search/recent 300. One call every window / limit (DMs 60 s, mentions and search 3 s) uses the whole
window and never more, whatever the phase of X's window — X's own advice is to spread requests across it. When a
poll took more than one call (pagination), or the window is further gone than its calls (a poll queued late, a
catch-up, a send's parent fetch), the next poll waits for what is left to last: the time to the window's reset over
the calls left + 1 (the one more is the next window's first call, at the reset). What X's headers said is left
counts as much as Perch's own count. A stream X refused (429) waits for X's reset.

The price: X bills each resource returned, not each request (x-api/getting-started/pricing.mdx), so polling an
empty stream more often costs nothing more. What the ledger changes is whether: while the monthly spend cap holds
optional calls (social.costs), keyword search is not scheduled at all.

Webhook accounts: a stream the X Activity API delivers (DMs, mentions) is polled only while its webhook is down,
and then at its limit's pace, so customers wait no longer than a polling account's. Keyword search is always a poll.
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from social import budget, costs
from social.models import IngestCursor, XAccount, XSubscription

Stream = IngestCursor.Stream
# The X Activity API event that delivers what a stream would read.
WEBHOOK_EVENTS = {Stream.DM_EVENTS: "dm.received", Stream.MENTIONS: "post.mention.create"}
# Beat comes every 2 s: a stream due a few milliseconds after a tick (the last poll started just after its own tick)
# would otherwise wait a whole tick, and a 10 s interval would become 12 s.
DUE_EARLY = timedelta(seconds=0.5)


def limit_interval(account: XAccount, stream: str) -> float:
    """Seconds between two calls that spend X's limit evenly over its window: window / calls (the tightest window)."""
    return max(seconds / calls for calls, seconds in budget.limits_for(account, stream))


def interval(account: XAccount, stream: str) -> float:
    """The stream's interval: its limit's, never below the supervisor's shortest poll interval."""
    return max(limit_interval(account, stream), float(account.poll_interval_seconds))


def stretch(account: XAccount, stream: str, *, now: datetime) -> float:
    """Seconds to wait so that what is left of each window lasts until its reset (0 when Redis cannot say)."""
    waits = [(room.resets_at - now).total_seconds() / (room.calls + 1) for room in budget.room(account, stream)]
    return max([0.0, *waits])


def next_poll_at(
    account: XAccount, stream: str, *, started: datetime, now: datetime | None = None, reset_at: datetime | None = None
) -> datetime:
    """When a stream whose poll started at `started` (and ended `now`) is polled again. Counted from the start, so
    the time a poll takes does not push every later one back."""
    now = now or timezone.now()
    spaced = started + timedelta(seconds=interval(account, stream))
    lasting = now + timedelta(seconds=stretch(account, stream, now=now))
    return max(spaced, lasting, reset_at or spaced)


def webhook_down(account: XAccount, stream: str) -> bool:
    """Whether X cannot deliver the stream's events to the account's webhook now: X has no webhook of Perch's, its
    CRC check failed, or the stream's subscription is not active (yet, or any more). An account put in webhook mode
    without Perch registering a webhook (no XWebhook) is left to the catch-up polls, as social.replay leaves it."""
    hook = getattr(account, "webhook", None)
    if hook is None or stream not in WEBHOOK_EVENTS:
        return False
    if not hook.x_webhook_id or hook.crc_valid is False:
        return True
    subscribed = {s.event_type for s in account.subscriptions.all() if s.state == XSubscription.State.ACTIVE}
    return WEBHOOK_EVENTS[stream] not in subscribed


def due_streams(account: XAccount, streams: list[str], *, now: datetime) -> list[str]:
    """Those of `streams` whose time has come (never polled: now). Keyword search not while the cap holds it."""
    next_at = {cursor.stream: cursor.next_poll_at for cursor in account.cursors.all()}
    due = [s for s in streams if next_at.get(s) is None or next_at[s] <= now + DUE_EARLY]
    if Stream.SEARCH in due and costs.optional_calls_held(account, now=now):
        due.remove(Stream.SEARCH)
    return due


def streams_claim(*, account: XAccount, streams: list[str], now: datetime) -> list[str]:
    """Marks due streams as queued for a poll, until their interval has passed (the poll then sets their next time):
    the beats that come before a busy worker starts the poll do not queue it again. Returns those claimed."""
    IngestCursor.objects.bulk_create(
        [IngestCursor(account=account, stream=stream) for stream in streams], ignore_conflicts=True
    )
    still_due = Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now + DUE_EARLY)
    claimed = []
    for stream in streams:
        until = now + timedelta(seconds=interval(account, stream))
        if IngestCursor.objects.filter(still_due, account=account, stream=stream).update(next_poll_at=until):
            claimed.append(stream)
    return claimed


def stream_polled(*, account: XAccount, stream: str, started: datetime, reset_at: datetime | None = None) -> datetime:
    """Records when the stream just polled is polled next (see next_poll_at)."""
    due = next_poll_at(account, stream, started=started, reset_at=reset_at)
    IngestCursor.objects.filter(account=account, stream=stream).update(next_poll_at=due)
    return due
