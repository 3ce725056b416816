"""X's v2 pages as polling reads them, malformed: each bad event is kept with its error and the good ones stored.
Run on PostgreSQL too (NUL bytes and over-long values only fail there)."""

import pytest

from contacts.models import ContactIdentity
from interactions.models import Message
from social import ingest
from social.integrations.x_payloads import parse_dm_events, parse_meta, parse_rate_limit, parse_tweets
from social.models import RejectedEvent
from tests.factories import XAccountFactory

BRAND, MAYA = "1800000000000000500", "1900000000000000001"


def dm(n: int, **fields) -> dict:
    event = {"id": str(2000000000000000000 + n), "event_type": "MessageCreate", "text": "Hello", "sender_id": MAYA,
             "dm_conversation_id": f"{BRAND}-{MAYA}", "created_at": "2026-11-24T10:00:00.000Z"}  # fmt: skip
    return {**event, **fields}


BAD = [
    dm(2, id="2" * 80),
    dm(3, id="abc"),
    dm(4, id=None),
    dm(5, created_at="yesterday"),
    dm(6, created_at=5),
    dm(7, created_at="0001-01-01T00:00:00+05:00"),  # before year 1 in UTC
    dm(8, sender_id="maya"),
    dm(9, dm_conversation_id="a-b"),
    dm(10, participant_ids="x"),
    dm(11, text=["a list"]),
    dm(12, event_type=None),
    dm(13, attachments={"media_keys": 5}),
    dm(14, id="x\x00", text="a NUL \x00 in a rejected event"),
    5,
    None,
]


def test_a_page_keeps_each_bad_event_and_parses_the_good_ones():
    users = [
        {"id": MAYA, "name": "Maya\x00 " + "P" * 300, "username": "m" * 120, "profile_image_url": "javascript:1"},
        {"id": "nope", "name": "Not a user"},
        "not a user",
    ]
    body = {"data": [dm(1, text="Where\x00 is it?"), *BAD], "includes": {"users": users, "media": [5, {"type": 1}]}}
    events, parsed_users, rejected = parse_dm_events(body)
    assert [(e.id, e.text) for e in events] == [("2000000000000000001", "Where is it?")]
    assert [raw for raw, _ in rejected] == BAD and all(error.startswith("PayloadError: ") for _, error in rejected)
    maya = parsed_users[MAYA]
    assert (len(maya.name), maya.username, maya.profile_image_url) == (200, "m" * 100, "")
    assert list(parsed_users) == [MAYA]


@pytest.mark.parametrize("body", [[], "abc", None, {"data": 5}, {"data": [], "includes": []}])
def test_a_page_not_shaped_like_xs_is_one_rejection(body):
    for parse in (parse_dm_events, parse_tweets):
        assert parse(body) == ([], {}, [(body, parse(body)[2][0][1])])
        assert parse(body)[2][0][1].startswith("PayloadError: ")


def test_tweets_with_bad_references_are_kept_and_the_good_ones_parsed():
    good = {"id": "4100000000000000001", "text": "@acme help\x00", "author_id": MAYA,
            "conversation_id": "4100000000000000001",
            "referenced_tweets": [{"type": "replied_to", "id": "4100000000000000000"}]}  # fmt: skip
    bad = [
        {**good, "id": "4100000000000000002", "referenced_tweets": [{"type": "replied_to", "id": "1" * 40}]},
        {**good, "id": "4100000000000000003", "referenced_tweets": ["replied_to"]},
        {**good, "id": "4100000000000000004", "conversation_id": "-1"},
        {"id": "4100000000000000005"},
    ]
    tweets, _, rejected = parse_tweets({"data": [good, *bad]})
    assert [(t.id, t.text, t.replied_to_id) for t in tweets] == [(good["id"], "@acme help", "4100000000000000000")]
    assert [raw for raw, _ in rejected] == bad


def test_meta_and_rate_limit_headers_not_shaped_like_xs_count_as_absent():
    assert parse_meta({"meta": []}) == ("", "")
    assert parse_meta({"meta": {"next_token": "x" * 201, "newest_id": "1" * 40}}) == ("", "")
    assert parse_meta({"meta": {"next_token": "7140dibdnow9c7btw3z2", "newest_id": "42"}}) == (
        "7140dibdnow9c7btw3z2",
        "42",
    )
    headers = {"x-rate-limit-remaining": "abc", "x-rate-limit-limit": "-1", "x-rate-limit-reset": "9" * 30}
    limit = parse_rate_limit(headers)
    assert (limit.limit, limit.remaining, limit.reset_at) == (None, None, None)


@pytest.mark.django_db
def test_a_polled_page_with_bad_events_stores_the_good_ones_and_keeps_the_others():
    """What poll_stream does with a page: reject what the parser could not read, ingest the rest, one transaction."""
    account = XAccountFactory(x_user_id=BRAND, handle="acme")
    users = [{"id": MAYA, "name": "Maya\x00 " + "P" * 300, "username": "m" * 120}]
    events, parsed_users, rejected = parse_dm_events({"data": [dm(1, text="Where\x00 is it?"), *BAD],
                                                      "includes": {"users": users}})  # fmt: skip
    for raw, error in rejected:
        ingest.reject(account=account, stream="dm_events", payload=raw, error=error)
    result = ingest.ingest_dm_events(account=account, events=events, users=parsed_users)
    assert len(result.created) == 1 and Message.objects.get().text == "Where is it?"
    assert ContactIdentity.objects.get(external_id=MAYA).handle == "m" * 100
    assert RejectedEvent.objects.count() == len(BAD)
    assert RejectedEvent.objects.get(payload__text="a NUL  in a rejected event").payload["id"] == "x"


def test_where_the_text_x_shows_begins_is_read_from_display_text_range_or_a_reply_s_leading_mentions():
    from social.integrations import x_activity

    def tweet(text, **fields):
        return {"id": "1600000000000000001", "text": text, **fields}

    reply = {"referenced_tweets": [{"type": "replied_to", "id": "1600000000000000000"}]}
    body = {"data": [
        tweet("@acme thanks", display_text_range=[6, 12], **reply),  # X's word
        tweet("@acme @tom thanks", **reply),  # no range sent: after the reply's leading @mentions, as X's apps show it
        tweet("@acme help", display_text_range=[0, 10]),  # a mention that is not a reply is part of the text
        tweet("@acme help"),
        tweet("@acme thanks", display_text_range=[99, 120], **reply),  # does not fit the text: as if absent
        tweet("@acme thanks", display_text_range="6,12", **reply),
        tweet("@acme's app is down", **reply),  # a possessive is no mention
    ]}  # fmt: skip
    tweets, _, rejected = parse_tweets(body)
    assert rejected == [] and [t.display_start for t in tweets] == [6, 11, 0, 0, 6, 6, 0]
    # An X Activity API reply may name its parent only in `in_reply_to_tweet_id` (event-payloads.mdx).
    xaa = tweet("@acme @tom a longer text", in_reply_to_tweet_id="1600000000000000000")
    assert x_activity.parse_post(xaa).replied_to_id == "1600000000000000000"
    assert x_activity.parse_post(xaa).display_start == 11
    assert x_activity.parse_post({**xaa, "display_text_range": [6, 24]}).display_start == 6
