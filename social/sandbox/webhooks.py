"""Account Activity deliveries from the sandbox: v1.1-shaped events, signed like X signs them, POSTed to the
subscribed app from a background thread (the server answering the customer must not wait for Perch).

They go only to Perch's own webhook view on a host Perch serves: the sandbox must not be a way to make this server
POST anywhere else."""

import base64
import hashlib
import hmac
import json
import logging
import threading
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.http.request import split_domain_port, validate_host
from django.urls import Resolver404, resolve, reverse

from social import webhooks as perch_webhooks
from social.sandbox.models import SandboxDMEvent, SandboxMedia, SandboxTweet, SandboxUser, SandboxWebhook

log = logging.getLogger(__name__)
DEFAULT_PORTS = {"http": 80, "https": 443}
REFUSED = "The sandbox delivers only to Perch's own webhook URLs"


def perch_webhook_refusal(url: str, *, request=None) -> str:
    """Why the sandbox may not deliver to `url`, in words ("" when it may): an http(s) URL whose host is named in
    ALLOWED_HOSTS (a wildcard names none) and whose path resolves to Perch's webhook view. Its port must be the
    scheme's default or, given the registering request, that request's own; a delivery, made without a request,
    checks the rest again."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return f"{REFUSED}; {url!r} is not a URL."
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return f"{REFUSED}: an http or https URL with a host name and no user or password."
    host = split_domain_port(f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname)[0]
    if not host or not validate_host(host, [name for name in settings.ALLOWED_HOSTS if name != "*"]):
        return f"{REFUSED}: {parts.hostname} is not a host Perch serves (ALLOWED_HOSTS; a wildcard names none)."
    if request is not None and port != DEFAULT_PORTS[parts.scheme]:
        own_host, own_port = split_domain_port(request.get_host())
        if (host, port) != (own_host, int(own_port or DEFAULT_PORTS[request.scheme])):
            return f"{REFUSED}: port {port} of {host} is not the one Perch answered this request on."
    try:
        view = resolve(parts.path or "/").func
    except Resolver404:
        view = None
    if view is not perch_webhooks.account_activity:
        return f"{REFUSED}: {parts.path or '/'} is not Perch's webhook view."
    return ""


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
            "in_reply_to_user_id_str": tweet.in_reply_to_user_id or None,
            "display_text_range": [tweet.display_start, len(tweet.text)]}  # fmt: skip
    if tweet.retweeted_id:
        data["retweeted_status"] = {"id_str": tweet.retweeted_id}
    return {"for_user_id": for_user.pk, "tweet_create_events": [data]}


def _post(url: str, secret: str, payload: dict) -> None:
    body = json.dumps(payload).encode()
    signature = "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    try:
        headers = {"Content-Type": "application/json", "x-twitter-webhooks-signature": signature}
        requests.post(url, data=body, timeout=10, headers=headers, allow_redirects=False)
    except requests.RequestException as exc:
        log.warning("sandbox webhook delivery to %s failed: %s", url, exc)


def deliver(for_user_ids: list[str], build) -> None:
    """After commit, sends `build(user, origin)` to the webhook of each subscribed user among `for_user_ids`. The
    origin (scheme and host) is the webhook's: the built-in sandbox is served by the server it delivers to, so its
    media URLs are reachable from there."""
    for hook in SandboxWebhook.objects.select_related("user").filter(user_id__in=for_user_ids):
        if refusal := perch_webhook_refusal(hook.url):  # a row from before the check, or written some other way
            log.warning("sandbox webhook delivery to %s refused: %s", hook.url, refusal)
            continue
        url = urlsplit(hook.url)
        payload = build(hook.user, f"{url.scheme}://{url.netloc}")
        transaction.on_commit(
            lambda h=hook, p=payload: threading.Thread(
                target=_post, args=(h.url, h.consumer_secret, p), name="x-sandbox-webhook", daemon=True
            ).start()
        )
