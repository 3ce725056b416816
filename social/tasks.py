"""Celery tasks for X: thin — load by id, call the service, decide when to come back."""

import logging
import random

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from social import polling
from social.integrations.x_client import XRateLimited, XTransient

log = logging.getLogger(__name__)

POLL_LOCK_SECONDS = 300


@shared_task(name="social.poll_due_accounts", ignore_result=True)
def poll_due_accounts() -> None:
    """Run by beat every few seconds: enqueues a poll for each account whose interval has passed."""
    for account_id in polling.accounts_due():
        poll_account.delay(account_id)


@shared_task(bind=True, name="social.poll_account", ignore_result=True, max_retries=5)
def poll_account(self, account_id: int) -> None:
    # One poll per account at a time across all workers: two would read the same pages twice.
    lock = f"perch:poll:{account_id}"
    if not cache.add(lock, self.request.id or "eager", timeout=POLL_LOCK_SECONDS):
        return
    try:
        polling.poll_account(account_id=account_id)
    except XRateLimited as exc:
        delay = max(1, int((exc.reset_at - timezone.now()).total_seconds()) + 1) if exc.reset_at else 60
        log.warning("account %s rate limited; polling again in %ss", account_id, delay)
        poll_account.apply_async((account_id,), countdown=delay)
    except XTransient as exc:
        raise self.retry(exc=exc, countdown=min(300, 2**self.request.retries * 5 + random.uniform(0, 3))) from exc
    finally:
        cache.delete(lock)
