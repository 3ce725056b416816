"""Celery tasks for email: thin — hand the row to the sender, and beat's sweep for what a lost dispatch or a dead
worker left behind."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from interactions.mail import sending
from workspace.infra.logs import log_event

log = logging.getLogger(__name__)


def dispatch_send(message_id: int, **options) -> None:
    """Hands an email row to a worker. With the broker down the committed row stays queued and beat's sweep
    (`release_due_emails`) sends it once the broker is back: an agent's Send never fails for it."""
    try:
        send_message.apply_async((message_id,), **options)
    except OperationalError as exc:
        log_event(log, "email.dispatch_lost", level=logging.WARNING, message_id=message_id, error=str(exc)[:200])


# Acknowledged once it finished (as every Perch task, workspace/celery.py): a worker killed mid-send hands the task
# to another worker, and the row it had claimed is sent again once its claim lapses (sending.dispatchable).
@shared_task(bind=True, name="mail.send_message", ignore_result=True, acks_late=True, max_retries=5)
def send_message(self, message_id: int) -> str:
    try:
        return sending.send(message_id=message_id)
    except Exception as exc:
        # Unexpected (the database blinked): the row may be left `sending`; the retry or the sweep sends it.
        log.exception("sending email %s failed unexpectedly", message_id)
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc


@shared_task(name="mail.release_due_emails", ignore_result=True)
def release_due_emails() -> None:
    """Run by beat: emails whose first dispatch was lost, or whose worker died mid-send, go (again)."""
    for message_id in sending.dispatchable()[:200]:
        send_message.delay(message_id)
