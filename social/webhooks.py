"""X Activity API webhooks: CRC challenge, signed deliveries in X's envelope, fed to the same ingest as polling.

The URL carries the account's secret and the signature is checked on the raw body, both in constant time, before
anything is parsed. An envelope whose structure is wrong answers 400 and is kept as a RejectedEvent; an event
inside it that cannot be understood is kept the same way and the others are stored. Each delivery is recorded by
X's event_uuid in the same transaction as what it carried, so the same delivery again (X's retry, a replay) is
answered 200 and stored once. Events are ingested inside the request's transaction, so X only gets its 200 once
they are stored; a failure answers 500 and X delivers again.
"""

import base64
import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from interactions.models import Message
from social import costs, ingest, replay
from social.activity import EVENT_TYPES
from social.ingest import indicators
from social.ingest.store import stored_ids
from social.integrations import x_activity, x_replay
from social.integrations.x_activity import Delivery
from social.integrations.x_client import PayloadError, Tweet
from social.models import XAccount, XDelivery
from social.reconnect import account_needs_reconnect
from social.tasks import catch_up_account, fetch_message_media, ingest_webhook_replies
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


def ingest_dms(*, account: XAccount, delivery: Delivery) -> ingest.IngestResult:
    """dm.received (a customer wrote) and dm.sent (the brand wrote: from Perch, whose outbox row it makes sent, or
    from X's own app, an outbound message of the conversation): both go to the DM ingest, as polled DMs do."""
    dms = delivery.dms
    for raw, error in dms.rejected:
        ingest.reject(account=account, stream="webhook_dm", payload=raw, error=error)
    result = ingest.ingest_dm_events(account=account, events=dms.events, users=dms.users)
    result.rejected += len(dms.rejected)
    return result


def ingest_post(*, account: XAccount, delivery: Delivery) -> ingest.IngestResult:
    """post.mention.create and post.reply.create: the tweet ingest. A reply to a tweet Perch has not stored goes to
    a worker, which fetches its parents from X first (a webhook must answer at once; polling.ingest_replies stores
    it), unless X included the parent; X fires nothing for replies to replies, so those come by polling only."""
    post = delivery.post
    if post.tweet is None:
        for raw, error in post.rejected:
            ingest.reject(account=account, stream="webhook_tweet", payload=raw, error=error)
        return ingest.IngestResult(rejected=len(post.rejected))
    if [t for t in _replies_to_unseen(account, [post.tweet]) if t.replied_to_id not in post.context]:
        raw_tweet, raw_users = delivery.envelope.payload, delivery.envelope.includes.get("users") or []
        # Not robust on purpose: this reply is not stored yet, so with the broker down X must get an error and
        # deliver again (unlike routing, which beat redoes from what was stored).
        transaction.on_commit(lambda: ingest_webhook_replies.delay(account.pk, [raw_tweet], raw_users))
        return ingest.IngestResult()
    return ingest.ingest_tweets(account=account, tweets=[post.tweet], users=post.users, context=dict(post.context))


def revoke(*, account: XAccount, delivery: Delivery) -> ingest.IngestResult:
    """oauth.revoke: the brand took Perch's access away at X. The account needs reconnecting from this moment,
    as after X's 401, and supervisors are told."""
    account_needs_reconnect(
        account_id=account.pk,
        reason="X says this account revoked Perch's access (oauth.revoke): it needs reconnecting with new tokens.",
    )
    return ingest.IngestResult()


def indicate(*, account: XAccount, delivery: Delivery) -> ingest.IngestResult:
    """dm.read and dm.indicate_typing: shown live, never stored as messages. A payload social.ingest.indicators
    cannot understand is kept as a RejectedEvent (X gets its 200: delivering it again would not help)."""
    envelope = delivery.envelope
    try:
        with transaction.atomic():  # all of it or nothing
            indicators.receive(
                account=account, event_type=envelope.event_type, payload=envelope.payload, includes=envelope.includes
            )
    except PayloadError as exc:
        ingest.reject(account=account, stream="webhook", payload=envelope.payload, error=f"PayloadError: {exc}")
        return ingest.IngestResult(rejected=1)
    return ingest.IngestResult()


