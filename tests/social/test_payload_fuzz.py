"""Hypothesis against X's payload parsers: whatever JSON-like value arrives (nested objects and lists, text with
NUL bytes and lone surrogates, huge numbers, NaN, None), the parsers raise nothing but PayloadError, and what
they return fits Perch's model fields and can be stored on PostgreSQL."""

import functools
import json
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from contacts.models import Contact, ContactIdentity
from interactions.models import Interaction, Message
from social.integrations import x_activity, x_payloads
from social.integrations.x_payloads import DMEvent, PayloadError, Tweet, XMedia, XUser
from social.models import IngestCursor, XDelivery

FUZZ = settings(max_examples=100, deadline=1000, database=None)  # a few seconds in all, on 2 busy cores

# The keys X's payloads use, so that generated objects reach deep into the parsers, and values X-like or not.
KEYS = [
    "data", "includes", "meta", "users", "media", "next_token", "newest_id", "id", "id_str", "text", "full_text",
    "event_type", "type", "sender_id", "dm_conversation_id", "created_at", "created_timestamp", "participant_ids",
    "attachments", "media_keys", "media_key", "url", "preview_image_url", "media_url_https", "width", "height",
    "username", "screen_name", "name", "profile_image_url", "profile_image_url_https", "author_id",
    "conversation_id", "in_reply_to_user_id", "referenced_tweets", "for_user_id", "direct_message_events",
    "tweet_create_events", "message_create", "target", "recipient_id", "message_data", "attachment", "user",
    "event_uuid", "filter", "user_id", "tag", "payload", "tweets", "in_reply_to_tweet_id", "date_time", "app_id",
]  # fmt: skip
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # NUL and surrogates included
x_like = st.one_of(
    st.text("0123456789", min_size=1, max_size=40),
    st.sampled_from(["MessageCreate", "message_create", "media", "photo", "replied_to", "retweeted", "quoted",
                     "dm.received", "dm.sent", "post.mention.create", "post.reply.create", "oauth.revoke",
                     "-3577827201104920132",
                     "2026-11-24T10:00:00.000Z", "Tue Nov 24 10:00:00 +0000 2026", "1764000000000", "1e20",
                     "https://pbs.twimg.com/a.jpg", "1800000000000000500-1900000000000000001", "\x00", ""]),
    st.text(alphabet="abc\x00 ", max_size=300),
)  # fmt: skip


def nested(depth: int) -> list:
    return functools.reduce(lambda inner, _: [inner], range(depth), [])


# Built, not given as values: hypothesis shows its strategies, and these have no printable form.
extremes = st.builds(pow, st.just(10), st.just(5000)) | st.builds(nested, st.just(800)) | st.just("9" * 5000)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**15, max_value=10**22),
    st.floats(allow_nan=True, allow_infinity=True), any_text, x_like, extremes,
)  # fmt: skip
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | any_text, inner, max_size=6),
    max_leaves=25,
)

_DIGITS = re.compile(r"[0-9]+")


def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def storable(value: str) -> bool:
    return "\x00" not in value and value.encode("utf-8") is not None  # encode raises on lone surrogates


def assert_id(value: str, model, name: str, optional: bool = True) -> None:
    assert (optional and value == "") or _DIGITS.fullmatch(value), value
    assert len(value) <= max_length(model, name)


def assert_user_fits(user: XUser) -> None:
    assert_id(user.id, ContactIdentity, "external_id", optional=False)
    assert len(user.username) <= max_length(ContactIdentity, "handle") and storable(user.username)
    assert len(user.name) <= min(max_length(ContactIdentity, "display_name"), max_length(Contact, "display_name"))
    assert storable(user.name)
    assert len(user.profile_image_url) <= max_length(ContactIdentity, "avatar_url") and storable(user.profile_image_url)


def assert_media_fits(media: tuple[XMedia, ...]) -> None:
    for item in media:
        assert item.media_key and storable(item.media_key) and storable(item.type) and storable(item.url)
        assert all(v is None or (isinstance(v, int) and v > 0) for v in (item.width, item.height))
    json.dumps([item.__dict__ for item in media], allow_nan=False)


def assert_time_fits(when) -> None:
    assert when is None or (isinstance(when, datetime) and when.utcoffset() is not None)
    if when is not None:
        when.astimezone(UTC)


def assert_dm_fits(event: DMEvent) -> None:
    assert_id(event.id, Message, "external_id", optional=False)
    assert_id(event.sender_id, ContactIdentity, "external_id")
    assert len(event.conversation_id) <= max_length(Interaction, "thread_key")
    assert isinstance(event.event_type, str) and storable(event.text)
    for participant in event.participant_ids:
        assert_id(participant, ContactIdentity, "external_id", optional=False)
    assert_time_fits(event.created_at)
    assert_media_fits(event.media)


