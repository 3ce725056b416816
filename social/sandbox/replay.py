"""POST /2/webhooks/replay: X delivers again what it delivered, or tried to deliver, to a webhook in a window of the
last 24 hours, then tells the webhook the job ended.

Shapes from openapi.json (CreateWebhookReplayJobRequest: webhook_id, from_date and to_date as `^[0-9]{12}$`, UTC
`yyyymmddhhmm`, both inclusive; CreateWebhookReplayJobResponse `{"data": {"job_id", "created_at"}}`; the app's
Bearer token only). The rules and the completion message are the Account Activity API's replay
(x-api/account-activity/quickstart.mdx), which X says the new endpoint provides identically: QueryParamInvalid,
ReplayConflictError (one job per webhook at a time), WebhookIdInvalid, CrcValidationFailed, and
`{"replay_job_status": {"webhook_id", "job_state": "Complete" | "Incomplete", "job_state_description", "job_id"}}`.
What is inferred is said in tests/social/fixtures/README.md.

The job runs after commit in a background thread, as deliveries do: each logged delivery of the window, oldest
first, sent again as it was (the same envelope, so the same event_uuid), signed; then the completion message."""

import json
import logging
import re
import threading
from datetime import UTC, datetime, timedelta

import requests
from django.db import connection, transaction
from django.utils import timezone

from social.sandbox import webhooks
from social.sandbox.activity import _own_webhook
from social.sandbox.auth import calling_app
from social.sandbox.errors import Problem
from social.sandbox.http import json_body, x_endpoint
from social.sandbox.ids import new_id
from social.sandbox.models import SandboxDelivery, SandboxReplayJob
from social.sandbox.wire import iso

log = logging.getLogger(__name__)
X_MINUTE = re.compile(r"[0-9]{12}")
HORIZON = timedelta(hours=24)
MINUTE = timedelta(minutes=1)
THREAD_NAME = "x-sandbox-webhook-replay"  # counted by the test server as a delivery under way (tests/live_server.py)
COMPLETE = "Job completed successfully"
INCOMPLETE = "Job failed to deliver all events, please retry your replay job"


def _minute(body: dict, field: str) -> datetime:
    value = body.get(field)
    if not isinstance(value, str) or not X_MINUTE.fullmatch(value):
        raise Problem.invalid(
            f"QueryParamInvalid: `{field}` must be a UTC time in yyyymmddhhmm format.", field, str(value)
        )
    try:
        return datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise Problem.invalid(f"QueryParamInvalid: `{field}` [{value}] is not a time.", field, value) from None


@x_endpoint("webhooks_replay", app_only=True)
def create_replay_job(request, user):
    """POST /2/webhooks/replay {"webhook_id", "from_date", "to_date"}."""
    app = calling_app(request)
    body = json_body(request)
    webhook_id = body.get("webhook_id")
    if not isinstance(webhook_id, str):
        raise Problem.invalid("The `webhook_id` field is required and must be a webhook id.", "webhook_id", "")
    start, end = _minute(body, "from_date"), _minute(body, "to_date")
    hook = _own_webhook(app, webhook_id)
    now = timezone.now()
    this_minute = now.replace(second=0, microsecond=0)
    if start > end:
        raise Problem.invalid("QueryParamInvalid: `from_date` is more recent than `to_date`.", "from_date", "")
    if start > this_minute:
        raise Problem.invalid("QueryParamInvalid: `from_date` is in the future.", "from_date", body["from_date"])
    if end > this_minute:
        raise Problem.invalid("QueryParamInvalid: `to_date` is in the future.", "to_date", body["to_date"])
    if start < now - HORIZON:
        raise Problem.invalid(
            "QueryParamInvalid: `from_date` is older than 24 hours from the current time.", "from_date",
            body["from_date"],
        )  # fmt: skip
    if SandboxReplayJob.objects.filter(webhook=hook, state=SandboxReplayJob.State.RUNNING).exists():
        raise Problem.invalid(
            "ReplayConflictError: a replay job is already in progress for this webhook.", "webhook_id", webhook_id
        )
    if not hook.valid:  # X re-delivers only to a webhook that passes its CRC check (AAA: CrcValidationFailed)
        if refusal := webhooks.crc_refusal(hook.url, hook.app.consumer_secret):
            return 400, Problem.invalid(f"CrcValidationFailed: {refusal}", "webhook_id", webhook_id).body
        hook.valid = True
        hook.save(update_fields=["valid"])
    job = SandboxReplayJob.objects.create(id=new_id(), webhook=hook, from_at=start, to_at=end, created_at=now)
    transaction.on_commit(
        lambda: threading.Thread(target=_run_in_background, args=(job.pk,), name=THREAD_NAME, daemon=True).start()
    )
    return 200, {"data": {"job_id": job.pk, "created_at": iso(job.created_at)}}


def run(job: SandboxReplayJob) -> SandboxReplayJob:
    """Sends the window's logged deliveries again (oldest first, as they were), then the completion message:
    Complete when every one was answered 2xx, else Incomplete."""
    window = SandboxDelivery.objects.select_related("webhook__app").filter(
        webhook=job.webhook, created_at__gte=job.from_at, created_at__lt=job.to_at + MINUTE
    )
    sent = failed = 0
    for delivery in window.order_by("created_at", "pk"):
        if webhooks.send(delivery).state == SandboxDelivery.State.DELIVERED:
            sent += 1
        else:
            failed += 1
    job.state = SandboxReplayJob.State.INCOMPLETE if failed else SandboxReplayJob.State.COMPLETE
    job.sent, job.failed, job.finished_at = sent, failed, timezone.now()
    job.completion_status = _tell_webhook(job)
    job.save(update_fields=["state", "sent", "failed", "finished_at", "completion_status"])
    return job


def completion_message(job: SandboxReplayJob) -> dict:
    complete = job.state == SandboxReplayJob.State.COMPLETE
    return {
        "replay_job_status": {
            "webhook_id": job.webhook_id,
            "job_state": "Complete" if complete else "Incomplete",
            "job_state_description": COMPLETE if complete else INCOMPLETE,
            "job_id": job.pk,
        }
    }


def _tell_webhook(job: SandboxReplayJob) -> int | None:
    """POSTs the completion message, signed like a delivery; Perch's status, or None when it could not be reached."""
    hook = job.webhook
    if webhooks.perch_webhook_refusal(hook.url):
        return None
    body = json.dumps(completion_message(job)).encode()
    headers = {"Content-Type": "application/json",
               "x-twitter-webhooks-signature": webhooks.sign(hook.app.consumer_secret, body)}  # fmt: skip
    try:
        answer = requests.post(
            hook.url, data=body, headers=headers, timeout=webhooks.TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        log.warning("sandbox replay job %s: the completion message was not delivered: %s", job.pk, exc)
        return None
    return answer.status_code


def _run_in_background(job_id: str) -> None:
    try:
        run(SandboxReplayJob.objects.select_related("webhook__app").get(pk=job_id))
    except Exception:  # a thread's exception would be lost; the job stays running, as X's would look stuck
        log.exception("sandbox replay job %s failed", job_id)
    finally:
        connection.close()
