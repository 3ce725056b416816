"""The replay fixtures (tests/social/fixtures/README.md says which parts are inferred) read by Perch's parsers,
and the sandbox's completion message in their shape."""

import json
from pathlib import Path

import pytest

from social.integrations.x_payloads import PayloadError
from social.integrations.x_replay import (
    is_replay_job_status,
    parse_replay_job,
    parse_replay_job_status,
)
from social.sandbox.models import SandboxReplayJob
from social.sandbox.replay import X_MINUTE, completion_message

FIXTURES = Path(__file__).parent / "fixtures"


def example(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_the_replay_request_is_openapi_s_shape():
    body = example("webhook_replay_request_example.json")
    assert set(body) == {"webhook_id", "from_date", "to_date"}
    assert all(X_MINUTE.fullmatch(body[key]) for key in ("from_date", "to_date"))


def test_the_replay_answer_is_read():
    job = parse_replay_job(example("webhook_replay_response_example.json"))
    assert (job.job_id, job.created_at) == ("1582092958213742592", "2026-11-24T12:42:05.000Z")


@pytest.mark.parametrize(("name", "complete"), [("webhook_replay_complete_example.json", True),
                                                ("webhook_replay_incomplete_example.json", False)])  # fmt: skip
def test_the_completion_messages_are_read_and_the_sandbox_sends_them_in_that_shape(name, complete):
    body = example(name)
    assert is_replay_job_status(body)
    status = parse_replay_job_status(body)
    assert (status.job_id, status.webhook_id, status.complete) == ("1582092958213742592", "1146654567674912769",
                                                                   complete)  # fmt: skip
    job = SandboxReplayJob(id="1582092958213742592", webhook_id="1146654567674912769",
                           state="complete" if complete else "incomplete")  # fmt: skip
    assert completion_message(job) == body


def test_a_completion_message_of_another_shape_is_a_payload_error():
    with pytest.raises(PayloadError):
        parse_replay_job_status({"replay_job_status": {"job_id": "1", "job_state": "Running"}})
    with pytest.raises(PayloadError):
        parse_replay_job_status({"replay_job_status": "Complete"})
