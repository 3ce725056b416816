"""Typing and read receipts (dm.indicate_typing, dm.read) through social.ingest.indicators.receive, as the webhook
view calls it inside a delivery's transaction: Seen set only on the brand's sent DMs of that conversation up to the
DM read, typing told to whoever may watch and stored nowhere, anything else a defined outcome."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from interactions.indicators import ANOTHER_CONVERSATION, NO_OPEN_INTERACTION, UNKNOWN_MESSAGE
from interactions.models import Channel, Interaction, Message
from social.ingest.indicators import receive
from social.ingest.threads import dm_thread_key
from social.integrations.x_indicators import ReadEvent, TypingEvent, parse_indications
from social.integrations.x_payloads import PayloadError
from tests.factories import AgentFactory, ContactFactory, InteractionFactory, XAccountFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
BRAND, MAYA, OMAR = "1800000000000000500", "1900000000000000001", "1900000000000000002"
READ_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def example(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())["data"]


def read_payload(last_read: str, *, sender=MAYA, recipient=BRAND, at=READ_AT) -> dict:
    event = {"created_timestamp": str(int(at.timestamp() * 1000)), "sender_id": sender,
             "target": {"recipient_id": recipient}, "last_read_event_id": last_read}  # fmt: skip
    return {"direct_message_mark_read_events": [event], "users": {}}


def typing_payload(*, sender=MAYA, recipient=BRAND) -> dict:
    event = {"created_timestamp": "1764000000000", "sender_id": sender, "target": {"recipient_id": recipient}}
    return {"direct_message_indicate_typing_events": [event], "users": {}}


def delivered(account, event_type: str, payload: dict):
    """As the webhook view does: inside the delivery's transaction."""
    with transaction.atomic():
        return receive(account=account, event_type=event_type, payload=payload, includes={})


def dm(interaction, external_id, direction="out", delivery="sent"):
    return Message.objects.create(
        interaction=interaction, x_account=interaction.x_account, kind=Message.Kind.DM, direction=direction,
        external_id=external_id, text=f"DM {external_id}", delivery=delivery if direction == "out" else "",
        sent_at=timezone.now() if delivery == "sent" and direction == "out" else None,
    )  # fmt: skip


@pytest.fixture
def account():
    return XAccountFactory(x_user_id=BRAND, handle="acme")


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def chat(account, agent):
    """Maya's DM thread: last week's interaction (done) and today's, active with `agent`; and Omar's."""
    maya = ContactFactory(display_name="Maya Patel", assigned_agent=agent)
    thread = dm_thread_key(BRAND, MAYA)
    earlier = InteractionFactory(x_account=account, contact=maya, thread_key=thread, state="done", agent=agent)
    today = InteractionFactory(x_account=account, contact=maya, thread_key=thread, state="active", agent=agent)
    omars = InteractionFactory(x_account=account, thread_key=dm_thread_key(BRAND, OMAR), state="active", agent=agent)
    return {
        "last_week": dm(earlier, "999999999999999990"),  # 18 digits: fewer than the others, and older
        "question": dm(today, "1000000000000000100", direction="in"),
        "answer": dm(today, "1000000000000000200"),
        "follow_up": dm(today, "1000000000000000300"),
        "queued": dm(today, None, delivery="queued"),
        "failed": dm(today, None, delivery="failed"),
        "thanks": dm(today, "1000000000000000400", direction="in"),
        "to_omar": dm(omars, "1000000000000000250"),
        "today": today,
    }


def seen(*names, chat):
    return {n for n in names if Message.objects.get(pk=chat[n].pk).seen_at is not None}


ALL = ("last_week", "question", "answer", "follow_up", "queued", "failed", "thanks", "to_omar")


# --- X's payloads ---------------------------------------------------------------------------------------
def test_the_inferred_examples_parse():
    typing = example("xaa_dm_indicate_typing_inferred.json")
    parsed = parse_indications(typing["event_type"], typing["payload"])
    assert parsed.events == [
        TypingEvent(sender_id="3284025577", recipient_id="3001969357",
                    created_at=datetime(2018, 2, 8, 21, 59, 43, 443000, tzinfo=UTC))
    ]  # fmt: skip
    assert parsed.users["3284025577"].username == "bogusbogart" and parsed.users["3001969357"].name == "Jordan Brinks"
    read = example("xaa_dm_read_inferred.json")
    parsed = parse_indications(read["event_type"], read["payload"])
    assert parsed.events == [
        ReadEvent(sender_id="199566737", recipient_id="3001969357", last_read_event_id="963085315333238788",
                  created_at=datetime(2018, 2, 12, 16, 20, 44, 662000, tzinfo=UTC))
    ]  # fmt: skip
    assert parsed.users["199566737"].username == "LeBraat"


