"""X's documented X Activity API examples (tests/social/fixtures/, sources in its README): each read by Perch's
parsers, and the deliveries posted, signed, to an account of the example's user id as X would send them."""

import json
from pathlib import Path

import pytest

from contacts.models import ContactIdentity
from interactions.models import Message
from social.integrations import x_activity, x_webhooks
from social.models import RejectedEvent
from tests.social.deliveries import post, webhook_account

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_USER, OTHER_USER = "1111111111111111111", "2222222222222222222"


def example(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def account():
    return webhook_account(x_user_id=EXAMPLE_USER, handle="ExampleUser")


def test_the_envelope_example_is_read_and_a_type_perch_does_not_subscribe_to_is_kept(account):
    body = example("xaa_envelope_example.json")
    delivery = x_activity.parse_delivery(body)
    assert delivery.envelope == x_activity.Envelope(
        event_uuid="2080761390344937796", event_type="post.create", filter_user_id=EXAMPLE_USER, tag="posts",
        payload={}, includes={},
    )  # fmt: skip
    assert post(account, body).status_code == 200
    assert RejectedEvent.objects.get().error == "event type post.create is not one Perch subscribes to"


def test_dm_received_example_becomes_a_customer_dm(account):
    body = example("xaa_dm_received_example.json")
    dms = x_activity.parse_delivery(body).dms
    (event,) = dms.events
    assert (event.id, event.sender_id, event.text, event.participant_ids) == (
        "2080765901528535096", OTHER_USER, "hello!", (OTHER_USER, EXAMPLE_USER),
    )  # fmt: skip
    assert dms.users[OTHER_USER].username == "OtherUser" and not dms.rejected
    assert post(account, body).json() == {"stored": 1, "duplicates": 0, "rejected": 0}
    assert ContactIdentity.objects.get(external_id=OTHER_USER).handle == "OtherUser"


def test_dm_sent_example_is_the_brand_s_own_dm(account):
    body = example("xaa_dm_sent_example.json")
    assert body["data"]["event_uuid"].startswith("-")  # X's event_uuid: opaque, negative here
    dms = x_activity.parse_delivery(body).dms
    (event,) = dms.events
    assert (event.sender_id, event.participant_ids[1], event.text) == (EXAMPLE_USER, "2244994945",
                                                                       "Thanks for the update!")  # fmt: skip
    assert dms.users["2244994945"].name == "X Developers"
    assert post(account, body).json()["stored"] == 0  # nobody Perch talks to: no conversation, no work


def test_post_mention_create_example_becomes_a_twitter_interaction(account):
    body = example("xaa_post_mention_create_example.json")
    mention = x_activity.parse_delivery(body).post
    assert (mention.tweet.author_id, mention.tweet.text, mention.tweet.replied_to_id) == (
        OTHER_USER, "hey @ExampleUser", "",
    )  # fmt: skip
    assert set(mention.users) == {OTHER_USER, EXAMPLE_USER} and mention.context == {}  # includes.tweets: itself
    assert post(account, body).json()["stored"] == 1
    assert Message.objects.get().interaction.kind == "twitter"


def test_post_reply_create_example_is_a_reply_to_the_brand_s_post():
    reply = x_activity.parse_delivery(example("xaa_post_reply_create_example.json")).post
    tweet = reply.tweet
    assert (tweet.id, tweet.author_id, tweet.replied_to_id, tweet.in_reply_to_user_id) == (
        "2090000000000000001", OTHER_USER, "2080761390344937796", EXAMPLE_USER,
    )  # fmt: skip
    assert tweet.display_start == 14 and reply.users == {} and reply.context == {}


def test_oauth_revoke_example_with_its_empty_filter_marks_the_account(account):
    body = example("xaa_oauth_revoke_example.json")
    delivery = x_activity.parse_delivery(body)
    assert (delivery.envelope.filter_user_id, delivery.for_user_id) == ("", EXAMPLE_USER)
    assert post(account, body).status_code == 200
    account.refresh_from_db()
    assert account.needs_reconnect


def test_webhook_answers_are_read():
    created = x_webhooks.parse_webhook(example("webhook_create_example.json"))
    assert created == x_webhooks.WebhookConfig(
        id="1234567890",
        url="https://yourdomain.com/webhooks/twitter",
        valid=True,
        created_at="2025-01-15T12:00:00.000Z",
    )
    assert x_webhooks.parse_webhooks(example("webhooks_list_example.json")) == [created]
    assert x_webhooks.parse_webhooks({"data": [], "meta": {"result_count": 0}}) == []
    assert x_webhooks.parse_validated(example("webhook_validate_example.json")) is True
    assert example("webhook_delete_example.json") == {"data": {"deleted": True}}


def test_subscription_answers_are_read_in_openapi_s_shape_and_the_quickstart_s():
    expected = x_webhooks.ActivitySubscription(
        id="1976325569252868096", event_type="profile.update.bio", user_id="123456789",
        webhook_id="1976325569252868099", tag="my bio updates",
    )  # fmt: skip
    assert x_webhooks.parse_subscription_created(example("subscription_create_example.json")) == expected
    assert x_webhooks.parse_subscription_created(example("subscription_create_quickstart_example.json")) == expected
    listed, token = x_webhooks.parse_subscriptions(example("subscriptions_list_example.json"))
    assert [(s.id, s.event_type, s.user_id) for s in listed] == [
        ("1976325569252868096", "profile.update.bio", "123456789"),
        ("1976325569252868097", "profile.update.profile_picture", "987654321"),
    ] and token == ""
    assert example("subscription_delete_example.json")["data"] == {"deleted": True}
