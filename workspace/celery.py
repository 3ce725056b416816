"""The Celery app: `celery -A workspace worker` and `celery -A workspace beat`."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# kombu picks the broker's transport by the URL's scheme (redis://, rediss://, redis+socket://): Perch's Redis
# transport keeps the worker alive when Redis restarts under it (workspace/infra/broker.py says how kombu's dies).
TRANSPORT_ALIASES.update(redis="workspace.infra.broker:Transport", rediss="workspace.infra.broker:Transport")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")

# workspace.health holds the heartbeat task; it is not an app, so autodiscovery would not find it.
app = Celery("perch", include=["workspace.health"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # A task is acknowledged only once it finished, and handed to another worker if this one dies mid-task.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    # A task running when the broker connection drops finishes (a send is not cut off mid-call); its ack is lost
    # with the connection, so it may run again later, which every task allows for.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    worker_hijack_root_logger=False,
    timezone="UTC",
)
app.conf.beat_schedule = {
    # Each account has its own interval (XAccount.poll_interval_seconds); this only looks for the due ones.
    "poll-due-x-accounts": {"task": "social.poll_due_accounts", "schedule": 2.0},
    "release-due-sends": {"task": "social.release_due_sends", "schedule": 5.0},
    "release-due-emails": {"task": "mail.release_due_emails", "schedule": 10.0},  # lost dispatches, dead workers
    "expire-overdue-offers": {"task": "interactions.expire_overdue_offers", "schedule": 5.0},
    "route-queue": {"task": "interactions.route_queue", "schedule": 10.0},  # sticky waits ending, safety net
    "check-stranded": {"task": "interactions.check_stranded", "schedule": 5.0},  # the no-stranded-customer invariant
    "worker-heartbeat": {"task": "workspace.heartbeat", "schedule": 10.0},  # /healthz reads its stamp
    "check-account-silence": {"task": "social.check_account_silence", "schedule": 60.0},
    "sign-out-ghosts": {"task": "interactions.sign_out_ghosts", "schedule": 30.0},  # a web process died
    "end-quiet-chats": {"task": "interactions.end_quiet_chats", "schedule": 60.0},  # the customer has left
    # Webhooks X can still reach, and replay of what it could not deliver; each is watched every
    # WEBHOOK_WATCH_SECONDS (this only looks for the due ones), the first time at beat's start.
    "watch-webhooks": {"task": "social.watch_webhooks", "schedule": 10.0},
}
app.autodiscover_tasks()