def test_the_inferred_read_example_delivered_to_its_account_marks_the_dm_it_names():
    read = example("xaa_dm_read_inferred.json")
    account = XAccountFactory(x_user_id=read["filter"]["user_id"])
    interaction = InteractionFactory(x_account=account, thread_key="199566737-3001969357", state="active")
    message = dm(interaction, "963085315333238788")
    result = delivered(account, read["event_type"], read["payload"])
    message.refresh_from_db()
    assert result.seen == [message.pk] and message.seen_at == datetime(2018, 2, 12, 16, 20, 44, 662000, tzinfo=UTC)


# --- dm.read --------------------------------------------------------------------------------------------
def test_a_read_receipt_makes_the_brands_sent_dms_of_that_conversation_seen_up_to_the_one_read(account, chat):
    result = delivered(account, "dm.read", read_payload(chat["answer"].external_id))
    assert seen(*ALL, chat=chat) == {"last_week", "answer"}  # by X id as a number: 18 digits come before 19
    assert sorted(result.seen) == sorted([chat["last_week"].pk, chat["answer"].pk]) and result.unchanged == []
    assert Message.objects.get(pk=chat["answer"].pk).seen_at == READ_AT  # X's time of the read

    later = datetime(2026, 12, 1, 12, 5, tzinfo=UTC)
    result = delivered(account, "dm.read", read_payload(chat["thanks"].external_id, at=later))  # up to her own DM
    assert seen(*ALL, chat=chat) == {"last_week", "answer", "follow_up"}
    assert result.seen == [chat["follow_up"].pk]
    assert Message.objects.get(pk=chat["answer"].pk).seen_at == READ_AT  # the first time stays
    assert Message.objects.get(pk=chat["follow_up"].pk).seen_at == later


def test_the_same_read_receipt_twice_changes_nothing_the_second_time(account, chat):
    delivered(account, "dm.read", read_payload(chat["follow_up"].external_id))
    again = delivered(account, "dm.read", read_payload(chat["follow_up"].external_id, at=timezone.now()))
    assert again.seen == [] and again.unchanged == []
    assert Message.objects.get(pk=chat["follow_up"].pk).seen_at == READ_AT


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (lambda chat: read_payload("1000000000000009999"), UNKNOWN_MESSAGE),
        # Omar's DM, but Maya's receipt: she is not in that conversation
        (lambda chat: read_payload(chat["to_omar"].external_id), ANOTHER_CONVERSATION),
        # Omar claims to have read Maya's conversation
        (lambda chat: read_payload(chat["follow_up"].external_id, sender=OMAR), ANOTHER_CONVERSATION),
        (lambda chat: read_payload(chat["follow_up"].external_id, recipient="1800000000000000999"), "not the brand"),
        (lambda chat: read_payload(chat["thanks"].external_id, sender=BRAND, recipient=MAYA), "brand's own X app"),
    ],
    ids=["unknown DM", "another conversation's DM", "a stranger", "addressed to someone else", "the brand reading"],
)
def test_a_read_receipt_that_is_not_about_the_conversation_changes_nothing(account, chat, payload, why):
    result = delivered(account, "dm.read", payload(chat))
    assert seen(*ALL, chat=chat) == set() and result.seen == []
    assert len(result.unchanged) == 1 and why in result.unchanged[0]


def test_a_tweet_with_the_read_id_is_not_a_dm_of_the_conversation(account, chat):
    twitter = InteractionFactory(x_account=account, kind=Channel.TWITTER, thread_key=dm_thread_key(BRAND, MAYA))
    Message.objects.create(interaction=twitter, x_account=account, kind=Message.Kind.TWEET, direction="out",
                           external_id="1000000000000000500", delivery="sent")  # fmt: skip
    result = delivered(account, "dm.read", read_payload("1000000000000000500"))
    assert result.unchanged == [f"read receipt for DM 1000000000000000500: {UNKNOWN_MESSAGE}"]
    assert seen(*ALL, chat=chat) == set()


def valid_read():
    return read_payload("1000000000000000200")


def broken(change):
    payload = valid_read()
    change(payload, payload["direct_message_mark_read_events"][0])
    return payload


