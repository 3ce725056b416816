"""Duplicate, reordered and late deliveries: X's webhook retries, the catch-up poll overlapping the webhook, events
arriving newest first. Every DM is stored once and the agent reads the conversation in the order it was written."""

import random

import pytest
from django.test import Client

from interactions.models import Interaction, Message
from social import ingest
from social.models import XDelivery
from social.webhooks import signature
from tests.factories import PASSWORD, AgentFactory, XAccountFactory
from tests.faults.x_events import BRAND, CUSTOMERS, delivery, event, polled
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def test_duplicated_reordered_and_late_deliveries_are_stored_once_and_shown_in_order(figures):
    account = XAccountFactory(x_user_id=BRAND, handle="acme", consumer_secret="test", mode="webhook")
    events = [event(n) for n in range(90)]
    shuffled = random.Random(9).sample(events, len(events))
    webhook = Client()

    def post(batch):
        for e in batch:
            body = delivery(e)
            response = webhook.post(account.webhook_path, body, content_type="application/json",
                                    headers={"x-twitter-webhooks-signature": signature("test", body)})  # fmt: skip
            assert response.status_code == 200, response.content

    post(shuffled[:60])  # 60 events, one delivery each, in shuffled order…
    for start in range(0, 60, 10):  # …X retries every delivery (the same event_uuid), newest first…
        post(list(reversed(shuffled[start : start + 10])))
    # …the catch-up poll overlaps: it reads 30 of those and the 30 the webhook never brought…
    ingest.ingest_dm_events(account=account, events=[polled(e) for e in shuffled[30:90]], users={})
    post(shuffled[85:90])  # …and a late webhook brings the oldest of the last ones after everything else.

    stored = Message.objects.filter(x_account=account).count()
    distinct = len(set(Message.objects.values_list("external_id", flat=True)))
    assert XDelivery.objects.filter(account=account).count() == 65  # each delivery recorded once
    assert Interaction.objects.count() == 3  # one DM thread per customer, never a second one for a late event

    # The agent sees each conversation in the order it was written, not the order it arrived in.
    agent = AgentFactory()
    Interaction.objects.update(agent=agent, state="active")
    client = sign_in(agent.username, PASSWORD)
    for interaction in Interaction.objects.all():
        page = client.get(f"/workspace/interactions/{interaction.pk}/conversation/").content.decode()
        shown = [int(page[i + 5 : i + 8]) for i in range(len(page)) if page.startswith("line ", i)]
        customer = CUSTOMERS.index(interaction.contact.identities.get().external_id)
        assert shown == [n for n in range(90) if n % 3 == customer]
    figures.record("duplicate, reordered and late deliveries (webhook + poll)", sent=90, stored=stored,
                   duplicated=stored - distinct, extra="each event delivered 2-3 times")  # fmt: skip
