"""POST /workspace/client-errors/: a failed htmx request reported by the browser (request_errors.js) is logged as a
structured warning and answered 204; anonymous callers are refused, and a body that is not such a report is 400,
never a 500."""

import logging
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.factories import PASSWORD, AgentFactory
from tests.helpers import sign_in
from workspace.infra.logs import KeyValueFormatter

pytestmark = pytest.mark.django_db
URL = "/workspace/client-errors/"
REPORT = {"event": "htmx:responseError", "status": "500", "path": "/workspace/presence/", "page": "/workspace/"}
FORM = "application/x-www-form-urlencoded"  # what request_errors.js sends (URLSearchParams)


def post(client, body, **kwargs):
    return client.post(URL, urlencode(body), content_type=FORM, **kwargs)


def reports(caplog):
    return [r for r in caplog.records if getattr(r, "event", "") == "client.error"]


def test_a_report_is_logged_as_a_warning_with_its_ids(caplog):
    ana = AgentFactory()
    with caplog.at_level(logging.INFO, logger="workspace.desk.client_errors"):
        response = post(sign_in(ana.username, PASSWORD), REPORT)
    assert response.status_code == 204
    [record] = reports(caplog)
    assert record.levelno == logging.WARNING
    line = KeyValueFormatter().format(record)
    assert f"event=client.error user_id={ana.pk} htmx_event=htmx:responseError status=500" in line
    assert "path=/workspace/presence/ page=/workspace/" in line


def test_a_report_needs_the_csrf_token_like_any_post():
    ana = AgentFactory()
    client = sign_in(ana.username, PASSWORD, enforce_csrf_checks=True)
    assert post(client, REPORT).status_code == 403
    token = client.cookies["csrftoken"].value
    assert post(client, REPORT, headers={"X-CSRFToken": token}).status_code == 204


def test_anonymous_reports_are_refused(caplog):
    with caplog.at_level(logging.INFO, logger="workspace.desk.client_errors"):
        assert post(Client(), REPORT).status_code == 403
        assert Client().get(URL).status_code == 405
    assert reports(caplog) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {**REPORT, "event": "htmx:afterSwap"},  # not a failure request_errors.js reports
        {**REPORT, "event": "x" * 5000},
        {**REPORT, "status": "not a number"},
        {**REPORT, "status": "1000"},
        {**REPORT, "page": "https://elsewhere.example/"},
        {**REPORT, "page": "/workspace/?q=Maya Patel"},  # a query can hold what was searched: never logged
        {**REPORT, "page": "/workspace/\x00"},
        {**REPORT, "path": "/workspace/\nlevel=ERROR forged=1"},
        {**REPORT, "page": "/" + "a" * 400},
    ],
    ids=lambda body: ",".join(f"{k}={str(v)[:20]!r}" for k, v in body.items() if REPORT.get(k) != v) or "empty",
)
def test_anything_but_a_report_is_400(body, caplog):
    client = sign_in(AgentFactory().username, PASSWORD)
    with caplog.at_level(logging.INFO, logger="workspace.desk.client_errors"):
        assert post(client, body).status_code == 400
    assert reports(caplog) == []


def test_an_oversized_or_foreign_body_is_400():
    client = sign_in(AgentFactory().username, PASSWORD)
    big = {**REPORT, "filler": "x" * 3000}
    assert post(client, big).status_code == 400
    assert client.post(URL, b"\xff\xfe%zz garbage", content_type=FORM).status_code == 400
    assert client.post(URL, '{"event": "htmx:responseError"}', content_type="application/json").status_code == 400
    assert client.post(URL, REPORT).status_code == 400  # multipart: not what the page sends
    huge = b"event=" + b"x" * (3 * 1024 * 1024)  # over DATA_UPLOAD_MAX_MEMORY_SIZE: Django's own 400
    assert client.post(URL, huge, content_type=FORM).status_code == 400
