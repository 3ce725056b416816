"""X's answers about webhook replay → Perch's view of them: the job X started (POST /2/webhooks/replay, openapi.json's
CreateWebhookReplayJobResponse) and the completion message X delivers to the webhook when the job ends (the
`replay_job_status` of x-api/account-activity/quickstart.mdx, which the XAA endpoint "provides identically")."""

from dataclasses import dataclass

from social.integrations.x_errors import XTransient
from social.integrations.x_payloads import PayloadError, display, object_at


@dataclass(frozen=True)
class ReplayJob:
    job_id: str
    created_at: str = ""


@dataclass(frozen=True)
class ReplayJobStatus:
    job_id: str
    webhook_id: str
    complete: bool  # job_state "Complete"; anything else ("Incomplete") means not every event was delivered
    description: str = ""


def parse_replay_job(body) -> ReplayJob:
    """POST /2/webhooks/replay → `{"data": {"job_id", "created_at"}}`; another shape is worth retrying, not a crash."""
    try:
        data = object_at(body, "data")
        return ReplayJob(job_id=_job_id(data.get("job_id")), created_at=display(data.get("created_at"), 40))
    except (PayloadError, AttributeError, TypeError) as exc:
        raise XTransient(f"X answered the replay request in a shape Perch does not know ({exc}).") from exc


def _job_id(value) -> str:
    # X documents job ids only as opaque strings (its examples: "<REPLAY_JOB_ID>"); they must fit Perch's field.
    job_id = display(value, 64)
    if not job_id or len(job_id) > 32:
        raise PayloadError(f"the replay job id is not an id: {value!r:.40}")
    return job_id


def is_replay_job_status(body: dict) -> bool:
    """A completion message rather than an event envelope."""
    return "replay_job_status" in body and "data" not in body


def parse_replay_job_status(body: dict) -> ReplayJobStatus:
    """`{"replay_job_status": {"webhook_id", "job_state", "job_state_description", "job_id"}}`; PayloadError when
    it is not one."""
    status = object_at(body, "replay_job_status")
    state = status.get("job_state")
    if state not in ("Complete", "Incomplete"):
        raise PayloadError(f"replay_job_status.job_state {state!r} is neither Complete nor Incomplete")
    return ReplayJobStatus(
        job_id=_job_id(status.get("job_id")),
        webhook_id=display(status.get("webhook_id"), 32),
        complete=state == "Complete",
        description=display(status.get("job_state_description"), 300),
    )
