"""Celery tasks for X: thin — load by id, call the service, decide when to come back."""

import logging
import random

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from social import activity, health, polling, replay, sending
from social.integrations.x_client import XClient, XRateLimited, XTransient
from social.models import XAccount
from workspace.infra.logs import log_event

log = logging.getLogger(__name__)

POLL_LOCK_SECONDS = 300


@shared_task(name="social.poll_due_accounts", ignore_result=True)
def poll_due_accounts() -> None:
    """Run by beat every 2 s: enqueues a poll of each account's streams that are due (social.schedule)."""
    for account_id, streams in polling.accounts_to_poll().items():
        poll_account.delay(account_id, streams)


def _retry_key(task_name: str, account_id: int, stream: str) -> str:
    return f"perch:poll:retry:{task_name}:{account_id}:{stream}"


def _come_back_at_reset(task, account_id: int, exc: XRateLimited) -> None:
    """One retry per account and stream, at the stream's reset: the polls that meet the same limit meanwhile (beat
    finds the account due every interval) schedule none. The mark lasts until the retry is due, as the budget's
    block of the endpoint does; a retry that meets the limit again schedules the next one."""
    streams = exc.streams if isinstance(exc, polling.PollRateLimited) else {"": exc.reset_at}
    for stream, reset_at in streams.items():
        delay = max(1, int((reset_at - timezone.now()).total_seconds()) + 1) if reset_at else 60
        if cache.add(_retry_key(task.name, account_id, stream), delay, timeout=delay):
            log.warning("account %s rate limited on %s; polling again in %ss", account_id, stream or "X", delay)
            task.apply_async((account_id,), countdown=delay)


@shared_task(bind=True, name="social.poll_account", ignore_result=True, max_retries=5)
def poll_account(self, account_id: int, streams: list[str] | None = None) -> None:
    # One poll per account at a time across all workers: two would read the same pages twice. The lock holds the
    # task id: the same task handed back after its worker was killed takes its own lock over instead of waiting
    # POLL_LOCK_SECONDS for it to expire.
    lock, me = f"perch:poll:{account_id}", self.request.id or "eager"
    if not cache.add(lock, me, timeout=POLL_LOCK_SECONDS) and cache.get(lock) != me:
        return
    try:
        # `streams`: those beat claimed for this poll. Without (a retry at X's reset, a poll queued by hand): the
        # ones due by then, so a retry and beat coming back for the same reset read X once.
        streams = polling.streams_due(account_id) if streams is None else streams
        polling.poll_account(account_id=account_id, streams=streams)
    except XRateLimited as exc:
        _come_back_at_reset(poll_account, account_id, exc)
    except XTransient as exc:
        raise self.retry(exc=exc, countdown=min(300, 2**self.request.retries * 5 + random.uniform(0, 3))) from exc
    finally:
        cache.delete(lock)


def dispatch_send(message_id: int, **options) -> None:
    """Hands an outbox row to a worker. With the broker (Redis) down the row, already committed, stays queued and
    beat's sweep (`release_due_sends`) sends it once the broker is back: an agent's Send never fails for it."""
    try:
        send_message.apply_async((message_id,), **options)
    except OperationalError as exc:
        log_event(log, "message.dispatch_lost", level=logging.WARNING, message_id=message_id, error=str(exc)[:200])


@shared_task(bind=True, name="social.send_message", ignore_result=True, max_retries=sending.MAX_ATTEMPTS)
def send_message(self, message_id: int) -> str:
    try:
        outcome = sending.send(message_id=message_id)
    except Exception as exc:
        # Unexpected (Redis or the database blinked): the row may be left `sending`; once its claim lapses the
        # retry (or beat's sweep) checks with X before sending anything again.
        log.exception("sending message %s failed unexpectedly", message_id)
        raise self.retry(exc=exc, countdown=sending.backoff(self.request.retries + 1).total_seconds()) from exc
    if outcome == sending.Outcome.RETRY:
        dispatch_send(message_id, eta=sending.retry_at(message_id))
    # IN_FLIGHT: another worker holds the claim; beat's sweep picks the row up if that worker never finishes.
    return outcome


