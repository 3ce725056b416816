"""X Activity API deliveries from the sandbox: each event goes to every webhook with a matching subscription, in
X's envelope (`{"data": {"event_uuid", "filter", "event_type", "tag", "payload", "includes"}}`), with the payloads
x-api/activity/event-payloads.mdx shows, signed like X signs them (`x-twitter-webhooks-signature`, the app's
consumer secret), and POSTed from a background thread after commit (the server answering the customer must not
wait for Perch). Every delivery is kept in a log (SandboxDelivery) with how it went, for replay.

`deliver(user_ids, event_type, build_payload)` is the one way sandbox code emits an event. The sandbox delivers
only to Perch's own webhook view on a host Perch serves, and checks the same when a webhook is registered: it must
not be a way to make this server GET or POST anywhere else."""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.db import connection, transaction
from django.http import QueryDict
from django.http.request import split_domain_port, validate_host
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from social import webhooks as perch_webhooks
from social.sandbox.models import (
    SandboxDelivery,
    SandboxDMEvent,
    SandboxMedia,
    SandboxSubscription,
    SandboxTweet,
    SandboxUser,
)
from social.sandbox.wire import TWEET_EXPANSIONS, Renderer, iso

log = logging.getLogger(__name__)
DEFAULT_PORTS = {"http": 80, "https": 443}
REFUSED = "The sandbox delivers only to Perch's own webhook URLs"
TIMEOUT_SECONDS = 10  # X waits this long for an answer to a delivery or a CRC check
SANDBOX_PATH = "/x-sandbox"
# Payload builders: (the subscription's user, the webhook's origin) → payload, or (payload, includes).
Build = Callable[[SandboxUser, str], "dict | tuple[dict, dict | None]"]


# --- Where the sandbox may send anything ----------------------------------------------------------------------
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


def sign(secret: str, payload: bytes) -> str:
    """X's signature: "sha256=" + base64(HMAC-SHA256(consumer secret, payload)); the same answers a CRC."""
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), payload, hashlib.sha256).digest()).decode()


