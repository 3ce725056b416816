"""The customer simulator: act as X users (DM the brand, tweet at it, reply, retweet) and see what the brand did.

A JSON API for tests, the demo generator and `simulate_customers`, and a page for people at /x-sandbox/simulator/.
It is not part of X's API: no Authorization header, no rate limits, plain `{"detail": ...}` errors. On a DEBUG
checkout anyone may use it; otherwise only a staff session (CSRF-checked) or the sandbox's token, and no answer
shows an access token (see auth.simulator_access).
"""

import base64
import binascii
import json
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from social.models import XAccount
from social.sandbox import services
from social.sandbox.auth import SIMULATOR_REFUSED, simulator_access
from social.sandbox.errors import Problem
from social.sandbox.limits import LIMITS
from social.sandbox.models import (
    SandboxApp,
    SandboxDMEvent,
    SandboxFault,
    SandboxLike,
    SandboxLimit,
    SandboxMedia,
    SandboxTweet,
    SandboxUser,
)
from social.sandbox.wire import display_text_range, iso, references

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def access_refusal(request) -> str:
    """Why the request may not use the simulator, in words ("" when it may)."""
    access = simulator_access(request)
    if not access:
        return SIMULATOR_REFUSED
    if access == "staff" and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        # Django's own CSRF check, as for any view: the simulator is exempt only for the token and the DEBUG demo.
        if CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}) is not None:
            return "CSRF check failed: send the X-CSRFToken header the simulator page carries (reload the page)."
    return ""


# A DM with an image as big as X takes (5 MB), in base64, and the rest of the JSON. Django's own cap for a request
# body (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB) would answer a phone photo X accepts with a bare "400" page.
MAX_BODY_BYTES = 4 * (services.MAX_MEDIA_BYTES + 2) // 3 + 64 * 1024


def _body_bytes(request) -> bytes:
    """The request's body, at most MAX_BODY_BYTES; a bigger one is refused as X refuses an image over 5 MB."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise Problem(400, "The Content-Length header is not a number.") from exc
    if declared > MAX_BODY_BYTES:
        raise Problem(400, services.TOO_BIG)
    data = request.read(MAX_BODY_BYTES + 1)  # read(), not .body: .body applies Django's 2.5 MB cap
    if len(data) > MAX_BODY_BYTES:
        raise Problem(400, services.TOO_BIG)
    return data


def simulator_api(*allowed: str):
    """JSON in, JSON out, clear 400s: `view(request, body)` returns a dict (or raises Problem)."""

    def decorate(view):
        @csrf_exempt  # checked in access_refusal for staff sessions; scripts send the sandbox's token, no cookie
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if refusal := access_refusal(request):
                return JsonResponse({"detail": refusal}, status=403)
            if request.method not in allowed:
                response = JsonResponse({"detail": f"Use {' or '.join(allowed)} here."}, status=405)
                response["Allow"] = ", ".join(allowed)
                return response
            body = {}
            if request.method == "POST":
                if request.content_type != "application/json":  # a cross-site page cannot send it without asking
                    return JsonResponse(
                        {"detail": "Send the body as JSON (Content-Type: application/json)."}, status=415
                    )
                try:
                    body = json.loads(_body_bytes(request) or b"{}")
                except Problem as exc:
                    return JsonResponse({"detail": exc.detail}, status=exc.status)
                except ValueError:
                    return JsonResponse({"detail": "The body must be JSON."}, status=400)
                if not isinstance(body, dict):
                    return JsonResponse({"detail": "The body must be a JSON object."}, status=400)
            try:
                with transaction.atomic():
                    result = view(request, body, *args, **kwargs)
            except Problem as exc:
                return JsonResponse({"detail": exc.detail}, status=exc.status)
            except KeyError as exc:
                return JsonResponse({"detail": f"The field {exc} is required."}, status=400)
            except (TypeError, ValueError) as exc:
                return JsonResponse({"detail": f"A field has an invalid value: {exc}"}, status=400)
            return JsonResponse(result, json_dumps_params={"ensure_ascii": False})

        return wrapped

    return decorate


def _user(user_id) -> SandboxUser:
    user = SandboxUser.objects.filter(pk=str(user_id)).first()
    if user is None:
        raise Problem(400, f"There is no sandbox user {user_id}.")
    return user


def _image(body: dict) -> bytes | None:
    if not body.get("image_base64"):
        return None
    try:
        return base64.b64decode(str(body["image_base64"]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Problem(400, "image_base64 is not valid base64.") from exc


def tweet_json(tweet: SandboxTweet) -> dict:
    """A tweet in X's v2 shape with every field the sandbox knows, plus `in_reply_to_tweet_id`,
    `retweeted_tweet_id` and `media_keys` for convenience."""
    data = {
        "id": tweet.pk,
        "text": tweet.text,
        "edit_history_tweet_ids": [tweet.pk],
        "author_id": tweet.author_id,
        "conversation_id": tweet.conversation_id,
        "created_at": iso(tweet.created_at),
        "display_text_range": display_text_range(tweet),
    }
    if tweet.in_reply_to_user_id:
        data["in_reply_to_user_id"] = tweet.in_reply_to_user_id
    if refs := references(tweet):
        data["referenced_tweets"] = refs
    if tweet.media_keys:
        data["attachments"] = {"media_keys": list(tweet.media_keys)}
    data["in_reply_to_tweet_id"] = tweet.replied_to_id or None
    data["retweeted_tweet_id"] = tweet.retweeted_id or None
    data["media_keys"] = list(tweet.media_keys)
    return data


def dm_json(event: SandboxDMEvent) -> dict:
    return {
        "id": event.pk,
        "event_type": "MessageCreate",
        "text": event.text,
        "sender_id": event.sender_id,
        "recipient_id": event.recipient_id,
        "dm_conversation_id": event.conversation_id,
        "conversation_id": event.conversation_id,
        "created_at": iso(event.created_at),
        "media_keys": list(event.media_keys),
    }


def person_json(user: SandboxUser) -> dict:
    """A user; with the access token only on a DEBUG checkout, whose tests and demo act as users through X's API."""
    person = {
        "id": user.pk, "username": user.username, "name": user.name, "tier": user.tier, "accepts_dms": user.accepts_dms,
    }  # fmt: skip
    if settings.X_SANDBOX_OPEN:
        person["access_token"] = user.access_token
    return person


