"""Rate limits and injected faults, as Perch meets them at X: headers on every answer, 429s, 401s, 5xx."""

import time

import pytest
import requests
from django.test import override_settings

from social.sandbox import limits
from tests.social.sandbox.conftest import example

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_answer_carries_rate_limit_headers(simulator, people):
    brand, maya, as_brand, _ = people
    tweet = simulator.tweet(maya, "@acmecare hi")
    answers = [
        as_brand.get("/2/users/me"),
        as_brand.get(f"/2/users/{brand['id']}/mentions"),
        as_brand.get("/2/dm_events"),
        as_brand.post("/2/tweets", {"text": "hello"}),
        as_brand.post(f"/2/users/{brand['id']}/likes", {"tweet_id": tweet["id"]}),
        as_brand.get(f"/2/users/{brand['id']}/mentions", max_results=1),  # a 400 counts and says so too
    ]
    now = time.time()
    for answer in answers:
        assert answer.headers["x-rate-limit-limit"].isdigit(), answer.url
        assert 0 <= int(answer.headers["x-rate-limit-remaining"]) < int(answer.headers["x-rate-limit-limit"])
        assert now < int(answer.headers["x-rate-limit-reset"]) <= now + 900
    # X's per-user values times X_SANDBOX_RATE_LIMIT_MULTIPLIER (10 by default).
    assert answers[2].headers["x-rate-limit-limit"] == "150" and answers[0].headers["x-rate-limit-limit"] == "750"


def test_over_the_limit_is_429_with_x_body_and_headers_per_user(simulator, people):
    brand, maya, as_brand, as_maya = people
    requests.post(f"{simulator.base}/simulator/api/limits", json={"endpoint": "dm_events", "limit": 2}, timeout=10)
    statuses = [as_brand.get("/2/dm_events").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = as_brand.get("/2/dm_events")
    assert limited.json() == example("error_429_example.json")
    assert limited.headers["x-rate-limit-limit"] == "2" and limited.headers["x-rate-limit-remaining"] == "0"
    assert time.time() < int(limited.headers["x-rate-limit-reset"]) <= time.time() + 900
    assert as_maya.get("/2/dm_events").status_code == 200  # counted per user
    assert as_brand.get("/2/users/me").status_code == 200  # and per endpoint


def test_dm_sends_also_have_a_daily_limit(people):
    with override_settings(X_SANDBOX_RATE_LIMIT_MULTIPLIER=1):
        assert limits.windows("dm_send", app=False) == [(15, 900), (1440, 86400)]
        assert limits.windows("mentions", app=True) == [(450, 900)]


def test_faults_fire_after_skip_for_times_then_stop(simulator, people):
    brand, maya, as_brand, _ = people
    simulator.fault(method="GET", path="/2/dm_events", status=503, skip=1, times=2)
    assert [as_brand.get("/2/dm_events").status_code for _ in range(4)] == [200, 503, 503, 200]
    simulator.fault(method="GET", path="/2/dm_events", status=429)
    limited = as_brand.get("/2/dm_events")
    assert limited.status_code == 429 and limited.json()["title"] == "Too Many Requests"
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert time.time() + 30 < int(limited.headers["x-rate-limit-reset"]) <= time.time() + 61
    simulator.fault(method="POST", path="/2/dm_conversations/with/", status=401)
    denied = as_brand.post(f"/2/dm_conversations/with/{maya['id']}/messages", {"text": "hi"})
    assert denied.status_code == 401 and denied.json()["detail"] == "Unauthorized"
    assert simulator.activity(maya)["dms"] == []  # a failed call did nothing
    simulator.fault(method="POST", path="/2/tweets", status=500)
    assert as_brand.post("/2/tweets", {"text": "x"}).json()["title"] == "Internal Server Error"
    listed = requests.get(f"{simulator.base}/simulator/api/faults", timeout=10).json()["faults"]
    assert [(f["status"], f["fired"]) for f in listed] == [(503, 2), (429, 1), (401, 1), (500, 1)]


def test_a_slow_fault_answers_late_but_does_the_work(simulator, people):
    brand, maya, as_brand, _ = people
    simulator.fault(method="POST", path="/2/dm_conversations/with/", status=0, delay_ms=600)
    started = time.monotonic()
    sent = as_brand.post(f"/2/dm_conversations/with/{maya['id']}/messages", {"text": "late"})
    assert sent.status_code == 201 and time.monotonic() - started >= 0.6