def crc_refusal(url: str, consumer_secret: str) -> str:
    """X's challenge-response check of a webhook URL: a GET with a fresh `crc_token`, answered with its HMAC under
    the app's consumer secret. Why it failed, in words ("" when it passed)."""
    if refusal := perch_webhook_refusal(url):
        return refusal
    token = secrets.token_urlsafe(32)
    try:
        answer = requests.get(url, params={"crc_token": token}, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        return f"the webhook could not be reached for the CRC check ({exc.__class__.__name__})"
    if answer.status_code != 200:
        return f"the webhook answered the CRC check with {answer.status_code}"
    try:
        given = answer.json().get("response_token")
    except (ValueError, AttributeError):
        given = None
    if not isinstance(given, str):
        return "the webhook's answer to the CRC check is not JSON with a response_token"
    if not constant_time_compare(given, sign(consumer_secret, token.encode())):
        return "the webhook's response_token is not the HMAC-SHA256 of the crc_token under the app's consumer secret"
    return ""


# --- Payloads, as event-payloads.mdx shows them ----------------------------------------------------------------
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _renderer(origin: str, *, expansions: str) -> Renderer:
    """X's v2 rendering of posts and users with the fields XAA sends (a request of the sandbox's own API, made up)."""
    query = urlencode({
        "expansions": expansions,
        "tweet.fields": "attachments,author_id,conversation_id,created_at,display_text_range,edit_history_tweet_ids,"
                        "entities,in_reply_to_user_id,lang,possibly_sensitive,referenced_tweets",
        "user.fields": "created_at,description,profile_image_url,protected,verified",
        "media.fields": "height,media_key,type,url,width",
    })  # fmt: skip
    return Renderer(SimpleNamespace(GET=QueryDict(query)), origin + SANDBOX_PATH, expansions=TWEET_EXPANSIONS)


def _v1_media(origin: str, media_key: str) -> dict:
    """A v1.1 media entity for an image in a DM; X's URL is its CDN, the sandbox's its own media route."""
    media_id = SandboxMedia.objects.filter(media_key=media_key).values_list("media_id", flat=True).first() or "0"
    return {"id": int(media_id), "id_str": media_id, "type": "photo",
            "media_url_https": origin + reverse("x_sandbox:media", args=[media_key])}  # fmt: skip


def dm_payload(event: SandboxDMEvent, origin: str) -> dict:
    """dm.received / dm.sent: the legacy `direct_message_events` and a `users` map of `{"data": user}`."""
    message_data = {"text": event.text, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}
    if event.media_keys:  # the legacy DM event carries its one image as message_data.attachment
        message_data["attachment"] = {"type": "media", "media": _v1_media(origin, event.media_keys[0])}
    renderer = _renderer(origin, expansions="")
    return {
        "direct_message_events": [{
            "type": "message_create", "id": event.pk,
            "created_timestamp": str(int(event.created_at.timestamp() * 1000)),
            "message_create": {"target": {"recipient_id": event.recipient_id}, "sender_id": event.sender_id,
                               "message_data": message_data},
        }],
        "users": {u.pk: {"data": renderer.user(u)} for u in (event.sender, event.recipient)},
    }  # fmt: skip


def _as_xaa_post(data: dict, tweet: SandboxTweet) -> dict:
    """A v2 post with what XAA adds to it (event-payloads.mdx): metrics with their `_str` twins (a new post has
    none), edit controls, reply settings, paid partnership, and `start_str` / `end_str` beside mention offsets."""
    metrics = ("retweet", "reply", "like", "quote", "bookmark", "impression")
    data["public_metrics"] = {
        key: value for m in metrics for key, value in ((f"{m}_count", 0), (f"{m}_count_str", "0"))
    }
    data["edit_controls"] = {"edits_remaining": 5, "edits_remaining_str": "5", "is_edit_eligible": True,
                             "editable_until": iso(tweet.created_at + timedelta(hours=1))}  # fmt: skip
    data["reply_settings"] = "everyone"
    data["paid_partnership"] = False
    for mention in data.get("entities", {}).get("mentions", []):
        mention["start_str"], mention["end_str"] = str(mention["start"]), str(mention["end"])
    return data


def post_payload(tweet: SandboxTweet, origin: str, *, event_type: str) -> tuple[dict, dict]:
    """post.*: the post as a v2 object; `includes` as X's examples carry them — the author and the users it
    names, for a mention the post itself, for a reply the post it answers."""
    expansions = "author_id,entities.mentions.username,in_reply_to_user_id,attachments.media_keys"
    if event_type != "post.mention.create":
        expansions += ",referenced_tweets.id"
    renderer = _renderer(origin, expansions=expansions)
    payload = _as_xaa_post(renderer.tweet(tweet), tweet)
    if tweet.replied_to_id:
        payload["in_reply_to_tweet_id"] = tweet.replied_to_id
    includes = renderer.includes()
    if event_type == "post.mention.create":
        includes["tweets"] = [renderer.tweet(tweet, expand=False)]
    related = SandboxTweet.objects.in_bulk([t["id"] for t in includes.get("tweets", [])])
    includes["tweets"] = [_as_xaa_post(t, related[t["id"]]) for t in includes.get("tweets", []) if t["id"] in related]
    if not includes["tweets"]:
        del includes["tweets"]
    return payload, includes


def revoke_payload(user: SandboxUser) -> dict:
    """oauth.revoke: when and who; `app_id`, the app whose access was revoked, is the subscription's (deliver)."""
    return {"date_time": timezone.now().isoformat(timespec="seconds"), "user_id": user.pk}


# --- Delivering ---------------------------------------------------------------------------------------------------
def new_event_uuid() -> str:
    """X's event_uuid: a signed 64-bit number as a string (its examples include negative ones)."""
    return str(secrets.randbits(64) - 2**63)


def deliver(user_ids, event_type: str, build_payload: Build) -> list[SandboxDelivery]:
    """Emits one event: for each webhook with a subscription to `event_type` for one of `user_ids` (oauth.revoke:
    also app-wide ones), `build_payload(user, origin)` is wrapped in X's envelope, logged, and POSTed after
    commit. `build_payload` returns the payload, or `(payload, includes)`; the origin is the webhook's (the built-in
    sandbox is served by the server it delivers to, so its media URLs are reachable from there). A user who revoked
    the app gets nothing more but the oauth.revoke itself."""
    users = SandboxUser.objects.in_bulk([str(u) for u in user_ids])
    subscriptions = SandboxSubscription.objects.select_related("webhook", "app", "user").filter(
        event_type=event_type, webhook__isnull=False, user_id__in=list(users)
    )
    if event_type == "oauth.revoke":
        subscriptions = subscriptions | SandboxSubscription.objects.filter(
            event_type=event_type, webhook__isnull=False, user__isnull=True
        )
    made, seen = [], set()
    for subscription in subscriptions.order_by("created_at", "pk"):
        for user in [subscription.user] if subscription.user else users.values():
            if (subscription.webhook_id, user.pk) in seen or (user.revoked and event_type != "oauth.revoke"):
                continue
            seen.add((subscription.webhook_id, user.pk))
            made.append(_log(subscription, user, event_type, build_payload))
    return made


def _log(subscription: SandboxSubscription, user: SandboxUser, event_type: str, build: Build) -> SandboxDelivery:
    hook = subscription.webhook
    built = build(user, _origin(hook.url))
    payload, includes = built if isinstance(built, tuple) else (built, None)
    if event_type == "oauth.revoke":
        payload = {**payload, "app_id": subscription.app_id}  # the app whose access was revoked
    data = {
        "event_uuid": new_event_uuid(),
        # X's oauth.revoke example carries an empty filter: the user is in the payload.
        "filter": {} if event_type == "oauth.revoke" else {"user_id": user.pk},
        "event_type": event_type,
    }
    if subscription.tag:
        data["tag"] = subscription.tag
    data["payload"] = payload
    if includes is not None:
        data["includes"] = includes
    delivery = SandboxDelivery(
        event_uuid=data["event_uuid"], webhook=hook, subscription=subscription, event_type=event_type,
        envelope={"data": data},
    )  # fmt: skip
    if refusal := perch_webhook_refusal(hook.url):  # a row from before the check, or written some other way
        delivery.state, delivery.error = SandboxDelivery.State.FAILED, refusal[:300]
    elif not hook.valid:
        delivery.state = SandboxDelivery.State.FAILED
        delivery.error = "not sent: the webhook is invalid (its CRC check failed) until PUT /2/webhooks/{id} passes"
    delivery.save()
    if delivery.state == SandboxDelivery.State.PENDING:
        transaction.on_commit(
            lambda: threading.Thread(
                target=_send_in_background, args=(delivery.pk,), name="x-sandbox-webhook", daemon=True
            ).start()
        )
    return delivery


def send(delivery: SandboxDelivery) -> SandboxDelivery:
    """POSTs a logged delivery to its webhook, signed with the app's consumer secret, and records how it went:
    delivered on a 2xx, failed with Perch's answer or the reason it could not be reached."""
    hook = delivery.webhook
    body = json.dumps(delivery.envelope).encode()
    headers = {"Content-Type": "application/json", "x-twitter-webhooks-signature": sign(hook.app.consumer_secret, body)}
    state, status, error = SandboxDelivery.State.FAILED, None, ""
    if refusal := perch_webhook_refusal(hook.url):
        error = refusal
    else:
        try:
            answer = requests.post(hook.url, data=body, timeout=TIMEOUT_SECONDS, headers=headers, allow_redirects=False)
        except requests.RequestException as exc:
            error = f"not delivered: {exc.__class__.__name__}: {exc}"
        else:
            status = answer.status_code
            if 200 <= status < 300:
                state = SandboxDelivery.State.DELIVERED
            else:
                error = f"the webhook answered {status}: {answer.text.strip()[:200]}"
    SandboxDelivery.objects.filter(pk=delivery.pk).update(
        state=state, status_code=status, error=error[:300], attempted_at=timezone.now()
    )
    if error:
        log.warning("sandbox webhook delivery %s to %s failed: %s", delivery.event_uuid, hook.url, error)
    delivery.refresh_from_db()
    return delivery


def _send_in_background(delivery_id: int) -> None:
    try:
        send(SandboxDelivery.objects.select_related("webhook__app").get(pk=delivery_id))
    except Exception:  # the log keeps it pending; a thread's exception would be lost anyway
        log.exception("sandbox webhook delivery %s could not be sent", delivery_id)
    finally:
        connection.close()  # the thread's own connection, or the test database could not be dropped


# --- What the sandbox's X emits ---------------------------------------------------------------------------------
def dm_created(event: SandboxDMEvent) -> None:
    """A DM: dm.sent for its sender (the brand from Perch or from its own app), dm.received for its recipient."""
    deliver([event.sender_id], "dm.sent", lambda user, origin: dm_payload(event, origin))
    deliver([event.recipient_id], "dm.received", lambda user, origin: dm_payload(event, origin))


def tweet_created(tweet: SandboxTweet, *, mentioned: list[str]) -> None:
    """A post: post.create for its author; post.mention.create for each user it @mentions explicitly (`mentioned`,
    not the mentions X puts in front of a reply); post.reply.create, post.quote.create or post.repost.create for the
    author of the post it answers, quotes or reposts (direct ones only: X fires nothing for replies to replies)."""

    def build(event_type):
        return lambda user, origin: post_payload(tweet, origin, event_type=event_type)

    deliver([tweet.author_id], "post.create", build("post.create"))
    deliver([pk for pk in mentioned if pk != tweet.author_id], "post.mention.create", build("post.mention.create"))
    for parent_id, kind in ((tweet.replied_to_id, "reply"), (tweet.quoted_id, "quote"), (tweet.retweeted_id, "repost")):
        parent = SandboxTweet.objects.filter(pk=parent_id).first() if parent_id else None
        if parent is not None and parent.author_id != tweet.author_id:
            deliver([parent.author_id], f"post.{kind}.create", build(f"post.{kind}.create"))


def user_revoked(user: SandboxUser) -> None:
    """oauth.revoke for the apps subscribed to it."""
    deliver([user.pk], "oauth.revoke", lambda for_user, origin: revoke_payload(user))
