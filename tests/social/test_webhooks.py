"""X Activity API webhooks: signed deliveries stored once per event, whatever else X sends along."""

import pytest

from interactions.models import Interaction, Message
from social import ingest
from social.integrations.x_client import DMEvent
from tests.social.deliveries import BRAND, MAYA, dm_delivery, post, post_delivery, post_json, webhook_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return webhook_account()


def test_a_signed_dm_delivery_opens_a_queued_interaction(account):
    response = post(account, dm_delivery())
    assert response.status_code == 200 and response.json()["stored"] == 1
    message = Message.objects.get()
    assert (message.text, message.interaction.contact.display_name) == ("Where is my parcel?", "Maya Patel")
    assert message.interaction.thread_key == f"{BRAND}-{MAYA}"


def test_a_duplicate_delivery_and_the_same_event_by_poll_are_stored_once(account):
    post(account, dm_delivery())
    second = post(account, dm_delivery())  # X's retry: the same event_uuid
    assert second.status_code == 200 and second.json() == {"stored": 0, "duplicates": 1, "rejected": 0}
    again = post(account, dm_delivery(event_uuid="-5934540941047412905"))  # the same DM in another delivery
    assert again.json() == {"stored": 0, "duplicates": 1, "rejected": 0}
    polled = DMEvent(
        id="4000000000000000001", event_type="MessageCreate", text="Where is my parcel?", sender_id=MAYA,
        conversation_id=f"{BRAND}-{MAYA}", created_at=None, participant_ids=(MAYA, BRAND),
    )  # fmt: skip
    assert ingest.ingest_dm_events(account=account, events=[polled], users={}).duplicates == 1
    assert Message.objects.count() == 1


def test_a_malformed_event_is_kept_and_the_others_stored(account):
    payload = dm_delivery()
    payload["data"]["payload"]["direct_message_events"].insert(
        0, {"type": "message_create", "id": "4000000000000000000"}
    )
    response = post(account, payload)
    assert response.json() == {"stored": 1, "duplicates": 0, "rejected": 1}


def test_a_mention_becomes_a_twitter_interaction_and_a_repost_does_not(account):
    tweet = post_json("4100000000000000001", "@acme my order never arrived 😡")
    repost = post_json("4100000000000000002", "RT @maya: @acme my order never arrived 😡",
                       referenced_tweets=[{"type": "retweeted", "id": "4100000000000000001"}])  # fmt: skip
    assert post(account, post_delivery(tweet)).json()["stored"] == 1
    assert post(account, post_delivery(repost)).json()["stored"] == 0
    interaction = Interaction.objects.get()
    assert interaction.kind == "twitter" and interaction.sentiment < -0.5


def test_a_delivery_while_the_broker_is_down_is_kept_and_the_next_pass_applies_the_rules(
    account, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from interactions import routing, tasks
    from interactions.models import RoutingRule

    RoutingRule.objects.create(name="Refunds", keywords="refund", priority_boost=5)

    def broker_down(*args, **kwargs):  # injected fault: Redis (the broker) refuses the routing request
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.route_queue, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(account, dm_delivery(text="Could I get a refund for my ticket?"))
    assert response.status_code == 200 and response.json()["stored"] == 1  # X is not made to deliver it again
    interaction = Interaction.objects.get()
    assert (interaction.priority, interaction.language) == (0, "")  # its routing request was lost

    monkeypatch.undo()
    routing.route_queue()  # beat's next pass, the broker back
    interaction.refresh_from_db()
    assert (interaction.priority, interaction.language) == (5, "en")
