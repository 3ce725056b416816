"""The X API v2 (+ v1.1 media upload) routes of the sandbox."""

import base64
import io
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from PIL import Image, UnidentifiedImageError
from twitter_text import parse_tweet

from social.sandbox import webhooks, wire
from social.sandbox.http import Problem, json_body, problem_response, x_endpoint
from social.sandbox.ids import new_id
from social.sandbox.models import SandboxDMEvent, SandboxLike, SandboxMedia, SandboxTweet, SandboxUser

MAX_MEDIA_BYTES = 5 * 1024 * 1024


def base_url(request) -> str:
    return request.build_absolute_uri("/x-sandbox").rstrip("/")


def conversation_id(a: str, b: str) -> str:
    low, high = sorted([a, b], key=int)
    return f"{low}-{high}"


def _user(user_id: str) -> SandboxUser:
    user = SandboxUser.objects.filter(pk=user_id).first()
    if user is None:
        raise Problem(404, f"Could not find user with id: [{user_id}].")
    return user


# --- Users ----------------------------------------------------------------------------------------------
@x_endpoint("users_me")
def users_me(request, user):
    return 200, {"data": wire.user_json(user, wire.requested(request, "user.fields"), base_url(request))}


@x_endpoint("users_lookup", app_allowed=True)
def user_by_id(request, user, user_id):
    found = SandboxUser.objects.filter(pk=user_id).first()
    if found is None:  # X answers lookups of unknown ids with 200 and an errors array
        return 200, {
            "errors": [
                {
                    "value": user_id,
                    "detail": f"Could not find user with id: [{user_id}].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "id",
                    "resource_id": user_id,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ]
        }
    return 200, {"data": wire.user_json(found, wire.requested(request, "user.fields"), base_url(request))}


# --- Tweets ---------------------------------------------------------------------------------------------
def _tweet_page(request, queryset):
    tweets, meta = wire.page(request, queryset, default=10, low=5, high=100)
    body = wire.tweets_body(request, tweets, base_url(request)) if tweets else {}
    body["meta"] = meta
    return 200, body


@x_endpoint("mentions", app_allowed=True)
def mentions(request, user, user_id):
    target = _user(user_id)
    mentioned = Q(text__icontains=f"@{target.username}") | Q(in_reply_to_user_id=target.pk)
    return _tweet_page(request, SandboxTweet.objects.filter(mentioned, deleted=False))


@x_endpoint("search", app_allowed=True)
def search_recent(request, user):
    query = request.GET.get("query", "").strip()
    if not query:
        raise Problem(400, "The `query` query parameter can not be empty")
    tweets = SandboxTweet.objects.filter(deleted=False, created_at__gte=timezone.now() - timedelta(days=7))
    for term in query.split():
        negate, term = term.startswith("-"), term.lstrip("-")
        if term == "is:retweet":
            condition = ~Q(retweeted_id="")
        elif term.startswith("from:"):
            condition = Q(author__username__iexact=term[5:])
        else:
            condition = Q(text__icontains=term)
        tweets = tweets.exclude(condition) if negate else tweets.filter(condition)
    return _tweet_page(request, tweets.select_related("author"))


def _lookup(request, ids: list[str]):
    found = SandboxTweet.objects.in_bulk(ids)
    tweets = [found[i] for i in ids if i in found and not found[i].deleted]
    body = wire.tweets_body(request, tweets, base_url(request)) if tweets else {}
    errors = [
        {
            "value": i,
            "detail": f"Could not find tweet with ids: [{i}].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": i,
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
        for i in ids
        if i not in found
    ]
    if errors:
        body["errors"] = errors
    return body


@x_endpoint("tweet_lookup", app_allowed=True)
def tweets_lookup(request, user):
    ids = [i for i in request.GET.get("ids", "").split(",") if i]
    if not ids or len(ids) > 100 or not all(i.isdigit() for i in ids):
        raise Problem(400, "The `ids` query parameter must hold 1 to 100 comma-separated tweet ids.")
    return 200, _lookup(request, ids)


@x_endpoint("tweet_lookup", app_allowed=True, methods=("GET", "DELETE"))
def tweet_by_id(request, user, tweet_id):
    if request.method == "DELETE":
        return delete_tweet(request, user, tweet_id)
    body = _lookup(request, [tweet_id])
    if "data" in body:
        body["data"] = body["data"][0]
    return 200, body


def delete_tweet(request, user, tweet_id):
    if user is None:
        raise Problem(403, "Deleting a tweet needs user context.")
    tweet = SandboxTweet.objects.filter(pk=tweet_id, author=user).first()
    if tweet is None:
        raise Problem(404, f"Could not find tweet with id: [{tweet_id}].")
    tweet.deleted = True
    tweet.save(update_fields=["deleted"])
    return 200, {"data": {"deleted": True}}


def create_tweet_as(
    author: SandboxUser, *, text: str, reply_to: str = "", quote: str = "", media_ids=()
) -> SandboxTweet:
    """Posts a tweet as `author` with X's rules (length, duplicates, reply threading). Used by the simulator too."""
    text = text or ""
    media_keys = []
    for media_id in media_ids:
        media = SandboxMedia.objects.filter(media_id=str(media_id)).first()
        if media is None:
            raise Problem(400, f"Your media IDs are invalid: [{media_id}].")
        media_keys.append(media.media_key)
    if not text.strip() and not media_keys:
        raise Problem(400, "Tweet text cannot be empty.")
    if text.strip() and parse_tweet(text).weightedLength > 280:
        raise Problem(400, "Your Tweet text is too long: X allows 280 weighted characters.")
    recent = timezone.now() - timedelta(hours=24)
    if SandboxTweet.objects.filter(author=author, text=text, created_at__gte=recent, deleted=False).exists():
        raise Problem(403, "You are not allowed to create a Tweet with duplicate content.")
    parent = None
    if reply_to:
        parent = SandboxTweet.objects.filter(pk=reply_to, deleted=False).first()
        if parent is None:
            raise Problem(400, "The tweet you are replying to does not exist or has been deleted.")
    tweet_id = new_id()
    tweet = SandboxTweet.objects.create(
        id=tweet_id,
        author=author,
        text=text,
        conversation_id=parent.conversation_id if parent else tweet_id,
        replied_to_id=parent.pk if parent else "",
        in_reply_to_user_id=parent.author_id if parent else "",
        quoted_id=quote,
        media_keys=media_keys,
    )
    mentioned = SandboxUser.objects.filter(username__in=wire.MENTION.findall(text)).values_list("pk", flat=True)
    webhooks.deliver([*mentioned, tweet.in_reply_to_user_id], lambda for_user: webhooks.tweet_payload(for_user, tweet))
    return tweet


@csrf_exempt
def tweets_collection(request):
    """/2/tweets: GET looks tweets up (?ids=), POST creates one."""
    return create_tweet(request) if request.method == "POST" else tweets_lookup(request)


@x_endpoint("tweet_create", methods=("POST",))
def create_tweet(request, user):
    if user is None:
        raise Problem(403, "Posting needs user context (OAuth 1.0a).")
    body = json_body(request)
    tweet = create_tweet_as(
        user,
        text=body.get("text", ""),
        reply_to=str((body.get("reply") or {}).get("in_reply_to_tweet_id", "")),
        quote=str(body.get("quote_tweet_id") or ""),
        media_ids=(body.get("media") or {}).get("media_ids", []),
    )
    return 201, {"data": {"id": tweet.pk, "text": tweet.text, "edit_history_tweet_ids": [tweet.pk]}}


@x_endpoint("like", methods=("POST",))
def likes(request, user, user_id):
    if user is None or user.pk != user_id:
        raise Problem(403, "You are not permitted to perform this action.")
    tweet_id = str(json_body(request).get("tweet_id", ""))
    tweet = SandboxTweet.objects.filter(pk=tweet_id, deleted=False).first()
    if tweet is None:
        raise Problem(400, f"The tweet_id [{tweet_id}] does not exist.")
    try:
        with transaction.atomic():
            SandboxLike.objects.create(user=user, tweet=tweet)
    except IntegrityError:
        pass  # liking twice is not an error at X
    return 200, {"data": {"liked": True}}


@x_endpoint("like", methods=("DELETE",))
def unlike(request, user, user_id, tweet_id):
    if user is None or user.pk != user_id:
        raise Problem(403, "You are not permitted to perform this action.")
    SandboxLike.objects.filter(user=user, tweet_id=tweet_id).delete()
    return 200, {"data": {"liked": False}}


# --- Direct messages ------------------------------------------------------------------------------------
def _dm_page(request, queryset):
    if types := request.GET.get("event_types"):
        if not set(types.split(",")) <= {"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"}:
            raise Problem(400, f"The `event_types` query parameter value [{types}] is not one of the allowed values.")
    events, meta = wire.page(request, queryset, default=100, low=1, high=100)
    body = wire.dm_body(request, events, base_url(request)) if events else {}
    body["meta"] = meta
    return 200, body


@x_endpoint("dm_events")
def dm_events(request, user):
    return _dm_page(request, SandboxDMEvent.objects.filter(Q(sender=user) | Q(recipient=user)))


@x_endpoint("dm_events")
def dm_conversation_events(request, user, participant_id):
    return _dm_page(request, SandboxDMEvent.objects.filter(conversation_id=conversation_id(user.pk, participant_id)))


def send_dm_as(sender: SandboxUser, recipient: SandboxUser, *, text: str, media_keys=()) -> SandboxDMEvent:
    if not (text or "").strip() and not media_keys:
        raise Problem(400, "A direct message needs text or an attachment.")
    if len(text or "") > 10_000:
        raise Problem(400, "Direct message text is limited to 10,000 characters.")
    event = SandboxDMEvent.objects.create(
        id=new_id(),
        conversation_id=conversation_id(sender.pk, recipient.pk),
        sender=sender,
        recipient=recipient,
        text=text or "",
        media_keys=list(media_keys),
    )
    webhooks.deliver([sender.pk, recipient.pk], lambda for_user: webhooks.dm_payload(for_user, event))
    return event


@x_endpoint("dm_send", methods=("POST",))
def send_dm(request, user, participant_id):
    recipient = SandboxUser.objects.filter(pk=participant_id).first()
    if recipient is None or recipient.pk == user.pk:
        raise Problem(400, f"[{participant_id}] is not a valid participant for this conversation.")
    body = json_body(request)
    media_keys = []
    for attachment in body.get("attachments") or []:
        media = SandboxMedia.objects.filter(media_id=str(attachment.get("media_id", ""))).first()
        if media is None:
            raise Problem(400, f"Your media IDs are invalid: [{attachment.get('media_id')}].")
        media_keys.append(media.media_key)
    event = send_dm_as(user, recipient, text=body.get("text", ""), media_keys=media_keys)
    return 201, {"data": {"dm_conversation_id": event.conversation_id, "dm_event_id": event.pk}}


# --- Media ----------------------------------------------------------------------------------------------
def store_media(owner: SandboxUser, data: bytes, category: str = "") -> SandboxMedia:
    if len(data) > MAX_MEDIA_BYTES:
        raise Problem(
            400,
            "File size exceeds 5242880 bytes.",
            extra={"errors": [{"code": 324, "message": "File size exceeds 5242880 bytes."}]},
        )
    try:
        image = Image.open(io.BytesIO(data))
        image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise Problem(
            400, "media type unrecognized.", extra={"errors": [{"code": 324, "message": "media type unrecognized."}]}
        ) from exc
    media_id = new_id()
    return SandboxMedia.objects.create(
        media_key=f"3_{media_id}",
        media_id=media_id,
        owner=owner,
        category=category,
        content=data,
        image_type=(image.format or "png").lower(),
        width=image.width,
        height=image.height,
    )


@x_endpoint("media_upload", methods=("POST",))
def media_upload(request, user):
    upload = request.FILES.get("media")
    if upload is not None:
        data = upload.read()
    elif request.POST.get("media_data"):
        data = base64.b64decode(request.POST["media_data"])
    else:
        raise Problem(400, "media parameter is missing.")
    media = store_media(user, data, request.POST.get("media_category", ""))
    return 200, {
        "media_id": int(media.media_id),
        "media_id_string": media.media_id,
        "media_key": media.media_key,
        "size": len(data),
        "expires_after_secs": 86400,
        "image": {"image_type": f"image/{media.image_type}", "w": media.width, "h": media.height},
    }


def media_file(request, media_key):
    """The image behind an includes.media url; as for DM media on X, an OAuth header is required."""
    if not request.headers.get("Authorization"):
        return problem_response(401)
    media = SandboxMedia.objects.filter(media_key=media_key).first()
    if media is None:
        return problem_response(404, "No such media.")
    return HttpResponse(bytes(media.content), content_type=f"image/{media.image_type}")


def avatar(request, name):
    """A generated default avatar (X serves profile images from its CDN)."""
    hue = sum(name.encode()) % 360
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" rx="24" '
        f'fill="hsl({hue},55%,45%)"/><text x="24" y="31" font-size="20" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{escape(name[:1].upper())}</text></svg>'
    )
    return HttpResponse(svg, content_type="image/svg+xml")
