"""Account Activity webhooks: X's own signature vectors, CRC, tampering, and one copy per event."""

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client

from interactions.models import Interaction, Message
from social import ingest
from social.integrations.x_client import DMEvent
from social.models import XAccount
from social.webhooks import signature
from tests.factories import XAccountFactory

pytestmark = pytest.mark.django_db

BRAND, MAYA = "1800000000000000500", "1900000000000000001"


def test_x_documented_signature_vectors():
    assert signature("test", b"test=1&other_test=2") == "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc="
    body = b'{"test_number":1,"test_string":"two"}'
    assert signature("test", body) == "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="


@pytest.fixture
def account():
    return XAccountFactory(x_user_id=BRAND, handle="acme", consumer_secret="test", mode="webhook")


def dm_delivery(event_id="4000000000000000001", text="Where is my parcel?"):
    return {
        "for_user_id": BRAND,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": "1764000000000",
                "message_create": {
                    "target": {"recipient_id": BRAND},
                    "sender_id": MAYA,
                    "message_data": {"text": text, "entities": {"hashtags": [], "urls": []}},
                },
            }
        ],
        "users": {
            MAYA: {"id": MAYA, "name": "Maya Patel", "screen_name": "maya"},
            BRAND: {"id": BRAND, "name": "Acme", "screen_name": "acme"},
        },
    }


def post(account, payload, *, secret="test", tamper=False):
    body = json.dumps(payload).encode()
    header = signature(secret, body)
    if tamper:
        body = body.replace(b"parcel", b"refund")
    return Client().post(
        f"/webhooks/x/{account.pk}/", body, content_type="application/json",
        headers={"x-twitter-webhooks-signature": header},
    )  # fmt: skip


def test_crc_challenge_is_answered_with_the_hmac_of_the_token(account):
    token = "kq3Jv0n5Yb-_w8Zr+Tf/aQ=="  # X's tokens: opaque random strings of the base64 alphabets
    expected = "sha256=" + base64.b64encode(hmac.new(b"test", token.encode(), hashlib.sha256).digest()).decode()
    response = Client().get(f"/webhooks/x/{account.pk}/", {"crc_token": token})
    assert response.json() == {"response_token": expected}


@pytest.mark.parametrize(
    "token",
    ["", "test=1&other_test=2", "short", "x" * 129, "abcdefgh\n", '{"for_user_id":"1"}', "abc defgh", "abcdéfgh"],
)
def test_a_crc_token_of_another_shape_is_refused_in_words(account, token):
    response = Client().get(f"/webhooks/x/{account.pk}/", {"crc_token": token})
    assert response.status_code == 400 and "crc_token" in response.json()["error"]


def test_the_crc_endpoint_cannot_sign_a_forged_delivery(account):
    """The outside probe's attack: the CRC answer signs a forged DM delivery, which is then POSTed with it."""
    body = json.dumps(dm_delivery(text="Forged: send me the refund")).encode()
    crc = Client().get(f"/webhooks/x/{account.pk}/", {"crc_token": body.decode()})
    assert crc.status_code == 400 and "response_token" not in crc.json()
    response = Client().post(
        f"/webhooks/x/{account.pk}/", body, content_type="application/json",
        headers={"x-twitter-webhooks-signature": crc.json().get("response_token", "")},
    )  # fmt: skip
    assert response.status_code == 403 and not Message.objects.exists()


def test_a_polling_or_inactive_account_answers_404_like_an_unknown_one(account):
    token = "kq3Jv0n5Yb-_w8Zr+Tf/aQ=="
    for change in ({"mode": "polling"}, {"mode": "webhook", "is_active": False}):
        XAccount.objects.filter(pk=account.pk).update(**change)
        assert Client().get(f"/webhooks/x/{account.pk}/", {"crc_token": token}).status_code == 404
        assert post(account, dm_delivery()).status_code == 404
    assert Client().get(f"/webhooks/x/{account.pk + 1}/", {"crc_token": token}).status_code == 404
    assert not Message.objects.exists()


def test_a_delivery_larger_than_1_mb_is_refused_in_words(account):
    payload = dm_delivery(text="x" * 1_000_001)
    response = post(account, payload)
    assert response.status_code == 413 and "1 MB" in response.json()["error"]
    assert not Message.objects.exists()


def test_a_signed_body_that_is_not_a_json_object_is_refused(account):
    for body in (b"kq3Jv0n5Yb", b"12345678", b"[]", b"not json", b"\xff\xfe"):
        response = Client().post(
            f"/webhooks/x/{account.pk}/", body, content_type="application/json",
            headers={"x-twitter-webhooks-signature": signature("test", body)},
        )  # fmt: skip
        assert response.status_code == 400 and response.json()["error"] == "the body is not a JSON object"


def test_a_signed_dm_delivery_opens_a_queued_interaction(account):
    response = post(account, dm_delivery())
    assert response.status_code == 200 and response.json()["stored"] == 1
    message = Message.objects.get()
    assert (message.text, message.interaction.contact.display_name) == ("Where is my parcel?", "Maya Patel")
    assert message.interaction.thread_key == f"{BRAND}-{MAYA}"


def test_a_tampered_body_gets_403_and_stores_nothing(account):
    assert post(account, dm_delivery(), tamper=True).status_code == 403
    assert post(account, dm_delivery(), secret="not-the-secret").status_code == 403
    assert Client().post(f"/webhooks/x/{account.pk}/", b"{}", content_type="application/json").status_code == 403
    assert not Message.objects.exists() and not Interaction.objects.exists()


def test_a_duplicate_delivery_and_the_same_event_by_poll_are_stored_once(account):
    post(account, dm_delivery())
    second = post(account, dm_delivery())
    assert second.json() == {"stored": 0, "duplicates": 1, "rejected": 0}
    polled = DMEvent(
        id="4000000000000000001", event_type="MessageCreate", text="Where is my parcel?", sender_id=MAYA,
        conversation_id=f"{BRAND}-{MAYA}", created_at=None, participant_ids=(MAYA, BRAND),
    )  # fmt: skip
    assert ingest.ingest_dm_events(account=account, events=[polled], users={}).duplicates == 1
    assert Message.objects.count() == 1


def test_a_malformed_event_is_kept_and_the_others_stored(account):
    payload = dm_delivery()
    payload["direct_message_events"].insert(0, {"type": "message_create", "id": "4000000000000000000"})
    response = post(account, payload)
    assert response.json() == {"stored": 1, "duplicates": 0, "rejected": 1}


def test_tweet_create_events_become_a_twitter_interaction_and_retweets_do_not(account):
    tweet = {
        "id_str": "4100000000000000001",
        "text": "@acme my order never arrived 😡",
        "created_at": "Tue Nov 24 10:00:00 +0000 2026",
        "user": {"id_str": MAYA, "screen_name": "maya", "name": "Maya Patel"},
    }
    retweet = {**tweet, "id_str": "4100000000000000002", "retweeted_status": {"id_str": "4100000000000000001"}}
    response = post(account, {"for_user_id": BRAND, "tweet_create_events": [tweet, retweet]})
    assert response.json()["stored"] == 1
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