# --- People ---------------------------------------------------------------------------------------------
@simulator_api("GET", "POST")
def users(request, body):
    """GET: every sandbox user. POST {"username", "name", "id"?, "new_token"?, "tier"?, "accepts_dms"?}: create or
    get one; `tier` (pay_per_use, basic_pro, enterprise) is the access of the app acting as the user, `accepts_dms`
    false makes X refuse DMs to them."""
    if request.method == "GET":
        return {"users": [person_json(u) for u in SandboxUser.objects.order_by("username")]}
    username = str(body["username"]).strip().lstrip("@")
    if not username or len(username) > 15 or not set(username) <= USERNAME_CHARS:
        raise Problem(400, "A username has 1 to 15 letters, digits or underscores.")
    name = str(body.get("name") or username).strip()[:50]
    if body.get("id"):
        user_id = str(body["id"])
        if not user_id.isdigit():
            raise Problem(400, "An X user id is a string of digits.")
        user = services.sandbox_user_ensure(user_id=user_id, username=username, name=name)
    else:
        user = services.sandbox_user_get_or_create(username=username, name=name)
    if body.get("new_token"):
        user = services.sandbox_token_reissue(user=user)
    if "tier" in body or "accepts_dms" in body:
        user = services.sandbox_user_settings(
            user=user, tier=body.get("tier", user.tier), accepts_dms=body.get("accepts_dms", user.accepts_dms)
        )
    return person_json(user)


@simulator_api("GET")
def brands(request, body):
    """The X accounts Perch answers from (read from Perch's XAccount), as sandbox users (created when missing)."""
    found = []
    for account in XAccount.objects.filter(is_active=True).order_by("name"):
        user = SandboxUser.objects.filter(pk=account.x_user_id).first()
        if user is None:
            user = services.sandbox_user_ensure(user_id=account.x_user_id, username=account.handle, name=account.name)
        found.append(person_json(user))
    return {"brands": found}


