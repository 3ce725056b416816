"""Event → contact, interaction and message rules, on parsed X events (no HTTP here; see test_polling.py)."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from contacts.models import ContactIdentity
from interactions.models import Channel, Interaction, InteractionState, Message
from social import ingest
from social.ingest import dms, store
from social.ingest.threads import dm_thread_key
from social.integrations.x_client import DMEvent, Tweet, XUser
from social.models import RejectedEvent
from tests.factories import XAccountFactory

pytestmark = pytest.mark.django_db

BRAND = "1800000000000000500"
MAYA = XUser(id="1900000000000000001", username="maya", name="Maya Patel")
TOM = XUser(id="1900000000000000002", username="tom", name="Tom Becker")
USERS = {u.id: u for u in (MAYA, TOM)}
WHEN = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def account():
    return XAccountFactory(x_user_id=BRAND, handle="acme")


def dm(event_id, sender, text="Hello", other=BRAND):
    return DMEvent(
        id=event_id,
        event_type="MessageCreate",
        text=text,
        sender_id=sender,
        conversation_id=dm_thread_key(sender, other),
        created_at=WHEN,
        participant_ids=(sender, other),
    )


def tweet(tweet_id, author, text="@acme help", replied_to="", conversation="", retweeted=""):
    return Tweet(
        id=tweet_id,
        text=text,
        author_id=author,
        conversation_id=conversation or tweet_id,
        created_at=WHEN,
        replied_to_id=replied_to,
        retweeted_id=retweeted,
    )


def test_first_dm_creates_contact_and_queued_chat_interaction(account):
    result = ingest.ingest_dm_events(
        account=account, events=[dm("2000000000000000001", MAYA.id, "my order never arrived 😡")], users=USERS
    )
    assert len(result.created) == 1
    interaction = Interaction.objects.get()
    assert (interaction.kind, interaction.state) == (Channel.CHAT, InteractionState.QUEUED)
    assert interaction.thread_key == f"{BRAND}-{MAYA.id}"
    assert interaction.contact.display_name == "Maya Patel"
    assert interaction.sentiment < -0.5
    identity = ContactIdentity.objects.get(external_id=MAYA.id)
    assert identity.handle == "maya"


def test_the_same_dm_twice_is_stored_once_and_a_new_dm_appends(account):
    first = dm("2000000000000000001", MAYA.id)
    ingest.ingest_dm_events(account=account, events=[first], users=USERS)
    again = ingest.ingest_dm_events(account=account, events=[first], users=USERS)
    assert again.duplicates == 1 and again.created == []
    ingest.ingest_dm_events(account=account, events=[dm("2000000000000000002", MAYA.id, "Any news?")], users=USERS)
    assert Interaction.objects.count() == 1
    assert list(Interaction.objects.get().messages.values_list("text", flat=True)) == ["Hello", "Any news?"]


def test_a_duplicate_dm_after_mark_done_does_not_reopen_work(account):
    ingest.ingest_dm_events(account=account, events=[dm("2000000000000000001", MAYA.id)], users=USERS)
    Interaction.objects.update(state=InteractionState.DONE)
    result = ingest.ingest_dm_events(account=account, events=[dm("2000000000000000001", MAYA.id)], users=USERS)
    assert result.duplicates == 1
    assert Interaction.objects.count() == 1  # the savepoint rolled back the interaction it had opened


def test_brand_dms_sent_from_x_are_outbound_messages_not_work(account):
    ingest.ingest_dm_events(account=account, events=[dm("2000000000000000001", MAYA.id)], users=USERS)
    reply = dm("2000000000000000002", BRAND, "We are on it", other=MAYA.id)
    ingest.ingest_dm_events(account=account, events=[reply], users=USERS)
    assert Interaction.objects.count() == 1
    out = Message.objects.get(external_id="2000000000000000002")
    assert (out.direction, out.delivery) == ("out", "sent")


def test_dms_whose_event_names_no_conversation_join_the_brands_thread_with_the_customer(account):
    # Account Activity deliveries (and a v2 event without dm_conversation_id) name no conversation.
    unnamed = [
        DMEvent(id="2000000000000000002", event_type="MessageCreate", text="Any news?", sender_id=MAYA.id,
                conversation_id="", created_at=WHEN, participant_ids=(MAYA.id, BRAND)),
        DMEvent(id="2000000000000000003", event_type="MessageCreate", text="On it", sender_id=BRAND,
                conversation_id="", created_at=WHEN, participant_ids=(BRAND, MAYA.id)),
    ]  # fmt: skip
    ingest.ingest_dm_events(account=account, events=[dm("2000000000000000001", MAYA.id)], users=USERS)
    ingest.ingest_dm_events(account=account, events=unnamed[:1], users=USERS)  # the batch path
    ingest.ingest_dm_events(account=account, events=unnamed[1:], users=USERS)  # the one-by-one path
    interaction = Interaction.objects.get()
    assert interaction.thread_key == dm_thread_key(BRAND, MAYA.id) == f"{BRAND}-{MAYA.id}"
    assert interaction.messages.count() == 3


def test_a_changed_handle_updates_the_identity(account):
    ingest.ingest_dm_events(account=account, events=[dm("2000000000000000001", MAYA.id)], users=USERS)
    renamed = {MAYA.id: XUser(id=MAYA.id, username="maya_p", name="Maya P.")}
    ingest.ingest_dm_events(account=account, events=[dm("2000000000000000002", MAYA.id)], users=renamed)
    identity = ContactIdentity.objects.get(external_id=MAYA.id)
    assert (identity.handle, identity.display_name) == ("maya_p", "Maya P.")
    assert ContactIdentity.objects.count() == 1


def test_a_malformed_event_is_kept_and_skipped_and_the_rest_flows(account):
    broken = DMEvent(
        id="2000000000000000001",
        event_type="MessageCreate",
        text="?",
        sender_id="",
        conversation_id="",
        created_at=WHEN,
    )
    good = dm("2000000000000000002", TOM.id)
    result = ingest.ingest_dm_events(account=account, events=[broken, good], users=USERS)
    assert result.rejected == 1 and len(result.created) == 1
    rejected = RejectedEvent.objects.get()
    assert rejected.payload["id"] == "2000000000000000001"
    assert rejected.error == "DM event 2000000000000000001 has no sender_id: X sent it without the sender field"
    assert not ContactIdentity.objects.filter(external_id="").exists()


NO_AUTHOR = "tweet {} has no author_id: X sent it without the author field"


def test_tweets_x_sent_without_author_id_are_kept_as_rejected_never_filed_under_one_made_up_customer(account):
    # X's default fields leave author_id out: two people's tweets used to become one contact whose X id was ''.
    nobodys = [tweet("3000000000000000001", "", "@acme my bag is lost"), tweet("3000000000000000002", "")]
    result = ingest.ingest_tweets(
        account=account, tweets=[*nobodys, tweet("3000000000000000003", MAYA.id)], users=USERS
    )
    assert result.rejected == 2 and len(result.created) == 1
    assert list(ContactIdentity.objects.values_list("external_id", flat=True)) == [MAYA.id]
    assert Message.objects.get().external_id == "3000000000000000003"
    rejected = RejectedEvent.objects.order_by("payload__id")
    assert [(r.stream, r.error) for r in rejected] == [("mentions", NO_AUTHOR.format(t.id)) for t in nobodys]
    assert rejected[0].payload["text"] == "@acme my bag is lost"


def test_a_fetched_parent_without_author_id_is_rejected_and_the_reply_goes_in_without_it(account):
    # The parent could be the brand's reply or the customer's own tweet: Perch cannot show it as either.
    parent = tweet("3000000000000000010", "", "is the app down?")
    known_parent = tweet("3000000000000000012", TOM.id, "@acme is the app down?")
    child = tweet("3000000000000000011", MAYA.id, "@acme same here", replied_to=parent.id, conversation=parent.id)
    other = tweet("3000000000000000013", MAYA.id, "@tom same", replied_to=known_parent.id, conversation=known_parent.id)
    context = {parent.id: parent, known_parent.id: known_parent}  # the page goes one by one: it needs a parent
    result = ingest.ingest_tweets(
        account=account, tweets=[child, other, tweet("3000000000000000014", "")], users=USERS, context=context
    )
    assert result.rejected == 2 and len(result.created) == 3
    assert sorted(RejectedEvent.objects.values_list("error", flat=True)) == [
        NO_AUTHOR.format(parent.id), NO_AUTHOR.format("3000000000000000014")]  # fmt: skip
    assert not Message.objects.filter(external_id=parent.id).exists()
    assert Interaction.objects.get(thread_key=child.id).messages.get().external_id == child.id
    assert not ContactIdentity.objects.filter(external_id="").exists()


def test_retweets_and_the_brands_own_tweets_create_nothing(account):
    result = ingest.ingest_tweets(
        account=account,
        tweets=[
            tweet("3000000000000000001", MAYA.id, retweeted="3000000000000000000"),
            tweet("3000000000000000002", BRAND),
        ],
        users=USERS,
    )
    assert result.skipped == 2 and Interaction.objects.count() == 0


def test_a_thread_with_two_branches_gives_two_conversations_under_one_contact(account):
    root = tweet("3000000000000000001", MAYA.id, "@acme my parcel is lost")
    ingest.ingest_tweets(account=account, tweets=[root], users=USERS)
    branch = Interaction.objects.get()
    # The brand answered the root (sent by Perch, stored as outbound in the branch).
    Message.objects.create(
        interaction=branch, x_account=account, direction="out", kind="tweet", delivery="sent",
        external_id="3000000000000000002", in_reply_to_external_id=root.id, text="@maya sorry! DM us", created_at=WHEN,
    )  # fmt: skip
    first = tweet("3000000000000000003", MAYA.id, "@acme done", replied_to="3000000000000000002", conversation=root.id)
    second = tweet(
        "3000000000000000004", MAYA.id, "@acme also the invoice", replied_to="3000000000000000002", conversation=root.id
    )
    ingest.ingest_tweets(account=account, tweets=[first, second], users=USERS)

    interactions = Interaction.objects.filter(kind=Channel.TWITTER).order_by("id")
    assert interactions.count() == 2
    assert {i.contact_id for i in interactions} == {branch.contact_id}
    assert interactions[0].thread_key == root.id and interactions[1].thread_key == second.id
    assert list(interactions[0].messages.values_list("external_id", flat=True)) == [
        root.id,
        "3000000000000000002",
        first.id,
    ]
    assert all(i.root_tweet_id == root.id for i in interactions)


def test_a_reply_to_an_unseen_parent_stores_the_fetched_parent_first(account):
    parent = tweet("3000000000000000010", TOM.id, "@acme is the app down?")
    child = tweet("3000000000000000011", MAYA.id, "@tom @acme same here", replied_to=parent.id, conversation=parent.id)
    ingest.ingest_tweets(account=account, tweets=[child], users=USERS, context={parent.id: parent})
    interaction = Interaction.objects.get()
    assert list(interaction.messages.values_list("external_id", flat=True)) == [parent.id, child.id]
    assert interaction.contact.display_name == "Maya Patel"


def test_a_page_of_100_new_customers_costs_a_flat_number_of_queries(account, django_assert_max_num_queries):
    customers = {
        str(1_910_000_000_000_000_000 + n): XUser(
            id=str(1_910_000_000_000_000_000 + n), username=f"c{n}", name=f"C {n}"
        )
        for n in range(100)
    }
    events = [dm(str(2_100_000_000_000_000_000 + n), x_id) for n, x_id in enumerate(customers)]
    # SQLite splits bulk inserts of 100 rows into a few statements; PostgreSQL needs fewer.
    with django_assert_max_num_queries(14):
        result = ingest.ingest_dm_events(account=account, events=events, users=customers)
    assert len(result.created) == 100 and Interaction.objects.count() == 100
    mentions = [tweet(str(3_100_000_000_000_000_000 + n), x_id) for n, x_id in enumerate(customers)]
    with django_assert_max_num_queries(16):
        result = ingest.ingest_tweets(account=account, tweets=mentions, users=customers)
    assert len(result.created) == 100 and Interaction.objects.filter(kind=Channel.TWITTER).count() == 100


def test_a_page_whose_batch_meets_a_concurrent_writer_is_ingested_one_by_one(account, monkeypatch):
    from django.db import IntegrityError

    def concurrent_writer(**kwargs):  # injected fault: another worker stored one of these rows first
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(dms, "ingest_customer_dms", concurrent_writer)
    events = [dm("2000000000000000001", MAYA.id), dm("2000000000000000002", TOM.id, "Hi there")]
    result = ingest.ingest_dm_events(account=account, events=events, users=USERS)
    assert len(result.created) == 2 and Interaction.objects.count() == 2


def test_an_agents_own_reading_of_the_sentiment_stands_when_angrier_messages_arrive(account):
    ingest.ingest_dm_events(account=account, events=[dm("2000000000000000301", MAYA.id, "hi")], users=USERS)
    interaction = Interaction.objects.get()
    interaction.sentiment, interaction.sentiment_overridden = 0.8, True  # the agent knows Maya is joking around
    interaction.save()
    angry = "this is the worst airline ever, I hate you 😡"
    ingest.ingest_dm_events(account=account, events=[dm("2000000000000000302", MAYA.id, angry)], users=USERS)  # one
    ingest.ingest_dm_events(  # a page of two (the batch path)
        account=account, users=USERS,
        events=[dm("2000000000000000303", MAYA.id, angry), dm("2000000000000000304", TOM.id, angry)],
    )  # fmt: skip
    interaction.refresh_from_db()
    assert interaction.messages.count() == 3 and interaction.sentiment == 0.8
    assert Interaction.objects.exclude(pk=interaction.pk).get().sentiment < -0.5  # others still get the worst


def test_a_value_the_database_refuses_costs_only_its_own_event(account, monkeypatch):
    from django.db import DataError

    identify = store.contact_identify_x_user

    def refuses_maya(**person):  # injected fault: the database refuses a value of Maya's (as PostgreSQL does)
        if person["x_user_id"] == MAYA.id:
            raise DataError("value too long for type character varying(100)")
        return identify(**person)

    def refuses_the_page(**kwargs):
        raise DataError("value too long for type character varying(100)")

    monkeypatch.setattr(store, "contacts_identify_x_users", refuses_the_page)
    monkeypatch.setattr(store, "contact_identify_x_user", refuses_maya)
    events = [dm("2000000000000000001", MAYA.id), dm("2000000000000000002", TOM.id, "Hi there")]
    result = ingest.ingest_dm_events(account=account, events=events, users=USERS)
    assert (len(result.created), result.rejected) == (1, 1)
    assert Message.objects.get().author["id"] == TOM.id
    assert RejectedEvent.objects.get().error.startswith("DataError: value too long")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL refuses these values")
def test_on_postgresql_an_event_the_parsers_did_not_clean_is_rejected_alone(account):
    too_long = dm("2000000000000000001" * 2, MAYA.id)  # 38 digits: longer than Message.external_id
    nul = dm("2000000000000000002", MAYA.id, "a NUL \x00 here")
    result = ingest.ingest_dm_events(account=account, events=[too_long, nul, dm("2000000000000000003", TOM.id)],
                                     users=USERS)  # fmt: skip
    assert (len(result.created), result.rejected) == (1, 2)
    assert {e.error.split(":")[0] for e in RejectedEvent.objects.all()} == {"DataError"}
    assert RejectedEvent.objects.get(payload__id=nul.id).payload["text"] == "a NUL  here"
