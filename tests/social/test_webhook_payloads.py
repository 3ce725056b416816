"""Signed deliveries that are malformed: never a 500, never a good event lost with a bad one. Run on PostgreSQL
too (NUL bytes and over-long values only fail there)."""

import copy

import pytest

from contacts.models import ContactIdentity
from interactions.models import Message
from social.models import RejectedEvent
from tests.social.deliveries import BRAND, MAYA, dm_delivery, post, webhook_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return webhook_account()


def bad_dm(n: int, **changes) -> dict:
    """A DM event of Maya's with some of its fields changed (None: removed)."""
    event = copy.deepcopy(dm_delivery(event_id=str(4000000000000000100 + n))["direct_message_events"][0])
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = event
        for name in parents:
            node = node[name]
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return event


@pytest.mark.parametrize(
    "change",
    [
        {"direct_message_events": 5},
        {"tweet_create_events": "abc"},
        {"users": "abc"},
        {"users": 5},
        {"for_user_id": {"id": BRAND}},
    ],
)
def test_a_delivery_whose_structure_is_wrong_answers_400_in_words_and_is_kept(account, change):
    payload = {**dm_delivery(), **change}
    response = post(account, payload)
    assert response.status_code == 400 and response.json()["error"].startswith("the delivery cannot be read: ")
    kept = RejectedEvent.objects.get()
    assert (kept.stream, kept.payload) == ("webhook", payload) and "PayloadError" in kept.error
    assert not Message.objects.exists()


def test_users_given_as_an_empty_list_cost_nothing(account):
    response = post(account, {**dm_delivery(), "users": []})
    assert response.status_code == 200 and response.json()["stored"] == 1


BAD_DMS = [
    bad_dm(1, created_timestamp=1e20),  # OverflowError
    bad_dm(2, created_timestamp="99999999999999999999"),
    bad_dm(3, created_timestamp=None),
    bad_dm(4, id="abc"),
    bad_dm(5, id="1" * 80),  # longer than Message.external_id
    bad_dm(6, id=-5),
    bad_dm(7, id=True),
    bad_dm(8, message_create__sender_id="maya"),
    bad_dm(9, message_create__target={"recipient_id": 1.5}),
    bad_dm(10, message_create=None),
    bad_dm(11, message_create__message_data__text=5),
    bad_dm(12, id="4000000000000000112 ", message_create__message_data__text="a NUL \x00 in a rejected event"),
    "not an event",
    [],
    None,
]


def test_one_bad_event_never_costs_the_others(account):
    payload = dm_delivery()
    payload["direct_message_events"] = [*BAD_DMS[:6], *payload["direct_message_events"], *BAD_DMS[6:]]
    response = post(account, payload)
    assert response.status_code == 200
    assert response.json() == {"stored": 1, "duplicates": 0, "rejected": len(BAD_DMS)}
    assert Message.objects.get().text == "Where is my parcel?"
    kept = RejectedEvent.objects.filter(stream="webhook_dm")
    assert kept.count() == len(BAD_DMS)
    nul = kept.get(payload__id="4000000000000000112 ")  # kept as X sent it, minus the NUL PostgreSQL cannot store
    assert nul.payload["message_create"]["message_data"]["text"] == "a NUL  in a rejected event"


def test_nul_bytes_are_dropped_and_names_and_handles_cut_to_fit(account):
    payload = dm_delivery(text="Where\x00 is my parcel?")
    payload["users"][MAYA] = {"id": MAYA, "name": "Maya\x00 " + "P" * 300, "screen_name": "m" * 120}
    response = post(account, payload)
    assert response.status_code == 200 and response.json()["stored"] == 1
    message = Message.objects.get()
    assert message.text == "Where is my parcel?"
    identity = ContactIdentity.objects.get(external_id=MAYA)
    assert identity.display_name == ("Maya " + "P" * 300)[:200] and identity.handle == "m" * 100
    assert identity.contact.display_name == identity.display_name and message.author["name"] == identity.display_name


def tweet(tweet_id: str, **fields) -> dict:
    return {"id_str": tweet_id, "text": "@acme my order never arrived", "created_at": "Tue Nov 24 10:00:00 +0000 2026",
            "user": {"id_str": MAYA, "screen_name": "maya", "name": "Maya Patel"}, **fields}  # fmt: skip


def test_tweets_that_cannot_be_understood_are_kept_and_the_others_stored(account):
    tweets = [
        tweet("4100000000000000001", text="@acme a NUL\x00 here"),
        tweet("tweet-2"),
        tweet("4100000000000000003", user=None),
        tweet("4100000000000000004", created_at="yesterday"),
        tweet("4100000000000000005", in_reply_to_status_id_str="1" * 40),
        tweet("4100000000000000006", user={"id_str": "1900000000000000002", "name": "T" * 500, "screen_name": None}),
        5,
    ]
    response = post(account, {"for_user_id": BRAND, "tweet_create_events": tweets})
    assert response.status_code == 200 and response.json() == {"stored": 2, "duplicates": 0, "rejected": 5}
    assert sorted(Message.objects.values_list("text", flat=True)) == ["@acme a NUL here", tweets[-2]["text"]]
    assert ContactIdentity.objects.get(external_id="1900000000000000002").display_name == "T" * 200
    assert RejectedEvent.objects.filter(stream="webhook_tweet").count() == 5
