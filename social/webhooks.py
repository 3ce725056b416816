"""X Account Activity webhooks: CRC challenge, signed deliveries, payloads fed to the same ingest as polling.

The signature is checked on the raw body with a constant-time comparison before anything is parsed. Events are
ingested inside the request's transaction, so X only gets its 200 once they are stored; a failure answers 500
and X delivers again (duplicates are refused by the database).
"""

import base64
import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from interactions.models import Message
from social import ingest, polling
from social.integrations.x_client import DMEvent, Tweet, XClient, XMedia, XUser
from social.models import XAccount
from social.tasks import fetch_message_media, ingest_webhook_replies
from workspace.logs import log_event

log = logging.getLogger(__name__)

CRC_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{8,128}")
MAX_DELIVERY_BYTES = 1_000_000


def signature(secret: str, payload: bytes) -> str:
    """X's webhook signature: "sha256=" + base64(HMAC-SHA256(consumer secret, payload))."""
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


# --- Account Activity (v1.1 shapes) → Perch's parsed events ---------------------------------------------
def _user(data: dict) -> XUser:
    return XUser(
        id=str(data["id_str"] if "id_str" in data else data["id"]),
        username=data.get("screen_name", ""),
        name=data.get("name", ""),
        profile_image_url=data.get("profile_image_url_https", ""),
    )


def _v1_media(entities: dict) -> tuple[XMedia, ...]:
    return tuple(
        XMedia(
            media_key=str(m.get("id_str", m.get("id"))), type=m.get("type", "photo"), url=m.get("media_url_https", "")
        )
        for m in (entities or {}).get("media", [])
    )


def dm_event(data: dict) -> DMEvent:
    create = data["message_create"]
    sender, recipient = str(create["sender_id"]), str(create["target"]["recipient_id"])
    message = create.get("message_data", {})
    attachment = message.get("attachment") or {}
    media = _v1_media({"media": [attachment["media"]]}) if attachment.get("type") == "media" else ()
    return DMEvent(
        id=str(data["id"]),
        event_type="MessageCreate" if data.get("type") == "message_create" else data.get("type", ""),
        text=message.get("text", ""),
        sender_id=sender,
        conversation_id=ingest.conversation_id_for(sender, recipient),
        created_at=datetime.fromtimestamp(int(data["created_timestamp"]) / 1000, tz=UTC),
        participant_ids=(sender, recipient),
        media=media,
    )


def tweet_event(data: dict) -> Tweet:
    extended = data.get("extended_tweet") or {}
    text = extended.get("full_text") or data.get("full_text") or data["text"]
    entities = extended.get("extended_entities") or data.get("extended_entities") or {}
    created = data.get("created_at")
    return Tweet(
        id=str(data["id_str"]),
        text=text,
        author_id=str(data["user"]["id_str"]),
        conversation_id="",
        created_at=datetime.strptime(created, "%a %b %d %H:%M:%S %z %Y") if created else None,
        in_reply_to_user_id=str(data.get("in_reply_to_user_id_str") or ""),
        replied_to_id=str(data.get("in_reply_to_status_id_str") or ""),
        retweeted_id=str((data.get("retweeted_status") or {}).get("id_str", "")),
        quoted_id=str(data.get("quoted_status_id_str") or ""),
        media=_v1_media(entities),
    )


def _parse_all(items: list, parse, account, stream) -> list:
    parsed = []
    for item in items:
        try:
            parsed.append(parse(item))
        except (KeyError, TypeError, ValueError) as exc:
            ingest.reject(account=account, stream=stream, payload=item, error=f"{exc.__class__.__name__}: {exc}")
    return parsed


def _users_of(raw_users: dict, raw_tweets: list) -> dict:
    """The X users a delivery names: its `users` map and each tweet's author."""
    users = {}
    for raw in [*(raw_users or {}).values(), *(t.get("user") for t in raw_tweets if isinstance(t, dict))]:
        try:
            user = _user(raw)
            users.setdefault(user.id, user)
        except (KeyError, TypeError, AttributeError):
            continue
    return users


def _replies_to_unseen(account: XAccount, tweets: list[Tweet]) -> list[Tweet]:
    """Customer replies to tweets Perch has not stored: their parents must be fetched from X first."""
    replies = [t for t in tweets if t.replied_to_id and not t.is_retweet and t.author_id != account.x_user_id]
    known = set(
        Message.objects.filter(
            x_account=account, kind=Message.Kind.TWEET, external_id__in=[t.replied_to_id for t in replies]
        ).values_list("external_id", flat=True)
    )
    return [t for t in replies if t.replied_to_id not in known]


