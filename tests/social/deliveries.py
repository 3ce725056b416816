"""X Activity API deliveries as X sends them (X's documented envelope and payloads), signed and POSTed to Perch's
webhook."""

import json

from django.test import Client

from social.models import XAccount
from social.webhooks import signature
from tests.factories import XAccountFactory

BRAND, MAYA = "1800000000000000500", "1900000000000000001"
USERS = {
    MAYA: {"id": MAYA, "name": "Maya Patel", "username": "maya", "profile_image_url": "https://pbs.twimg.com/m.jpg"},
    BRAND: {"id": BRAND, "name": "Acme", "username": "acme"},
}


def webhook_account(**fields) -> XAccount:
    """The brand's account in webhook mode, signing with X's documented test secret."""
    return XAccountFactory(
        **{"x_user_id": BRAND, "handle": "acme", "consumer_secret": "test", "mode": XAccount.Mode.WEBHOOK, **fields}
    )


def envelope(event_type: str, payload: dict, *, event_uuid: str, includes=None, user_id=BRAND, tag="") -> dict:
    """X's envelope: {"data": {"event_uuid", "filter", "event_type", "tag", "payload", "includes"}}."""
    data = {"event_uuid": event_uuid, "filter": {"user_id": user_id} if user_id else {}, "event_type": event_type}
    if tag:
        data["tag"] = tag
    data["payload"] = payload
    if includes is not None:
        data["includes"] = includes
    return {"data": data}


def dm_event(event_id: str, text: str, *, sender=MAYA, recipient=BRAND) -> dict:
    """A legacy DM event, as dm.received / dm.sent payloads carry them."""
    return {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": "1764000000000",
        "message_create": {
            "target": {"recipient_id": recipient},
            "sender_id": sender,
            "message_data": {
                "text": text,
                "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
            },
        },
    }


def dm_delivery(event_id="4000000000000000001", text="Where is my parcel?", *, event_type="dm.received",
                event_uuid=None, sender=MAYA, recipient=BRAND):  # fmt: skip
    """A dm.received (or dm.sent) delivery of one DM. The same event gives the same event_uuid (X's retry)."""
    payload = {
        "direct_message_events": [dm_event(event_id, text, sender=sender, recipient=recipient)],
        "users": {user_id: {"data": user} for user_id, user in USERS.items()},
    }
    return envelope(event_type, payload, event_uuid=event_uuid or f"-{event_id[-18:]}", tag="perch")


def post_json(tweet_id: str, text: str, *, author=MAYA, **fields) -> dict:
    """A v2 post as XAA's post.* payloads carry it."""
    return {"id": tweet_id, "text": text, "author_id": author, "created_at": "2026-11-24T10:00:00.000Z",
            "conversation_id": fields.pop("conversation_id", tweet_id), "edit_history_tweet_ids": [tweet_id],
            **fields}  # fmt: skip


def post_delivery(tweet: dict, *, event_type="post.mention.create", users=None, tweets=None, event_uuid=None):
    """A post.mention.create (or post.reply.create) delivery of one post, its author in includes.users."""
    includes = {"users": users if users is not None else [USERS[MAYA], USERS[BRAND]]}
    if tweets is not None:
        includes["tweets"] = tweets
    uuid = event_uuid or f"{str(tweet.get('id'))[-18:]}"
    return envelope(event_type, tweet, event_uuid=uuid, includes=includes)


def post(account, payload, *, secret="test", tamper=False):
    body = json.dumps(payload).encode()
    header = signature(secret, body)
    if tamper:
        body = body.replace(b"parcel", b"refund")
    return Client().post(
        account.webhook_path, body, content_type="application/json",
        headers={"x-twitter-webhooks-signature": header},
    )  # fmt: skip
