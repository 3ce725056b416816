"""The customer simulator: act as X users (DM the brand, tweet at it, reply, retweet) and see what the brand did.

A JSON API for tests, the demo generator and `simulate_customers`, and a page for people at /x-sandbox/simulator/.
"""

import base64
import binascii
import json
from functools import wraps

from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from social.models import XAccount
from social.sandbox import services
from social.sandbox.api import create_tweet_as, send_dm_as, store_media
from social.sandbox.http import LIMITS, Problem
from social.sandbox.ids import new_id
from social.sandbox.models import (
    SandboxDMEvent,
    SandboxFault,
    SandboxLike,
    SandboxLimit,
    SandboxMedia,
    SandboxRateWindow,
    SandboxTweet,
    SandboxUser,
    SandboxWebhook,
)


def simulator_api(view):
    """JSON in, JSON out, clear 400s: `view(request, body)` returns a dict."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        body = {}
        if request.method == "POST":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return JsonResponse({"detail": "The body must be JSON."}, status=400)
            if not isinstance(body, dict):
                return JsonResponse({"detail": "The body must be a JSON object."}, status=400)
        try:
            with transaction.atomic():
                return JsonResponse(view(request, body, *args, **kwargs), json_dumps_params={"ensure_ascii": False})
        except Problem as exc:
            return JsonResponse({"detail": exc.detail}, status=exc.status)
        except (KeyError, ValueError) as exc:
            return JsonResponse({"detail": f"Missing or invalid field: {exc}"}, status=400)

    return wrapped


def _user(user_id) -> SandboxUser:
    user = SandboxUser.objects.filter(pk=str(user_id)).first()
    if user is None:
        raise Problem(400, f"There is no sandbox user {user_id}.")
    return user


def _tweet(tweet: SandboxTweet) -> dict:
    return {
        "id": tweet.pk,
        "text": tweet.text,
        "author_id": tweet.author_id,
        "conversation_id": tweet.conversation_id,
        "in_reply_to_tweet_id": tweet.replied_to_id or None,
        "retweeted_tweet_id": tweet.retweeted_id or None,
        "created_at": tweet.created_at.isoformat(),
        "media_keys": tweet.media_keys,
    }


def _dm(event: SandboxDMEvent) -> dict:
    return {
        "id": event.pk,
        "sender_id": event.sender_id,
        "recipient_id": event.recipient_id,
        "text": event.text,
        "media_keys": event.media_keys,
        "conversation_id": event.conversation_id,
        "created_at": event.created_at.isoformat(),
    }


def _person(user: SandboxUser) -> dict:
    return {"id": user.pk, "username": user.username, "name": user.name, "access_token": user.access_token}


@simulator_api
def users(request, body):
    if request.method == "GET":
        return {"users": [_person(u) for u in SandboxUser.objects.order_by("username")]}
    username = str(body["username"]).lstrip("@")
    if not username.replace("_", "").isalnum() or len(username) > 15:
        raise Problem(400, "A username has 1 to 15 letters, digits or underscores.")
    user = services.sandbox_user_ensure(
        user_id=str(body["id"]) if body.get("id") else new_id(),
        username=username,
        name=str(body.get("name") or username),
    )
    if body.get("new_token"):
        user.token_version += 1
        user.revoked = False
        user.save(update_fields=["token_version", "revoked"])
    return _person(user)


@simulator_api
def brands(request, body):
    """The X accounts Perch answers from, as sandbox users (created when missing)."""
    found = []
    for account in XAccount.objects.filter(is_active=True).order_by("name"):
        user = services.sandbox_user_ensure(user_id=account.x_user_id, username=account.handle, name=account.name)
        found.append(_person(user))
    return {"brands": found}


@simulator_api
def dm(request, body):
    sender, recipient = _user(body["sender_id"]), _user(body["recipient_id"])
    media_keys = []
    if body.get("image_base64"):
        try:
            data = base64.b64decode(body["image_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Problem(400, "image_base64 is not base64.") from exc
        media_keys.append(store_media(sender, data, "dm_image").media_key)
    event = send_dm_as(sender, recipient, text=str(body.get("text", "")), media_keys=media_keys)
    return {"dm_event_id": event.pk, "dm_conversation_id": event.conversation_id}


@simulator_api
def tweet(request, body):
    author = _user(body["author_id"])
    media_ids = []
    if body.get("image_base64"):
        media_ids.append(store_media(author, base64.b64decode(body["image_base64"]), "tweet_image").media_id)
    created = create_tweet_as(
        author,
        text=str(body.get("text", "")),
        reply_to=str(body.get("in_reply_to_tweet_id") or ""),
        quote=str(body.get("quote_tweet_id") or ""),
        media_ids=media_ids,
    )
    return _tweet(created)


@simulator_api
def retweet(request, body):
    user, original = _user(body["user_id"]), SandboxTweet.objects.filter(pk=str(body["tweet_id"])).first()
    if original is None:
        raise Problem(400, f"There is no tweet {body['tweet_id']}.")
    tweet_id = new_id()
    created = SandboxTweet.objects.create(
        id=tweet_id,
        author=user,
        text=f"RT @{original.author.username}: {original.text}"[:400],
        conversation_id=tweet_id,
        retweeted_id=original.pk,
    )
    return _tweet(created)


@simulator_api
def activity(request, body):
    """Everything between this user and anyone: DMs both ways, their tweets, replies to them, likes of theirs."""
    user = _user(request.GET["user_id"])
    dms = SandboxDMEvent.objects.filter(Q(sender=user) | Q(recipient=user)).order_by("created_at", "pk")
    own = SandboxTweet.objects.filter(author=user, deleted=False).order_by("created_at", "pk")
    replies = SandboxTweet.objects.filter(in_reply_to_user_id=user.pk, deleted=False).exclude(author=user)
    likes = SandboxLike.objects.filter(tweet__author=user).order_by("created_at")
    return {
        "dms": [_dm(e) for e in dms],
        "tweets": [_tweet(t) for t in own],
        "replies": [_tweet(t) for t in replies.order_by("created_at", "pk")],
        "likes": [
            {"tweet_id": lk.tweet_id, "user_id": lk.user_id, "created_at": lk.created_at.isoformat()} for lk in likes
        ],
    }


@simulator_api
def webhook(request, body):
    """Subscribes a user's Account Activity to a webhook URL (like X's webhook + subscription set-up)."""
    user = _user(body["user_id"])
    SandboxWebhook.objects.update_or_create(
        user=user, defaults={"url": str(body["url"]), "consumer_secret": str(body["consumer_secret"])}
    )
    return {"subscribed": user.pk, "url": str(body["url"])}


@simulator_api
def faults(request, body):
    fault = SandboxFault.objects.create(
        method=str(body.get("method", "GET")).upper(),
        path=str(body["path"]),
        status=int(body.get("status", 500)),
        skip=int(body.get("skip", 0)),
        times=int(body.get("times", 1)),
        delay_ms=int(body.get("delay_ms", 0)),
    )
    return {"fault_id": fault.pk}


@simulator_api
def limits(request, body):
    endpoint = str(body["endpoint"])
    if endpoint not in LIMITS:
        raise Problem(400, f"Unknown endpoint {endpoint}; one of: {', '.join(sorted(LIMITS))}.")
    SandboxLimit.objects.update_or_create(
        endpoint=endpoint,
        defaults={"limit": int(body["limit"]), "window_seconds": int(body.get("window_seconds", 900))},
    )
    return {"endpoint": endpoint, "limit": int(body["limit"])}


@simulator_api
def revoke(request, body):
    user = _user(body["user_id"])
    user.revoked = True
    user.save(update_fields=["revoked"])
    return {"revoked": user.pk}


@simulator_api
def reset(request, body):
    for model in (
        SandboxWebhook,
        SandboxFault,
        SandboxLimit,
        SandboxRateWindow,
        SandboxLike,
        SandboxMedia,
        SandboxDMEvent,
        SandboxTweet,
        SandboxUser,
    ):
        model.objects.all().delete()
    return {"reset": True}


def media(request, media_key):
    """Images for the simulator page (the API's media route wants an OAuth header, as X's does)."""
    found = SandboxMedia.objects.filter(media_key=media_key).first()
    if found is None:
        return JsonResponse({"detail": "No such media."}, status=404)
    return HttpResponse(bytes(found.content), content_type=f"image/{found.image_type}")


def page(request):
    return render(request, "sandbox/simulator.html")
