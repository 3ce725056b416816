"""Account Activity deliveries as X sends them (X's documented shapes), signed and POSTed to Perch's webhook."""

import json

from django.test import Client

from social.models import XAccount
from social.webhooks import signature
from tests.factories import XAccountFactory

BRAND, MAYA = "1800000000000000500", "1900000000000000001"


def webhook_account(**fields) -> XAccount:
    """The brand's account in webhook mode, signing with X's documented test secret."""
    return XAccountFactory(
        **{"x_user_id": BRAND, "handle": "acme", "consumer_secret": "test", "mode": XAccount.Mode.WEBHOOK, **fields}
    )


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
        account.webhook_path, body, content_type="application/json",
        headers={"x-twitter-webhooks-signature": header},
    )  # fmt: skip
