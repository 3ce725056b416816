"""Replay after downtime: while Perch (its web process, or all of it) could not be reached, X's deliveries failed and
X does not send them again by itself. Beat's watch asks X to replay the gap, and polls for what replay cannot cover.

Every `WEBHOOK_WATCH_SECONDS` (and at beat's start) the watch asks X about each webhook account's webhook: was it
invalid (GET /2/webhooks: X marks it so after failed CRC checks, and then delivers nothing), and can X reach Perch
now (PUT /2/webhooks/{id}: X runs a CRC check against Perch at once). A passing check is "known reachable at" now.
When the last such moment is more than about two watch intervals ago (the watch itself did not run: Perch was
down), or X said the webhook was invalid, Perch asks X to replay [known reachable − 1 min, now] in whole UTC minutes,
clipped to X's 24 h, and keeps a WebhookReplay; X's completion message closes it with the number of events newly
stored. A catch-up poll from the stored cursors runs for what replay cannot cover: a gap older than 24 h, a replay X
refused (retried at the next watch, since the gap stays open), a job X reports incomplete, and every watch while X
cannot reach Perch (so customers are never lost while the webhook is down).

Deliveries do not move "known reachable": the first delivery after a restart would otherwise hide the gap before it.
A watch that could not run while deliveries still came (beat down, web up) replays a window whose events Perch has;
each is refused by its event_uuid, and the replay says "(0 events)". Nothing is stored twice either way.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from social.activity import explained
from social.integrations.x_client import (
    XBadRequest,
    XClient,
    XError,
    XNotFound,
    XRateLimited,
    XTransient,
    XUnauthorized,
)
from social.integrations.x_replay import ReplayJobStatus
from social.models import WebhookReplay, XAccount, XDelivery, XWebhook
from social.reconnect import account_needs_reconnect
from workspace.infra.events import BoardChanged
from workspace.infra.logs import log_event
from workspace.infra.push import notify_board

log = logging.getLogger(__name__)

MINUTE = timedelta(minutes=1)
REPLAY_HORIZON = timedelta(hours=24)  # X replays the last 24 hours only
MISSED_WATCHES = 2  # a gap longer than this many watch intervals means the watch (and so Perch) did not run
OPEN_JOB_HOURS = 2  # a job X never reported on is given up after this (X's docs keep windows within ~2 hours)
LOCK_SECONDS = 120


def watch_interval() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_WATCH_SECONDS)


def x_minute(moment: datetime) -> str:
    """X's `yyyymmddhhmm`, in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def _floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def replay_window(*, since: datetime, now: datetime) -> tuple[datetime, datetime, bool]:
    """The minutes to replay for a gap that began at `since`: from the minute before it (X's minutes are whole, so
    an event of `since`'s own minute is not missed) to the current minute, both inclusive as openapi.json says of
    from_date and to_date; clipped to X's last 24 h with a minute to spare for clocks. The flag says clipped: the
    older part needs a catch-up poll."""
    start = _floor_minute(since - MINUTE)
    oldest = _floor_minute(now - REPLAY_HORIZON) + MINUTE
    return max(start, oldest), _floor_minute(now), start < oldest


@dataclass(frozen=True)
class Watched:
    """What one watch found: `replay` the WebhookReplay it asked X for (or recorded as refused), `catch_up` when a
    poll from the stored cursors must run for what replay does not cover."""

    outcome: str
    replay: WebhookReplay | None = None
    catch_up: bool = False


def webhooks_to_watch() -> list[int]:
    """Accounts whose webhook X has: active, in webhook mode, not waiting for new credentials."""
    return list(
        XWebhook.objects.filter(
            account__is_active=True, account__needs_reconnect=False, account__mode=XAccount.Mode.WEBHOOK
        )
        .exclude(x_webhook_id="")
        .values_list("account_id", flat=True)
    )


def watch(*, account_id: int, now: datetime | None = None) -> Watched:
    """One watch of one account's webhook (see the module's docstring). Run by a worker, never in a request: X calls
    Perch back with a CRC while it is asked."""
    if not cache.add(f"perch:replay:watch:{account_id}", 1, timeout=LOCK_SECONDS):
        return Watched("another watch of this account is under way")
    try:
        return _watch(account_id, now or timezone.now())
    finally:
        cache.delete(f"perch:replay:watch:{account_id}")