@simulator_api("POST")
def revoke(request, body):
    """{"user_id"}: the user's tokens answer 401 from now on."""
    user = _user(body["user_id"])
    services.sandbox_user_revoke(user=user)
    return {"revoked": user.pk}


# --- Acting as a customer -------------------------------------------------------------------------------
@simulator_api("POST")
def dm(request, body):
    """{"sender_id", "recipient_id", "text", "image_base64"?} → {"dm_event_id", "dm_conversation_id"}."""
    sender, recipient = _user(body["sender_id"]), _user(body["recipient_id"])
    media_ids = []
    if (image := _image(body)) is not None:
        media_ids.append(services.sandbox_media_store(owner=sender, data=image, category="dm_image").media_id)
    event = services.sandbox_dm_send(
        sender=sender, recipient=recipient, text=str(body.get("text") or ""), media_ids=media_ids
    )
    return {"dm_event_id": event.pk, "dm_conversation_id": event.conversation_id}


@simulator_api("POST")
def tweet(request, body):
    """{"author_id", "text", "in_reply_to_tweet_id"?, "quote_tweet_id"?, "image_base64"?} → the tweet."""
    author = _user(body["author_id"])
    media_ids = []
    if (image := _image(body)) is not None:
        media_ids.append(services.sandbox_media_store(owner=author, data=image, category="tweet_image").media_id)
    created = services.sandbox_tweet_create(
        author=author,
        text=str(body.get("text") or ""),
        reply_to=str(body.get("in_reply_to_tweet_id") or ""),
        quote=str(body.get("quote_tweet_id") or ""),
        media_ids=media_ids,
    )
    return tweet_json(created)


@simulator_api("POST")
def retweet(request, body):
    """{"user_id", "tweet_id"} → the retweet ("RT @author: ...", referenced_tweets type retweeted)."""
    return tweet_json(services.sandbox_retweet_create(user=_user(body["user_id"]), tweet_id=str(body["tweet_id"])))


@simulator_api("GET")
def activity(request, body):
    """?user_id=: everything between this user and anyone — DMs both ways, the user's tweets, replies to them
    by others, and likes of the user's tweets (so a person or a test sees the brand's replies and likes)."""
    user = _user(request.GET["user_id"])
    dms = SandboxDMEvent.objects.filter(Q(sender=user) | Q(recipient=user)).order_by("created_at", "pk")
    own = SandboxTweet.objects.filter(author=user, deleted=False).order_by("created_at", "pk")
    replies = SandboxTweet.objects.filter(in_reply_to_user_id=user.pk, deleted=False).exclude(author=user)
    likes = SandboxLike.objects.filter(tweet__author=user).order_by("created_at", "pk")
    return {
        "dms": [dm_json(e) for e in dms],
        "tweets": [tweet_json(t) for t in own],
        "replies": [tweet_json(t) for t in replies.order_by("created_at", "pk")],
        "likes": [{"tweet_id": lk.tweet_id, "user_id": lk.user_id, "created_at": iso(lk.created_at)} for lk in likes],
    }


# --- Controlling the sandbox ----------------------------------------------------------------------------
@simulator_api("GET", "POST")
def apps(request, body):
    """POST {"consumer_key", "consumer_secret", "bearer_token"?}: the developer app with these keys, as X's
    Developer Console issues them (its consumer secret answers CRC checks and signs deliveries), created or updated;
    its Bearer token is shown on a DEBUG checkout only. GET: the apps, their webhooks and subscriptions."""
    if request.method == "GET":
        return {"apps": [_app_json(app) for app in SandboxApp.objects.order_by("created_at", "pk")]}
    key, secret = str(body["consumer_key"]).strip(), str(body["consumer_secret"])
    if not key or not secret:
        raise Problem(400, "An app has a consumer key and a consumer secret.")
    bearer = str(body.get("bearer_token") or "")
    return _app_json(services.sandbox_app_ensure(consumer_key=key, consumer_secret=secret, bearer_token=bearer))