def assert_tweet_fits(tweet: Tweet) -> None:
    assert_id(tweet.id, Message, "external_id", optional=False)
    assert_id(tweet.author_id, ContactIdentity, "external_id")
    assert_id(tweet.conversation_id, Interaction, "root_tweet_id")
    assert_id(tweet.replied_to_id, Message, "in_reply_to_external_id")
    for other in (tweet.in_reply_to_user_id, tweet.retweeted_id, tweet.quoted_id):
        assert_id(other, Message, "external_id")
    assert storable(tweet.text)
    assert_time_fits(tweet.created_at)
    assert_media_fits(tweet.media)


def assert_rejected_storable(rejected) -> None:
    for raw, error in rejected:
        assert len(error) <= 300
        json.dumps(x_payloads.storable_json(raw), allow_nan=False).encode("utf-8")


def test_the_limits_the_parsers_cut_to_are_the_model_fields():
    assert x_payloads.ID_MAX_LENGTH == max_length(Message, "external_id") == max_length(Interaction, "root_tweet_id")
    assert x_payloads.HANDLE_MAX_LENGTH == max_length(ContactIdentity, "handle")
    assert x_payloads.NAME_MAX_LENGTH == max_length(ContactIdentity, "display_name")
    assert x_payloads.URL_MAX_LENGTH == max_length(ContactIdentity, "avatar_url")
    assert x_payloads.TOKEN_MAX_LENGTH == max_length(IngestCursor, "resume_token")


@FUZZ
@given(json_like)
def test_v2_pages_never_raise_and_what_they_return_fits(body):
    for parse, fits in ((x_payloads.parse_dm_events, assert_dm_fits), (x_payloads.parse_tweets, assert_tweet_fits)):
        items, users, rejected = parse(body)
        for item in items:
            fits(item)
        for user in users.values():
            assert_user_fits(user)
        assert_rejected_storable(rejected)
    next_token, newest = x_payloads.parse_meta(body)
    assert len(next_token) <= x_payloads.TOKEN_MAX_LENGTH and storable(next_token)
    assert_id(newest, IngestCursor, "since_id")


@FUZZ
@given(json_like)
def test_each_v2_and_activity_api_parser_raises_only_payload_error(data):
    for parse, fits in (
        (x_payloads.parse_user, assert_user_fits),
        (x_payloads.parse_dm_event, assert_dm_fits),
        (x_payloads.parse_tweet, assert_tweet_fits),
        (x_activity.parse_dm_event, assert_dm_fits),
        (x_activity.parse_post, assert_tweet_fits),
    ):
        try:
            fits(parse(data))
        except PayloadError:
            pass


delivery_like = json_like | st.builds(
    lambda uuid, kind, key, value, includes: {
        "data": {"event_uuid": uuid, "filter": {"user_id": "1800000000000000500"}, "event_type": kind,
                 "payload": {key: value}, "includes": includes}
    },
    json_like,
    st.sampled_from(["dm.received", "dm.sent", "post.mention.create", "post.reply.create", "oauth.revoke"]) | json_like,
    st.sampled_from(["direct_message_events", "users", "id", "text", "author_id", "user_id", "referenced_tweets"]),
    json_like,
    json_like,
)  # fmt: skip


@FUZZ
@given(delivery_like)
def test_a_webhook_delivery_raises_only_payload_error_and_what_it_returns_fits(payload):
    try:
        delivery = x_activity.parse_delivery(payload)
    except PayloadError:
        json.dumps(x_payloads.storable_json(payload), allow_nan=False).encode("utf-8")  # kept as a RejectedEvent
        return
    envelope = delivery.envelope
    assert len(envelope.event_uuid) <= max_length(XDelivery, "event_uuid") and envelope.event_uuid.isprintable()
    assert len(envelope.event_type) <= max_length(XDelivery, "event_type") and storable(envelope.event_type)
    assert_id(delivery.for_user_id, ContactIdentity, "external_id")
    if delivery.dms is not None:
        for event in delivery.dms.events:
            assert_dm_fits(event)
        for user in delivery.dms.users.values():
            assert_user_fits(user)
        assert_rejected_storable(delivery.dms.rejected)
    if delivery.post is not None:
        for tweet in [delivery.post.tweet, *delivery.post.context.values()]:
            if tweet is not None:
                assert_tweet_fits(tweet)
        for user in delivery.post.users.values():
            assert_user_fits(user)
        assert_rejected_storable(delivery.post.rejected)


@FUZZ
@given(st.dictionaries(st.sampled_from(["x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"])
                       | any_text, any_text | x_like | json_like, max_size=4) | json_like)  # fmt: skip
def test_rate_limit_headers_raise_only_payload_error_and_give_plain_numbers(headers):
    try:
        limit = x_payloads.parse_rate_limit(headers)
    except PayloadError:
        return
    if limit is not None:
        assert all(v is None or (isinstance(v, int) and v >= 0) for v in (limit.limit, limit.remaining))
        assert_time_fits(limit.reset_at)