@shared_task(name="social.release_due_sends", ignore_result=True)
def release_due_sends() -> None:
    """Run by beat: sends that waited for the budget, or whose first dispatch was lost, go out in order."""
    for message_id in sending.dispatchable()[:200]:
        send_message.delay(message_id)


@shared_task(bind=True, name="social.ingest_webhook_replies", ignore_result=True, max_retries=5)
def ingest_webhook_replies(self, account_id: int, raw_tweets: list, raw_users: list) -> None:
    """Replies delivered by webhook (v2 posts and X's `includes.users`) to tweets Perch had not seen: their parents
    are fetched from X first. If X keeps failing, they are stored without them rather than not at all."""
    account = XAccount.objects.get(pk=account_id)
    client = XClient.for_account(account) if self.request.retries < self.max_retries else None
    try:
        result = polling.ingest_replies(account=account, raw_tweets=raw_tweets, raw_users=raw_users, client=client)
    except (XTransient, XRateLimited) as exc:
        raise self.retry(exc=exc, countdown=sending.backoff(self.request.retries + 1).total_seconds()) from exc
    if result.created:
        transaction.on_commit(lambda: fetch_message_media.delay(account.pk, result.created))


@shared_task(name="social.fetch_message_media", ignore_result=True)
def fetch_message_media(account_id: int, message_ids: list[int]) -> None:
    """Downloads images of messages that arrived by webhook (polling fetches its own inline)."""
    account = XAccount.objects.get(pk=account_id)
    polling.fetch_media(client=XClient.for_account(account), message_ids=message_ids)


@shared_task(name="social.catch_up_account", ignore_result=True)
def catch_up_account(account_id: int) -> None:
    """One poll from the stored cursors, whatever the mode: used when an account switches mode."""
    try:
        polling.poll_account(account_id=account_id, force=True)
    except XRateLimited as exc:
        _come_back_at_reset(catch_up_account, account_id, exc)


@shared_task(name="social.check_account_silence", ignore_result=True)
def check_account_silence() -> None:
    """Run by beat every minute: a usually busy account that fell silent is reported to supervisors."""
    health.accounts_check_silence()


ACTIVITY_RETRIES = 8


def _activity_step(task, step, account_id: int, attempt: int) -> None:
    """Runs a connect or disconnect step. X's 429 and 5xx (and a step under way elsewhere) bring the task back when
    X says, as a new task (like a send's backoff); its 4xx stay failed with X's words for the supervisor, who can
    start it again from the admin."""
    final = attempt >= ACTIVITY_RETRIES
    outcome = step(account_id=account_id, attempt=attempt, final=final)
    if outcome.retry_at and not final:
        countdown = max(1, int((outcome.retry_at - timezone.now()).total_seconds()))
        task.apply_async((account_id,), {"attempt": attempt + 1}, countdown=countdown)


@shared_task(name="social.connect_webhook", ignore_result=True)
def connect_webhook(account_id: int, attempt: int = 0) -> None:
    """Registers the account's webhook at X and subscribes it to the events Perch needs (social.activity)."""
    _activity_step(connect_webhook, activity.connect, account_id, attempt)


@shared_task(name="social.disconnect_webhook", ignore_result=True)
def disconnect_webhook(account_id: int, attempt: int = 0) -> None:
    """Deletes the account's subscriptions and webhook at X after it went back to polling."""
    _activity_step(disconnect_webhook, activity.disconnect, account_id, attempt)


@shared_task(name="social.watch_webhooks", ignore_result=True)
def watch_webhooks() -> None:
    """Run by beat every 10 s, from its start: each webhook account's webhook is checked at X every
    WEBHOOK_WATCH_SECONDS, and what X could not deliver meanwhile is replayed (social.replay)."""
    due_for = max(1, int(replay.watch_interval().total_seconds()) - 5)  # beat comes every 10 s: the next is late
    for account_id in replay.webhooks_to_watch():
        if cache.add(f"perch:replay:due:{account_id}", 1, timeout=due_for):
            watch_webhook.delay(account_id)


@shared_task(name="social.watch_webhook", ignore_result=True)
def watch_webhook(account_id: int) -> None:
    """One account's watch; a catch-up poll follows when replay does not cover the gap."""
    if replay.watch(account_id=account_id).catch_up:
        catch_up_account.delay(account_id)
