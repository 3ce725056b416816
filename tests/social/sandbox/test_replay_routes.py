"""The sandbox's POST /2/webhooks/replay refuses what X refuses, in X's words and shapes (Bearer token only, 12-digit
UTC minutes, from ≤ to, nothing in the future or older than 24 hours, one job per webhook, the app's own webhook),
and replays a window of its delivery log: the same envelopes, signed, then the completion message."""

from datetime import timedelta

import pytest
from django.utils import timezone

from social.replay import x_minute
from social.sandbox.models import SandboxDelivery, SandboxReplayJob
from tests.social.conftest import switch_to_webhook
from tests.social.sandbox.conftest import assert_same_keys, example
from tests.social.sandbox.test_activity_routes import App
from tests.social.test_worker_death import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hook(settings, simulator, brand, live_server_url):
    settings.PERCH_PUBLIC_URL = live_server_url
    return switch_to_webhook(brand, live_server_url)


def window(minutes_ago: int, until_ago: int = 0) -> tuple[str, str]:
    now = timezone.now()
    return x_minute(now - timedelta(minutes=minutes_ago)), x_minute(now - timedelta(minutes=until_ago))


def refused(answer, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert words in answer.text, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json") or status == 400


def test_replay_answers_x_s_shape_and_sends_the_window_again_with_the_same_event_uuids(simulator, brand, hook):
    simulator.dm(simulator.user("maya", "Maya Patel"), brand.x_user_id, "Hello?")
    first = wait_for(lambda: SandboxDelivery.objects.filter(state="delivered").first(), 15, "the delivery")
    start, end = window(5)
    answer = App(simulator.base, brand, bearer=True).post(
        "/2/webhooks/replay", {"webhook_id": hook.x_webhook_id, "from_date": start, "to_date": end}
    )
    assert answer.status_code == 200, answer.text
    assert_same_keys(answer.json(), example("webhook_replay_response_example.json"))
    job = wait_for(lambda: SandboxReplayJob.objects.filter(state="complete").first(), 15, "the job's end")
    assert (job.pk, job.sent, job.failed, job.completion_status) == (answer.json()["data"]["job_id"], 1, 0, 200)
    assert list(SandboxDelivery.objects.values_list("event_uuid", flat=True)) == [first.event_uuid]  # as it was


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"from_date": "2026112412", "to_date": "202611241241"}, "QueryParamInvalid: `from_date` must be"),
        ({"from_date": "202613241203", "to_date": "202611241241"}, "is not a time"),
        ({"to_date": "202611241241"}, "QueryParamInvalid: `from_date` must be"),
        ({"from_date": 202611241203, "to_date": "202611241241"}, "QueryParamInvalid: `from_date` must be"),
    ],
)
def test_replay_refuses_dates_not_in_x_s_format(simulator, brand, hook, body, words):
    answer = App(simulator.base, brand, bearer=True).post(
        "/2/webhooks/replay", {"webhook_id": hook.x_webhook_id, **body}
    )
    refused(answer, 400, words)
    assert answer.json()["title"] == "Invalid Request"


def test_replay_refuses_windows_x_refuses(simulator, brand, hook):
    app = App(simulator.base, brand, bearer=True)

    def ask(start, end, webhook_id=hook.x_webhook_id):
        return app.post("/2/webhooks/replay", {"webhook_id": webhook_id, "from_date": start, "to_date": end})

    refused(ask(*window(5, 10)), 400, "`from_date` is more recent than `to_date`")
    refused(ask(*window(-5, -10)), 400, "`from_date` is in the future")
    refused(ask(window(5)[0], window(-2)[0]), 400, "`to_date` is in the future")
    refused(ask(*window(24 * 60 + 2)), 400, "older than 24 hours")
    refused(ask(*window(5), webhook_id="123"), 400, "WebhookIdInvalid")
    refused(ask(*window(5), webhook_id="not-an-id"), 400, "WebhookIdInvalid")
    assert not SandboxReplayJob.objects.exists()


def test_one_replay_job_at_a_time_per_webhook(simulator, brand, hook):
    SandboxReplayJob.objects.create(
        id="5", webhook_id=hook.x_webhook_id, from_at=timezone.now(), to_at=timezone.now()
    )  # under way
    start, end = window(5)
    answer = App(simulator.base, brand, bearer=True).post(
        "/2/webhooks/replay", {"webhook_id": hook.x_webhook_id, "from_date": start, "to_date": end}
    )
    refused(answer, 400, "ReplayConflictError")


def test_replay_takes_only_the_app_s_bearer_token(simulator, brand, hook):
    start, end = window(5)
    body = {"webhook_id": hook.x_webhook_id, "from_date": start, "to_date": end}
    as_user = App(simulator.base, brand).post("/2/webhooks/replay", body)
    refused(as_user, 403, "Supported authentication types are [OAuth 2.0 Application-Only]")
    nobody = App(simulator.base, brand, bearer=True)
    nobody.headers = {}
    assert nobody.post("/2/webhooks/replay", body).status_code == 401
    assert not SandboxReplayJob.objects.exists()