def ingest_activity(*, account: XAccount, payload: dict) -> ingest.IngestResult:
    """Stores what an Account Activity delivery carries; the caller holds the transaction. Replies to tweets Perch
    has not seen go to a worker, which fetches their parents from X first (a webhook must answer at once)."""
    raw_tweets = payload.get("tweet_create_events", [])
    users = _users_of(payload.get("users"), raw_tweets)
    dms = _parse_all(payload.get("direct_message_events", []), dm_event, account, "webhook_dm")
    tweets = _parse_all(raw_tweets, tweet_event, account, "webhook_tweet")
    result = ingest.ingest_dm_events(account=account, events=dms, users=users)
    result.rejected += len(payload.get("direct_message_events", [])) - len(dms)
    result.rejected += len(raw_tweets) - len(tweets)
    orphans = {t.id for t in _replies_to_unseen(account, tweets)}
    if orphans:
        later = [t for t in raw_tweets if isinstance(t, dict) and str(t.get("id_str")) in orphans]
        raw_users = payload.get("users") or {}
        # Not robust on purpose: these replies are not stored yet, so with the broker down X must get an error and
        # deliver again (unlike routing, which beat redoes from what was stored).
        transaction.on_commit(lambda: ingest_webhook_replies.delay(account.pk, later, raw_users))
        tweets = [t for t in tweets if t.id not in orphans]
    tweet_result = ingest.ingest_tweets(account=account, tweets=tweets, users=users)
    result.created += tweet_result.created
    result.duplicates += tweet_result.duplicates
    result.skipped += tweet_result.skipped
    result.rejected += tweet_result.rejected
    return result


def ingest_replies(*, account: XAccount, raw_tweets: list, raw_users: dict, client: XClient | None) -> None:
    """Replies delivered by webhook to tweets Perch had not seen: with their parents fetched from X (as a poll
    does), so the agent sees what is being answered; without them when `client` is None (X kept failing)."""
    tweets = _parse_all(raw_tweets, tweet_event, account, "webhook_tweet")
    context, context_users = polling.missing_parents(client, account, tweets) if client else ({}, {})
    users = {**context_users, **_users_of(raw_users, raw_tweets)}
    with transaction.atomic():
        result = ingest.ingest_tweets(account=account, tweets=tweets, users=users, context=context)
        if result.created:
            transaction.on_commit(lambda: fetch_message_media.delay(account.pk, result.created))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def account_activity(request: HttpRequest, account_id: int, token: str) -> HttpResponse:
    """X's CRC challenge (GET) and signed Account Activity deliveries (POST), at the account's secret webhook URL
    and for active webhook accounts only: a wrong token, a polling or an inactive account answer 404 exactly like
    an unknown one."""
    account = get_object_or_404(XAccount, pk=account_id, is_active=True, mode=XAccount.Mode.WEBHOOK)
    if not hmac.compare_digest(account.webhook_token.encode(), token.encode()):
        raise Http404("No X account receives deliveries at this URL.")
    if request.method == "GET":
        return _crc_answer(request, account)
    if _content_length(request) > MAX_DELIVERY_BYTES or len(request.body) > MAX_DELIVERY_BYTES:
        return JsonResponse({"error": "the delivery is larger than 1 MB; X's deliveries are far smaller"}, status=413)
    expected = signature(account.consumer_secret, request.body)
    given = request.headers.get("x-twitter-webhooks-signature", "")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        log_event(log, "webhook.refused", level=logging.WARNING, account_id=account.pk, reason="bad signature")
        return HttpResponseForbidden("Invalid signature.")
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):  # every delivery is a JSON object; see _crc_answer for why this matters
        return JsonResponse({"error": "the body is not a JSON object"}, status=400)
    if str(payload.get("for_user_id", account.x_user_id)) != account.x_user_id:
        return JsonResponse({"error": "this delivery is for another account"}, status=400)
    with transaction.atomic():
        result = ingest_activity(account=account, payload=payload)
        XAccount.objects.filter(pk=account.pk).update(last_poll_ok_at=datetime.now(tz=UTC))
        if result.created:
            transaction.on_commit(lambda: fetch_message_media.delay(account.pk, result.created))
    counts = {"stored": len(result.created), "duplicates": result.duplicates, "rejected": result.rejected}
    log_event(log, "webhook.received", account_id=account.pk, **counts)
    return JsonResponse(counts)


def _crc_answer(request: HttpRequest, account: XAccount) -> HttpResponse:
    """Answers X's challenge-response check: HMAC-SHA256 of the token with the consumer secret.

    The same key and HMAC sign deliveries, so answering any string would sign any body. Only tokens of X's shape
    are answered: opaque random strings of the base64 / base64url alphabet, 8 to 128 characters. A delivery is a
    JSON object, which starts with `{` (or whitespace), neither of which is in that alphabet, so no CRC answer
    can ever be the signature of a body this view accepts.
    """
    crc_token = request.GET.get("crc_token", "")
    if not CRC_TOKEN.fullmatch(crc_token):
        return JsonResponse(
            {"error": "crc_token is required: 8 to 128 characters of A-Z, a-z, 0-9, -, _, +, / or ="}, status=400
        )
    return JsonResponse({"response_token": signature(account.consumer_secret, crc_token.encode())})


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0  # the body itself is measured next