def _app_json(app: SandboxApp) -> dict:
    found = {
        "app_id": app.pk,
        "consumer_key": app.consumer_key,
        "webhooks": [{"id": h.pk, "url": h.url, "valid": h.valid} for h in app.webhooks.order_by("pk")],
        "subscriptions": [
            {"subscription_id": s.pk, "event_type": s.event_type, "user_id": s.user_id, "webhook_id": s.webhook_id}
            for s in app.subscriptions.order_by("pk")
        ],
    }
    if settings.X_SANDBOX_OPEN:
        found["bearer_token"] = app.bearer_token
    return found


@simulator_api("GET", "POST")
def faults(request, body):
    """POST {"method", "path", "status", "skip"?, "times"?, "delay_ms"?, "problem"?}: the next `times` API
    requests with that method and path prefix, after `skip` of them, answer `status` with X's body (status 0 with
    `delay_ms`: succeed, but answer late; status 200: garbled JSON, cut off mid-way; 403 with problem
    "not_in_access": X's `client-forbidden` answer for an endpoint not in the app's access). GET: the faults and
    how often each fired."""
    if request.method == "GET":
        return {"faults": list(SandboxFault.objects.order_by("pk").values())}
    status = int(body.get("status", 500))
    if status not in (0, 200) and not 400 <= status <= 599:
        raise Problem(
            400, "status is an HTTP error status (400-599), 0 with delay_ms for a slow answer, or 200 for garbled JSON."
        )
    path = str(body["path"])
    if not path.startswith(("/2/", "/1.1/")):
        raise Problem(400, "path is an API path such as /2/dm_events or /1.1/media/upload.json.")
    problem = str(body.get("problem") or "")
    if problem and (problem, status) != ("not_in_access", 403):
        raise Problem(400, 'problem is "not_in_access", with status 403.')
    fault = SandboxFault.objects.create(
        method=str(body.get("method", "GET")).upper(),
        path=path,
        status=status,
        skip=max(0, int(body.get("skip", 0))),
        times=max(1, int(body.get("times", 1))),
        delay_ms=max(0, int(body.get("delay_ms", 0))),
        problem=problem,
    )
    return {"fault_id": fault.pk}


@simulator_api("GET", "POST")
def limits(request, body):
    """POST {"endpoint", "limit", "window_seconds"?}: override a rate limit. GET: the overrides in force."""
    if request.method == "GET":
        overrides = SandboxLimit.objects.order_by("endpoint")
        return {"endpoints": sorted(LIMITS), "overrides": list(overrides.values())}
    endpoint = str(body["endpoint"])
    if endpoint not in LIMITS:
        raise Problem(400, f"Unknown endpoint {endpoint}; one of: {', '.join(sorted(LIMITS))}.")
    limit, window = int(body["limit"]), int(body.get("window_seconds", 900))
    if limit < 0 or window < 1:
        raise Problem(400, "limit must be ≥ 0 and window_seconds ≥ 1.")
    SandboxLimit.objects.update_or_create(endpoint=endpoint, defaults={"limit": limit, "window_seconds": window})
    return {"endpoint": endpoint, "limit": limit, "window_seconds": window}


@simulator_api("POST")
def reset(request, body):
    """Wipes all sandbox state."""
    services.sandbox_reset()
    return {"reset": True}


# --- The page -------------------------------------------------------------------------------------------
def page_refusal(request) -> HttpResponse | None:
    """The page and its images: 403 in words unless the request may use the simulator; GET only."""
    if refusal := access_refusal(request):
        return HttpResponseForbidden(refusal, content_type="text/plain; charset=utf-8")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return None


def media(request, media_key):
    """Images for the simulator page (the API's media route wants an OAuth header, as X's does)."""
    if refused := page_refusal(request):
        return refused
    found = SandboxMedia.objects.filter(media_key=media_key).first()
    if found is None:
        return JsonResponse({"detail": "No such media."}, status=404)
    return HttpResponse(bytes(found.content), content_type=f"image/{found.image_type}")


def page(request):
    if refused := page_refusal(request):
        return refused
    return render(request, "sandbox/simulator.html")