HANDLERS = {
    "dm.received": ingest_dms,
    "dm.sent": ingest_dms,
    "post.mention.create": ingest_post,
    "post.reply.create": ingest_post,
    "oauth.revoke": revoke,
    "dm.read": indicate,
    "dm.indicate_typing": indicate,
}
assert set(HANDLERS) == set(EVENT_TYPES), "every event type Perch subscribes to has its handler"


def receive(*, account: XAccount, delivery: Delivery, body: dict) -> ingest.IngestResult:
    """Stores what one delivery carries, once per event_uuid; the caller holds the transaction. A type Perch does
    not subscribe to is kept as a RejectedEvent (X gets its 200 and does not deliver it again)."""
    envelope = delivery.envelope
    now = datetime.now(tz=UTC)
    XAccount.objects.filter(pk=account.pk).update(last_poll_ok_at=now, last_delivery_at=now)
    try:
        with transaction.atomic():
            XDelivery.objects.create(
                account=account, event_uuid=envelope.event_uuid, event_type=envelope.event_type, received_at=now
            )
    except IntegrityError:  # X delivered it before (a retry, a replay): stored then
        return ingest.IngestResult(duplicates=1)
    costs.record_webhook_event(account, envelope.event_type)  # X bills the events it delivers
    handler = HANDLERS.get(envelope.event_type)
    if handler is None:
        reason = f"event type {envelope.event_type} is not one Perch subscribes to"
        ingest.reject(account=account, stream="webhook", payload=body, error=reason)
        return ingest.IngestResult(rejected=1)
    return handler(account=account, delivery=delivery)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def account_activity(request: HttpRequest, account_id: int, token: str) -> HttpResponse:
    """X's CRC challenge (GET) and signed X Activity API deliveries (POST), at the account's secret webhook URL
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
        body = json.loads(request.body, parse_constant=_not_json)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):  # every delivery is a JSON object; see _crc_answer for why this matters
        return JsonResponse({"error": "the body is not a JSON object"}, status=400)
    if x_replay.is_replay_job_status(body):  # not an event: the end of a replay Perch asked for
        return _replay_finished(account, body)
    try:
        delivery = x_activity.parse_delivery(body)
    except PayloadError as exc:
        ingest.reject(account=account, stream="webhook", payload=body, error=f"PayloadError: {exc}")
        log_event(log, "webhook.refused", level=logging.WARNING, account_id=account.pk, reason=str(exc))
        return JsonResponse({"error": f"the delivery cannot be read: {exc}"}, status=400)
    if delivery.for_user_id and delivery.for_user_id != account.x_user_id:
        return JsonResponse({"error": "this delivery is for another account"}, status=400)
    with transaction.atomic():
        result = receive(account=account, delivery=delivery, body=body)
        if result.created:
            transaction.on_commit(lambda: fetch_message_media.delay(account.pk, result.created))
    counts = {"stored": len(result.created), "duplicates": result.duplicates, "rejected": result.rejected}
    log_event(log, "webhook.received", account_id=account.pk, event_type=delivery.envelope.event_type, **counts)
    return JsonResponse(counts)


def _replay_finished(account: XAccount, body: dict) -> HttpResponse:
    """X's completion message of a replay job (social.replay closes it); an incomplete job is covered by a catch-up
    poll. A message that cannot be read is kept as a RejectedEvent and answered 400, as an unreadable envelope is."""
    try:
        status = x_replay.parse_replay_job_status(body)
    except PayloadError as exc:
        ingest.reject(account=account, stream="webhook", payload=body, error=f"PayloadError: {exc}")
        return JsonResponse({"error": f"the replay status cannot be read: {exc}"}, status=400)
    with transaction.atomic():
        closed = replay.job_finished(account=account, status=status)
        if closed is not None and closed.state == closed.State.INCOMPLETE:
            transaction.on_commit(lambda: catch_up_account.delay(account.pk))
    if closed is None:
        log_event(log, "webhook.replay_unknown", level=logging.WARNING, account_id=account.pk, job_id=status.job_id)
    return JsonResponse({"replay": closed.get_state_display() if closed else "not a job Perch asked for"})


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
