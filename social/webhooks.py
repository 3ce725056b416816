"""X Account Activity webhooks: CRC challenge, signed deliveries, payloads fed to the same ingest as polling.

The URL carries the account's secret and the signature is checked on the raw body, both in constant time, before
anything is parsed. A delivery whose structure is wrong answers 400 and is kept as a RejectedEvent; an event that
cannot be understood is kept the same way and the others are stored. Events are ingested inside the request's
transaction, so X only gets its 200 once they are stored; a failure answers 500 and X delivers again (duplicates
are refused by the database).
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
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from interactions.models import Message
from social import ingest
from social.ingest.store import stored_ids
from social.integrations import x_activity
from social.integrations.x_activity import Delivery
from social.integrations.x_client import PayloadError, Tweet
from social.models import XAccount
from social.tasks import fetch_message_media, ingest_webhook_replies
from workspace.infra.logs import log_event

log = logging.getLogger(__name__)

CRC_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{8,128}")
MAX_DELIVERY_BYTES = 1_000_000


def signature(secret: str, payload: bytes) -> str:
    """X's webhook signature: "sha256=" + base64(HMAC-SHA256(consumer secret, payload))."""
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def _replies_to_unseen(account: XAccount, tweets: list[Tweet]) -> list[Tweet]:
    """Customer replies to tweets Perch has not stored: their parents must be fetched from X first."""
    replies = [t for t in tweets if t.replied_to_id and not t.is_retweet and t.author_id != account.x_user_id]
    known = stored_ids(account, Message.Kind.TWEET, [t.replied_to_id for t in replies])
    return [t for t in replies if t.replied_to_id not in known]


def ingest_activity(*, account: XAccount, delivery: Delivery, payload: dict) -> ingest.IngestResult:
    """Stores what an Account Activity delivery carries; the caller holds the transaction. Events that cannot be
    understood are kept as RejectedEvents. Replies to tweets Perch has not seen go to a worker, which fetches
    their parents from X first (a webhook must answer at once; polling.ingest_replies stores them)."""
    for stream, rejected in (("webhook_dm", delivery.rejected_dms), ("webhook_tweet", delivery.rejected_tweets)):
        for raw, error in rejected:
            ingest.reject(account=account, stream=stream, payload=raw, error=error)
    result = ingest.ingest_dm_events(account=account, events=delivery.dm_events, users=delivery.users)
    result.rejected += len(delivery.rejected_dms) + len(delivery.rejected_tweets)
    tweets = delivery.tweets
    orphans = {t.id for t in _replies_to_unseen(account, tweets)}
    if orphans:
        raw_tweets = payload.get("tweet_create_events") or []
        later = [t for t in raw_tweets if isinstance(t, dict) and str(t.get("id_str", t.get("id"))) in orphans]
        raw_users = payload.get("users") or {}
        # Not robust on purpose: these replies are not stored yet, so with the broker down X must get an error and
        # deliver again (unlike routing, which beat redoes from what was stored).
        transaction.on_commit(lambda: ingest_webhook_replies.delay(account.pk, later, raw_users))
        tweets = [t for t in tweets if t.id not in orphans]
    tweet_result = ingest.ingest_tweets(account=account, tweets=tweets, users=delivery.users)
    result.created += tweet_result.created
    result.duplicates += tweet_result.duplicates
    result.skipped += tweet_result.skipped
    result.rejected += tweet_result.rejected
    return result


@csrf_exempt
@require_http_methods(["GET", "POST"])
def account_activity(request: HttpRequest, account_id: int, token: str) -> HttpResponse:
    """X's CRC challenge (GET) and signed Account Activity deliveries (POST), at the account's secret webhook URL
    and for active webhook accounts only: a wrong token, a polling or an inactive account answer 404 exactly like
    an unknown one."""
    account = XAccount.objects.filter(pk=account_id, is_active=True, mode=XAccount.Mode.WEBHOOK).first()
    if account is None or not hmac.compare_digest(account.webhook_token.encode(), token.encode()):
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
        payload = json.loads(request.body, parse_constant=_not_json)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):  # every delivery is a JSON object; see _crc_answer for why this matters
        return JsonResponse({"error": "the body is not a JSON object"}, status=400)
    try:
        delivery = x_activity.parse_delivery(payload)
    except PayloadError as exc:
        ingest.reject(account=account, stream="webhook", payload=payload, error=f"PayloadError: {exc}")
        log_event(log, "webhook.refused", level=logging.WARNING, account_id=account.pk, reason=str(exc))
        return JsonResponse({"error": f"the delivery cannot be read: {exc}"}, status=400)
    if delivery.for_user_id and delivery.for_user_id != account.x_user_id:
        return JsonResponse({"error": "this delivery is for another account"}, status=400)
    with transaction.atomic():
        result = ingest_activity(account=account, delivery=delivery, payload=payload)
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


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")  # Python's json reads NaN and Infinity; X never sends them


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0  # the body itself is measured next
