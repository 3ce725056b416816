"""Structured logs: an ingest writes one line per message with the account and message ids, as key=value or JSON."""

import json
import logging
from datetime import UTC, datetime

import pytest

from interactions.models import Message
from social import ingest
from social.integrations.x_client import DMEvent, XUser
from tests.factories import XAccountFactory
from workspace.infra.logs import JsonFormatter, KeyValueFormatter, log_event

pytestmark = pytest.mark.django_db

BRAND = "1800000000000000777"
MAYA = XUser(id="1900000000000000071", username="maya", name="Maya Patel")


def test_an_ingest_logs_a_line_with_the_account_and_message_ids(caplog, django_capture_on_commit_callbacks):
    account = XAccountFactory(x_user_id=BRAND)
    event = DMEvent(
        id="2000000000000000771", event_type="MessageCreate", text="my card was charged twice",
        sender_id=MAYA.id, conversation_id=f"{BRAND}-{MAYA.id}", created_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        participant_ids=(MAYA.id, BRAND),
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="social.ingest"), django_capture_on_commit_callbacks(execute=True):
        ingest.ingest_dm_events(account=account, events=[event], users={MAYA.id: MAYA})
    message = Message.objects.get()
    ingested = [r for r in caplog.records if getattr(r, "event", "") == "message.ingested"]
    assert len(ingested) == 1

    line = KeyValueFormatter().format(ingested[0])
    assert "\n" not in line
    assert "level=INFO logger=social.ingest event=message.ingested" in line
    assert f"account_id={account.pk} interaction_id={message.interaction_id} message_id={message.pk}" in line
    assert "external_id=2000000000000000771 kind=dm direction=in" in line
    assert "charged" not in line  # ids, never customer text

    as_json = json.loads(JsonFormatter().format(ingested[0]))
    assert as_json["event"] == "message.ingested"
    assert (as_json["account_id"], as_json["message_id"]) == (account.pk, message.pk)
    opened = [r for r in caplog.records if getattr(r, "event", "") == "interaction.opened"]
    assert (
        KeyValueFormatter()
        .format(opened[0])
        .endswith(f"event=interaction.opened account_id={account.pk} interaction_id={message.interaction_id} kind=chat")
    )


def test_a_rolled_back_ingest_logs_nothing(caplog):
    account = XAccountFactory(x_user_id=BRAND)
    event = DMEvent(
        id="2000000000000000772", event_type="MessageCreate", text="hello", sender_id=MAYA.id,
        conversation_id=f"{BRAND}-{MAYA.id}", created_at=None, participant_ids=(MAYA.id, BRAND),
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="social.ingest"):
        ingest.ingest_dm_events(account=account, events=[event], users={})
    # The test's transaction never commits: nothing was stored for good, so nothing says it was.
    assert not [r for r in caplog.records if getattr(r, "event", "") == "message.ingested"]


def test_other_lines_keep_the_same_shape():
    formatter = KeyValueFormatter()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, 'Not Found: "/x y"', None, None)
    line = formatter.format(record)
    assert line.split(" ", 1)[1] == 'level=WARNING logger=django.request msg="Not Found: \\"/x y\\""'

    logger = logging.getLogger("perch.test")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        log_event(logger, "webhook.received", level=logging.WARNING, account_id=4, stored=2, note=None)
    finally:
        logger.removeHandler(handler)
    assert formatter.format(records[0]).endswith('event=webhook.received account_id=4 stored=2 note=""')
