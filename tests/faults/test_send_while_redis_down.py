"""Send while Redis is stopped (a real redis-server, killed): the agent sees the message queued, never a 500; the
row is kept and goes out once Redis is back (beat's sweep picks up a send whose dispatch was lost), exactly once."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from interactions.models import Message
from social import sending, tasks
from tests.faults.test_redis_restart import private_redis  # noqa: F401  (the fixture: Redis that can be stopped)
from tests.social.test_sending import brand_dms_to, dm_conversation
from workspace.celery import app as celery_app
from workspace.infra.redis_urls import celery_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def broker_on_private_redis(private_redis, settings):  # noqa: F811
    """Tasks go to the broker (the private Redis) as in production, instead of running inline."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = celery_url(settings.REDIS_URL), False
    celery_app._pool, celery_app.amqp._producer_pool = None, None  # connections to the suite's broker: not these
    yield private_redis
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    celery_app._pool, celery_app.amqp._producer_pool = None, None


def test_send_while_redis_is_down_answers_queued_and_goes_out_once_redis_is_back(
    simulator, brand, broker_on_private_redis
):
    maya, agent, interaction = dm_conversation(simulator, brand)
    client = Client()
    client.force_login(agent)
    broker_on_private_redis.stop()

    send = {"text": "We are on it", "idempotency_key": "down-1"}
    response = client.post(f"/workspace/interactions/{interaction.pk}/send/", send, headers={"HX-Request": "true"})
    assert response.status_code == 200
    row = Message.objects.get(idempotency_key="down-1")
    assert row.delivery == "queued"
    assert f'delivery-queued">{row.get_delivery_display()}' in response.content.decode()
    assert brand_dms_to(simulator, maya) == []

    broker_on_private_redis.start()
    celery_app.conf.task_always_eager = True  # beat's sweep and the send run inline from here
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        tasks.release_due_sends()  # what beat runs every 5 s
    row.refresh_from_db()
    assert row.delivery == "sent"
    assert [dm["text"] for dm in brand_dms_to(simulator, maya)] == ["We are on it"]


def test_a_worker_sending_while_redis_is_down_puts_the_row_back_in_the_queue(simulator, brand, broker_on_private_redis):
    maya, agent, interaction = dm_conversation(simulator, brand)
    row = Message.objects.create(
        interaction=interaction, x_account=brand, direction="out", kind="dm", text="Back soon", author_agent=agent,
        delivery="queued",
    )  # fmt: skip
    broker_on_private_redis.stop()

    # The budget cannot be counted: X is not called; the row waits its backoff in the queue, not a lapsing claim.
    assert sending.send(message_id=row.pk) == sending.Outcome.RETRY
    row.refresh_from_db()
    assert (row.delivery, row.hold_reason) == ("queued", Message.HoldReason.BACKOFF)
    assert brand_dms_to(simulator, maya) == []

    broker_on_private_redis.start()
    with time_machine.travel(row.send_after + timedelta(seconds=1), tick=False):
        assert row.pk in list(sending.dispatchable())
        assert sending.send(message_id=row.pk) == sending.Outcome.SENT
    assert [dm["text"] for dm in brand_dms_to(simulator, maya)] == ["Back soon"]