def _watch(account_id: int, now: datetime) -> Watched:
    account = XAccount.objects.get(pk=account_id)
    hook = XWebhook.objects.filter(account=account).exclude(x_webhook_id="").first()
    if hook is None or account.mode != XAccount.Mode.WEBHOOK or not account.is_active or account.needs_reconnect:
        return Watched("not a webhook X has")
    _give_up_on_silent_jobs(account, now)
    client = XClient.for_account(account)
    was_invalid = hook.crc_valid is False
    try:
        listed = next((w for w in client.webhooks() if w.id == hook.x_webhook_id), None)
        if listed is None:
            # X no longer has it: "Connect webhook again" registers it anew; until then, polling.
            return _unreachable(hook, "X no longer has this webhook: use “Connect webhook again”.")
        was_invalid = was_invalid or not listed.valid
        reachable = client.validate_webhook(webhook_id=hook.x_webhook_id)
    except XUnauthorized as exc:
        account_needs_reconnect(account_id=account.pk, reason=str(exc))
        return Watched("needs reconnecting")
    except (XBadRequest, XNotFound) as exc:
        if isinstance(exc, XNotFound) or "WebhookIdInvalid" in str(exc):
            return _unreachable(hook, "X no longer has this webhook: use “Connect webhook again”.")
        return _unreachable(hook, explained(exc))  # CrcValidationFailed: X could not reach Perch, or not as Perch
    except (XRateLimited, XTransient) as exc:
        log_event(log, "replay.watch_failed", level=logging.WARNING, account_id=account.pk, error=str(exc)[:200])
        return Watched("X could not be asked")  # nothing learnt: the gap, if any, stays open for the next watch
    except XError as exc:  # no Bearer token, or X refused it: the webhook cannot be watched nor replayed
        log_event(log, "replay.watch_failed", level=logging.WARNING, account_id=account.pk, error=str(exc)[:200])
        return Watched(str(exc), catch_up=True)
    if not reachable:
        return _unreachable(hook, "X's CRC check of the webhook did not pass")
    since = hook.reachable_at
    hook.crc_valid, hook.reachable_at = True, now
    if since is None:  # the first watch since the webhook was connected (which polled to catch up)
        hook.save(update_fields=["crc_valid", "reachable_at", "updated_at"])
        return Watched("watching")
    if now - since <= MISSED_WATCHES * watch_interval() and not was_invalid:
        hook.save(update_fields=["crc_valid", "reachable_at", "updated_at"])
        return Watched("reachable")
    return _replay(client, account, hook, since=since, now=now)


def _unreachable(hook: XWebhook, why: str) -> Watched:
    """X cannot deliver to the webhook now: "known reachable" stays where it was, so the gap is replayed once X can
    again; meanwhile every watch polls."""
    hook.crc_valid = False
    hook.save(update_fields=["crc_valid", "updated_at"])
    log_event(log, "replay.unreachable", level=logging.WARNING, account_id=hook.account_id, reason=why[:200])
    return Watched(f"unreachable: {why}", catch_up=True)


