"""tweepy itself against the sandbox: its v2 Client (OAuth 1.0a user context) parses our answers, and its signed
session carries the v2 media upload tweepy has no method for (as Perch's client does).

Only the host is rewritten, by a requests adapter mounted on tweepy's sessions (as Perch's client does).
"""

import pytest
import tweepy
from requests.adapters import HTTPAdapter

from tests.social.sandbox.conftest import png

pytestmark = pytest.mark.django_db(transaction=True)


class ToSandbox(HTTPAdapter):
    def __init__(self, host: str, base: str):
        super().__init__()
        self.host, self.base = host, base

    def send(self, request, **kwargs):
        request.url = self.base + request.url[len(self.host) :]
        return super().send(request, **kwargs)


def mount(session, base: str) -> None:
    for host in ("https://api.twitter.com", "https://upload.twitter.com"):
        session.mount(host, ToSandbox(host, base))


def client_for(user: dict, base: str) -> tweepy.Client:
    client = tweepy.Client(
        consumer_key="sandbox-key",
        consumer_secret="sandbox-secret",
        access_token=user["access_token"],
        access_token_secret="sandbox-token-secret",
    )
    mount(client.session, base)
    return client


def upload_v2(client: tweepy.Client, image: bytes, category: str) -> dict:
    """POST /2/media/upload on the client's own session, signed with its OAuth 1.0a user context."""
    auth = tweepy.OAuth1UserHandler(
        client.consumer_key, client.consumer_secret, client.access_token, client.access_token_secret
    ).apply_auth()
    response = client.session.post(
        "https://api.twitter.com/2/media/upload", auth=auth, data={"media_category": category},
        files={"media": ("label.png", image, "image/png")}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_tweepy_reads_and_writes_through_the_sandbox(simulator):
    brand, maya = simulator.user("acmecare", "Acme Care"), simulator.user("maya", "Maya Patel")
    as_brand, as_maya = client_for(brand, simulator.base), client_for(maya, simulator.base)

    me = as_brand.get_me(user_fields=["created_at", "profile_image_url"])
    assert (me.data.id, me.data.username) == (int(brand["id"]), "acmecare")
    assert me.data.created_at is not None and me.data.profile_image_url.startswith("http")

    # A customer tweets at the brand and DMs it a photo; the brand reads both with expansions.
    tweet = as_maya.create_tweet(text="@acmecare my bag never arrived 😡")
    assert tweet.data["text"] == "@acmecare my bag never arrived 😡" and int(tweet.data["id"]) > 2**53
    simulator.dm(maya, brand["id"], "Here is the tag", image=png())

    mentions = as_brand.get_users_mentions(
        brand["id"],
        tweet_fields=["author_id", "conversation_id", "created_at", "referenced_tweets", "entities"],
        expansions=["author_id"],
        user_fields=["username"],
        max_results=5,
        user_auth=True,
    )
    assert [t.id for t in mentions.data] == [int(tweet.data["id"])]
    assert mentions.data[0].author_id == int(maya["id"]) and mentions.data[0].created_at is not None
    assert mentions.includes["users"][0].username == "maya"
    assert mentions.meta["result_count"] == 1 and mentions.meta["newest_id"] == tweet.data["id"]

    events = as_brand.get_direct_message_events(
        event_types="MessageCreate",
        dm_event_fields=["id", "text", "event_type", "dm_conversation_id", "created_at", "sender_id", "attachments"],
        expansions=["sender_id", "attachments.media_keys"],
        user_fields=["username"],
        media_fields=["media_key", "type", "url", "width", "height"],
    )
    event = events.data[0]
    assert (event.event_type, event.text, event.sender_id) == ("MessageCreate", "Here is the tag", int(maya["id"]))
    assert event.attachments["media_keys"] == [events.includes["media"][0].media_key]
    assert events.includes["media"][0].type == "photo" and events.includes["media"][0].width == 80
    assert events.includes["users"][0].username == "maya"
    assert as_maya.get_direct_message_events().meta == {"result_count": 1}

    # The brand answers: likes the tweet, replies, DMs back with an uploaded image.
    assert as_brand.like(tweet.data["id"]).data == {"liked": True}
    reply = as_brand.create_tweet(text="@maya so sorry! DM us the tag?", in_reply_to_tweet_id=tweet.data["id"])
    media = upload_v2(as_brand, png(), "dm_image")
    assert media["image"] == {"image_type": "image/png", "w": 80, "h": 32}
    dm = as_brand.create_direct_message(participant_id=maya["id"], text="Found it!", media_id=media["id"])
    low, high = sorted([brand["id"], maya["id"]], key=int)
    assert dm.data["dm_conversation_id"] == f"{low}-{high}"

    conversation = as_maya.get_direct_message_events(participant_id=brand["id"], dm_event_fields=["sender_id"])
    assert [(e.text, e.sender_id) for e in conversation.data] == [
        ("Found it!", int(brand["id"])),
        ("Here is the tag", int(maya["id"])),
    ]
    activity = simulator.activity(maya)
    assert [r["id"] for r in activity["replies"]] == [reply.data["id"]]
    assert [lk["tweet_id"] for lk in activity["likes"]] == [tweet.data["id"]]


def test_tweepy_raises_its_errors_for_ours(simulator):
    maya = simulator.user("maya", "Maya Patel")
    as_maya = client_for(maya, simulator.base)
    as_maya.create_tweet(text="same words")
    with pytest.raises(tweepy.Forbidden, match="duplicate content"):
        as_maya.create_tweet(text="same words")
    with pytest.raises(tweepy.BadRequest, match="max_results"):
        as_maya.get_users_mentions(maya["id"], max_results=500, user_auth=True)
    simulator.fault(method="GET", path="/2/dm_events", status=429)
    with pytest.raises(tweepy.TooManyRequests) as limited:
        as_maya.get_direct_message_events()
    assert int(limited.value.response.headers["x-rate-limit-remaining"]) == 0
    simulator.revoke(maya["id"])
    with pytest.raises(tweepy.Unauthorized):
        as_maya.get_me()
