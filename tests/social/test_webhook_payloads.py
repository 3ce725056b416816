"""Signed deliveries that are malformed: never a 500, never a good event lost with a bad one. Run on PostgreSQL
too (NUL bytes and over-long values only fail there)."""

import copy

import pytest

from contacts.models import ContactIdentity
from interactions.models import Message
from social.models import RejectedEvent, XDelivery
from tests.social.deliveries import (
    BRAND,
    MAYA,
    USERS,
    dm_delivery,
    envelope,
    post,
    post_delivery,
    post_json,
    webhook_account,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return webhook_account()


def bad_dm(n: int, **changes) -> dict:
    """A DM event of Maya's with some of its fields changed (None: removed)."""
    event = copy.deepcopy(
        dm_delivery(event_id=str(4000000000000000100 + n))["data"]["payload"]["direct_message_events"][0]
    )
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


def changed(delivery: dict, **changes) -> dict:
    """The delivery with fields of its `data` changed (`payload__users`: inside the payload)."""
    delivery = copy.deepcopy(delivery)
    for path, value in changes.items():
        node, *names = [delivery["data"], *path.split("__")]
        for name in names[:-1]:
            node = node[name]
        node[names[-1]] = value
    return delivery


@pytest.mark.parametrize(
    "change",
    [
        {"payload__direct_message_events": 5},
        {"payload__direct_message_events": None},
        {"payload__users": "abc"},
        {"payload__users": 5},
        {"payload": "abc"},
        {"filter": {"user_id": {"id": BRAND}}},
        {"filter": "everyone"},
        {"event_uuid": {"id": "1"}},
        {"event_uuid": None},
        {"event_uuid": "has spaces in it"},
        {"event_type": 5},
        {"event_type": ""},
        {"includes": []},
    ],
)
def test_a_delivery_whose_structure_is_wrong_answers_400_in_words_and_is_kept(account, change):
    payload = changed(dm_delivery(), **change)
    response = post(account, payload)
    assert response.status_code == 400 and response.json()["error"].startswith("the delivery cannot be read: ")
    kept = RejectedEvent.objects.get()
    assert (kept.stream, kept.payload) == ("webhook", payload) and "PayloadError" in kept.error
    assert not Message.objects.exists() and not XDelivery.objects.exists()


@pytest.mark.parametrize("body", [{"data": 5}, {"data": None}, {"event_type": "dm.received"}, {}])
def test_a_body_that_is_no_envelope_answers_400_and_is_kept(account, body):
    response = post(account, body)
    assert response.status_code == 400 and "no data object" in response.json()["error"]
    assert RejectedEvent.objects.get().payload == body


def test_users_given_as_an_empty_list_cost_nothing(account):
    response = post(account, changed(dm_delivery(), payload__users=[]))
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
    events = payload["data"]["payload"]["direct_message_events"]
    payload["data"]["payload"]["direct_message_events"] = [*BAD_DMS[:6], *events, *BAD_DMS[6:]]
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
    payload["data"]["payload"]["users"][MAYA] = {"data": {"id": MAYA, "name": "Maya\x00 " + "P" * 300,
                                                          "username": "m" * 120}}  # fmt: skip
    response = post(account, payload)
    assert response.status_code == 200 and response.json()["stored"] == 1
    message = Message.objects.get()
    assert message.text == "Where is my parcel?"
    identity = ContactIdentity.objects.get(external_id=MAYA)
    assert identity.display_name == ("Maya " + "P" * 300)[:200] and identity.handle == "m" * 100
    assert identity.contact.display_name == identity.display_name and message.author["name"] == identity.display_name


def test_posts_that_cannot_be_understood_are_kept_and_the_others_stored(account):
    tom = "1900000000000000002"
    deliveries = [
        post_delivery(post_json("4100000000000000001", "@acme a NUL\x00 here")),
        post_delivery(post_json("tweet-2", "@acme my order never arrived"), event_uuid="2"),
        post_delivery(post_json("4100000000000000003", "@acme my order never arrived", author=None)),
        post_delivery(post_json("4100000000000000004", "@acme my order never arrived", created_at="yesterday")),
        post_delivery(
            post_json(
                "4100000000000000005",
                "@acme my order never arrived",
                referenced_tweets=[{"type": "replied_to", "id": "1" * 40}],
            )
        ),  # fmt: skip
        post_delivery(
            post_json("4100000000000000006", "@acme my order never arrived", author=tom),
            users=[{"id": tom, "name": "T" * 500, "username": None}],
        ),  # fmt: skip
        envelope("post.mention.create", {"text": 5}, event_uuid="7", includes={}),
    ]
    answers = [post(account, delivery) for delivery in deliveries]
    assert [a.status_code for a in answers] == [200] * 7
    assert [a.json()["stored"] for a in answers] == [1, 0, 0, 0, 0, 1, 0]
    assert [a.json()["rejected"] for a in answers] == [0, 1, 1, 1, 1, 0, 1]
    assert sorted(Message.objects.values_list("text", flat=True)) == [
        "@acme a NUL here",
        "@acme my order never arrived",
    ]
    assert ContactIdentity.objects.get(external_id=tom).display_name == "T" * 200
    assert RejectedEvent.objects.filter(stream="webhook_tweet").count() == 4
    assert RejectedEvent.objects.get(stream="mentions").error.startswith("tweet 4100000000000000003 has no author_id")
    assert USERS[MAYA]["username"] == "maya"  # the shared example was not changed by the deliveries