MALFORMED_READS = {
    "not an object": ["a list"],
    "no events key": {"users": {}},
    "events not a list": {"direct_message_mark_read_events": {"0": {}}},
    "event not an object": {"direct_message_mark_read_events": ["read"]},
    "no sender": broken(lambda p, e: e.pop("sender_id")),
    "sender not an id": broken(lambda p, e: e.update(sender_id="@maya")),
    "no target": broken(lambda p, e: e.pop("target")),
    "target not an object": broken(lambda p, e: e.update(target="1800000000000000500")),
    "recipient a float": broken(lambda p, e: e["target"].update(recipient_id=1.8e18)),
    "no last read id": broken(lambda p, e: e.pop("last_read_event_id")),
    "last read id with NUL": broken(lambda p, e: e.update(last_read_event_id="1000000000000000200\x00")),
    "last read id too long": broken(lambda p, e: e.update(last_read_event_id="1" * 40)),
    "no time": broken(lambda p, e: e.pop("created_timestamp")),
    "time not a number": broken(lambda p, e: e.update(created_timestamp="yesterday")),
    "time out of range": broken(lambda p, e: e.update(created_timestamp="9" * 20)),
    "a good event and a bad one": broken(
        lambda p, e: p["direct_message_mark_read_events"].append({**copy.deepcopy(e), "sender_id": None})
    ),
}


@pytest.mark.parametrize("payload", MALFORMED_READS.values(), ids=MALFORMED_READS.keys())
def test_a_malformed_read_receipt_is_refused_in_words_and_changes_nothing(account, chat, payload):
    with pytest.raises(PayloadError) as refused:
        delivered(account, "dm.read", payload)
    assert str(refused.value)
    assert seen(*ALL, chat=chat) == set()


def test_users_are_display_data_and_a_malformed_one_refuses_nothing(account, chat):
    payload = {**valid_read(), "users": {MAYA: {"data": {"id": "not-an-id"}}, "x": "y"}}
    assert delivered(account, "dm.read", payload).seen
    assert delivered(account, "dm.read", {**valid_read(), "users": ["a list"]}).unchanged == []


def test_an_event_type_that_is_neither_is_refused(account):
    with pytest.raises(PayloadError, match="is not a typing or read event"):
        delivered(account, "dm.received", valid_read())


def test_an_empty_list_of_events_is_nothing_to_do(account, chat):
    result = delivered(account, "dm.read", {"direct_message_mark_read_events": []})
    assert (result.seen, result.unchanged) == ([], [])


# --- dm.indicate_typing ---------------------------------------------------------------------------------
def rows() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_typing_is_told_to_who_may_watch_and_stored_nowhere(account, chat, agent):
    watcher, stranger = AgentFactory(), AgentFactory()
    Contact.objects.filter(pk=chat["today"].contact_id).update(assigned_agent=watcher)
    before = rows()
    result = delivered(account, "dm.indicate_typing", typing_payload())
    assert rows() == before  # no row anywhere: typing is a push only
    assert sorted(result.typing_told) == sorted([agent.pk, watcher.pk]) and stranger.pk not in result.typing_told
    assert result.unchanged == []


def test_typing_in_a_conversation_without_an_open_interaction_tells_nobody(account, chat):
    Interaction.objects.filter(pk=chat["today"].pk).update(state="ended")
    result = delivered(account, "dm.indicate_typing", typing_payload())
    assert result.typing_told == []
    assert result.unchanged == [f"typing in {dm_thread_key(BRAND, MAYA)}: {NO_OPEN_INTERACTION}"]
    stranger = delivered(account, "dm.indicate_typing", typing_payload(sender="1900000000000000777"))
    assert stranger.typing_told == [] and NO_OPEN_INTERACTION in stranger.unchanged[0]


def test_typing_by_the_brand_or_to_someone_else_tells_nobody(account, chat):
    own = delivered(account, "dm.indicate_typing", typing_payload(sender=BRAND, recipient=MAYA))
    elsewhere = delivered(account, "dm.indicate_typing", typing_payload(recipient="1800000000000000999"))
    assert own.typing_told == elsewhere.typing_told == []
    assert "brand's own X app" in own.unchanged[0] and "not the brand" in elsewhere.unchanged[0]


def test_several_typing_events_of_one_person_in_a_delivery_are_one_push_each_watcher(account, chat, agent):
    payload = typing_payload()
    payload["direct_message_indicate_typing_events"] *= 3
    assert delivered(account, "dm.indicate_typing", payload).typing_told == [agent.pk]


MALFORMED_TYPING = {
    "no events key": {"users": {}},
    "no sender": {"direct_message_indicate_typing_events": [
        {"created_timestamp": "1", "target": {"recipient_id": "1"}}]},
    "no recipient": {"direct_message_indicate_typing_events": [{"created_timestamp": "1", "sender_id": MAYA}]},
    "time a bool": {"direct_message_indicate_typing_events": [
        {"created_timestamp": True, "sender_id": MAYA, "target": {"recipient_id": BRAND}}]},
}  # fmt: skip


@pytest.mark.parametrize("payload", MALFORMED_TYPING.values(), ids=MALFORMED_TYPING.keys())
def test_a_malformed_typing_event_is_refused_in_words(account, payload):
    with pytest.raises(PayloadError):
        delivered(account, "dm.indicate_typing", payload)
