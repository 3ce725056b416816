"""Account Activity deliveries from the sandbox: v1.1-shaped events, signed like X signs them, POSTed to the
subscribed app from a background thread (the server answering the customer must not wait for Perch)."""

import base64
import hashlib
import hmac
import json
import logging
import threading
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.urls import reverse

from social.sandbox.models import SandboxDMEvent, SandboxMedia, SandboxTweet, SandboxUser, SandboxWebhook

log = logging.getLogger(__name__)


def _v1_user(user: SandboxUser) -> dict:
    return {"id": user.pk, "id_str": user.pk, "name": user.name, "screen_name": user.username}


def _v1_media(origin: str, media_key: str) -> dict:
    """A v1.1 media entity for an image in a DM; X's URL is its CDN, the sandbox's its own media route."""
    media_id = SandboxMedia.objects.filter(media_key=media_key).values_list("media_id", flat=True).first() or "0"
    return {"id": int(media_id), "id_str": media_id, "type": "photo",
            "media_url_https": origin + reverse("x_sandbox:media", args=[media_key])}  # fmt: skip


def dm_payload(for_user: SandboxUser, event: SandboxDMEvent, origin: str) -> dict:
    message_data = {"text": event.text, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}
    if event.media_keys:  # X's Account Activity carries a DM's one image as message_data.attachment
        message_data["attachment"] = {"type": "media", "media": _v1_media(origin, event.media_keys[0])}
    return {
        "for_user_id": for_user.pk,
        "direct_message_events": [{
            "type": "message_create", "id": event.pk,
            "created_timestamp": str(int(event.created_at.timestamp() * 1000)),
            "message_create": {"target": {"recipient_id": event.recipient_id}, "sender_id": event.sender_id,
                               "message_data": message_data},
        }],
        "users": {u.pk: _v1_user(u) for u in (event.sender, event.recipient)},
    }  # fmt: skip


def tweet_payload(for_user: SandboxUser, tweet: SandboxTweet, origin: str) -> dict:
    data = {"created_at": tweet.created_at.strftime("%a %b %d %H:%M:%S +0000 %Y"), "id": int(tweet.pk),
            "id_str": tweet.pk, "text": tweet.text, "user": _v1_user(tweet.author),
            "in_reply_to_status_id_str": tweet.replied_to_id or None,
            "in_reply_to_user_id_str": tweet.in_reply_to_user_id or None}  # fmt: skip
    if tweet.retweeted_id:
        data["retweeted_status"] = {"id_str": tweet.retweeted_id}
    return {"for_user_id": for_user.pk, "tweet_create_events": [data]}


def _post(url: str, secret: str, payload: dict) -> None:
    body = json.dumps(payload).encode()
    signature = "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    try:
        headers = {"Content-Type": "application/json", "x-twitter-webhooks-signature": signature}
        requests.post(url, data=body, timeout=10, headers=headers)
    except requests.RequestException as exc:
        log.warning("sandbox webhook delivery to %s failed: %s", url, exc)


def deliver(for_user_ids: list[str], build) -> None:
    """After commit, sends `build(user, origin)` to the webhook of each subscribed user among `for_user_ids`. The
    origin (scheme and host) is the webhook's: the built-in sandbox is served by the server it delivers to, so its
    media URLs are reachable from there."""
    for hook in SandboxWebhook.objects.select_related("user").filter(user_id__in=for_user_ids):
        url = urlsplit(hook.url)
        payload = build(hook.user, f"{url.scheme}://{url.netloc}")
        transaction.on_commit(
            lambda h=hook, p=payload: threading.Thread(
                target=_post, args=(h.url, h.consumer_secret, p), name="x-sandbox-webhook", daemon=True
            ).start()
        )