def _replay(client: XClient, account: XAccount, hook: XWebhook, *, since: datetime, now: datetime) -> Watched:
    """Asks X to replay the gap since `since`. Accepted: the gap is closed (the job covers it). Refused or failed:
    recorded in X's words, the gap stays open (asked again at the next watch) and a catch-up poll runs."""
    if WebhookReplay.objects.filter(account=account, state=WebhookReplay.State.REQUESTED).exists():
        hook.save(update_fields=["crc_valid", "updated_at"])  # X allows one job at a time; the gap stays open
        return Watched("a replay is under way")
    start, end, clipped = replay_window(since=since, now=now)
    replay = WebhookReplay(account=account, webhook_id=hook.x_webhook_id, from_at=start, to_at=end, requested_at=now)
    try:
        job = client.replay_webhook(webhook_id=hook.x_webhook_id, from_date=x_minute(start), to_date=x_minute(end))
    except XError as exc:
        replay.state, replay.finished_at, replay.error = WebhookReplay.State.REFUSED, now, explained(exc)[:400]
        replay.caught_up = True
        with transaction.atomic():
            replay.save()
            hook.save(update_fields=["crc_valid", "updated_at"])  # crc_valid: the check passed; reachable_at: not
            notify_board(BoardChanged())
        log_event(log, "replay.refused", level=logging.WARNING, account_id=account.pk, error=replay.error)
        return Watched("replay refused", replay=replay, catch_up=True)
    replay.job_id, replay.caught_up = job.job_id, clipped
    with transaction.atomic():
        replay.save()
        hook.save(update_fields=["crc_valid", "reachable_at", "updated_at"])
        notify_board(BoardChanged())
    log_event(log, "replay.requested", account_id=account.pk, job_id=job.job_id, from_date=x_minute(start),
              to_date=x_minute(end), clipped=clipped)  # fmt: skip
    return Watched("replay requested", replay=replay, catch_up=clipped)


def _give_up_on_silent_jobs(account: XAccount, now: datetime) -> None:
    """A job X never reported on (its completion message lost while Perch was down again) would block replays for
    good: after OPEN_JOB_HOURS it is closed as lost, its events counted as a finished one's are."""
    for replay in WebhookReplay.objects.filter(
        account=account, state=WebhookReplay.State.REQUESTED, requested_at__lt=now - timedelta(hours=OPEN_JOB_HOURS)
    ):
        _close(replay, state=WebhookReplay.State.LOST, now=now,
               error="X sent no completion message for this job; a catch-up poll covered it.")  # fmt: skip


def _close(replay: WebhookReplay, *, state: str, now: datetime, error: str = "") -> WebhookReplay:
    replay.state, replay.finished_at, replay.error = state, now, error[:400]
    # The deliveries new to Perch while the job ran: one it had already is refused by its event_uuid and leaves no
    # row, so these are what the replay brought (plus any live one of those minutes; an event a catch-up poll had
    # stored counts as its delivery was new, though the database keeps its message once).
    replay.events = XDelivery.objects.filter(
        account_id=replay.account_id, received_at__gte=replay.requested_at, received_at__lte=now
    ).count()
    replay.caught_up = replay.caught_up or state != WebhookReplay.State.COMPLETE
    replay.save(update_fields=["state", "finished_at", "error", "events", "caught_up"])
    notify_board(BoardChanged())
    return replay


def job_finished(*, account: XAccount, status: ReplayJobStatus) -> WebhookReplay | None:
    """X's completion message for one of the account's jobs (the caller holds the transaction). Closes the replay
    once (X may deliver the message again); None for a job Perch does not know. An incomplete job needs a catch-up
    poll (the caller starts it): X says not every event was delivered."""
    replay = WebhookReplay.objects.select_for_update().filter(account=account, job_id=status.job_id).first()
    if replay is None or replay.finished_at is not None:
        return replay
    if status.complete:
        state, error = WebhookReplay.State.COMPLETE, ""
    else:
        state, error = WebhookReplay.State.INCOMPLETE, status.description or "X could not deliver every event"
    _close(replay, state=state, now=timezone.now(), error=error)
    log_event(log, "replay.finished", account_id=account.pk, job_id=replay.job_id, state=state, events=replay.events)
    return replay


# --- Reads ----------------------------------------------------------------------------------------------------
def latest_replays(account_ids) -> dict[int, WebhookReplay]:
    """The newest replay of each account, in one query (for the board's account health)."""
    newest = WebhookReplay.objects.filter(account=OuterRef("pk")).order_by("-requested_at", "-pk").values("pk")[:1]
    ids = XAccount.objects.filter(pk__in=list(account_ids)).annotate(replay=Subquery(newest)).values("replay")
    return {replay.account_id: replay for replay in WebhookReplay.objects.filter(pk__in=ids)}


def recent_replays(*, account_id: int, limit: int = 10) -> list[WebhookReplay]:
    return list(WebhookReplay.objects.filter(account_id=account_id).order_by("-requested_at", "-pk")[:limit])
