"""An account in webhook mode, connected to X's Activity API: Perch registers its webhook URL (POST /2/webhooks,
which X checks with a CRC), subscribes to the events it needs for the account's user id, and removes both when the
account goes back to polling.

Run by workers (social.tasks), never inside a request or a transaction: X calls back with a CRC while it is asked.
Each step is kept in XWebhook / XSubscription as it happens, so a step that failed is retried from where it
stopped and never done twice; what X refused is kept in its words for the supervisor (the admin shows it).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from social.integrations.x_client import (
    XBadRequest,
    XClient,
    XError,
    XNotFound,
    XRateLimited,
    XTransient,
    XUnauthorized,
)
from social.models import XAccount, XSubscription, XWebhook
from social.reconnect import account_needs_reconnect
from workspace.infra.logs import log_event

log = logging.getLogger(__name__)

# What a care team needs of an account, in X's names: DMs both ways, mentions and replies, the app's access
# revoked, and the customer reading or typing.
EVENT_TYPES = (
    "dm.received",
    "dm.sent",
    "post.mention.create",
    "post.reply.create",
    "oauth.revoke",
    "dm.read",
    "dm.indicate_typing",
)
LOCK_SECONDS = 120
# X's reasons (x-api/webhooks/quickstart.mdx) in words a supervisor can act on; X's own words are kept beside them.
REASONS = {
    "CrcValidationFailed": "the webhook URL did not answer X's CRC check (is Perch reachable from X at that URL, "
    "and is the consumer secret the app's?)",
    "UrlValidationFailed": "X does not accept the webhook URL (X wants HTTPS, a public host and no port)",
    "DuplicateUrlFailed": "the app already has a webhook with this URL",
    "WebhookLimitExceeded": "the app has as many webhooks as X allows: delete one at X",
    "WebhookIdInvalid": "X no longer knows the webhook",
}


@dataclass(frozen=True)
class Outcome:
    """How a connect or disconnect went: done, failed for good (`error` in words), or worth retrying at `retry_at`."""

    done: bool
    error: str = ""
    retry_at: datetime | None = None


def explained(exc: XError) -> str:
    """X's refusal with what it means, when X gave one of its documented reasons."""
    words = str(exc)
    for reason, meaning in REASONS.items():
        if reason in words:
            return f"{meaning} — {words}"
    return words


def _lock(account_id: int) -> str:
    return f"perch:activity:{account_id}"


def _retry_at(exc: XError, attempt: int) -> datetime:
    if isinstance(exc, XRateLimited) and exc.reset_at:
        return exc.reset_at + timedelta(seconds=1)
    return timezone.now() + timedelta(seconds=min(600, 5 * 2**attempt))


def _settle(hook: XWebhook, exc: XError, attempt: int, *, retryable: bool) -> Outcome:
    """Keeps what X said on the webhook row; X's 429 and 5xx (and timeouts) are retried, its 4xx are not."""
    retry = retryable and isinstance(exc, XRateLimited | XTransient)
    hook.state = XWebhook.State.FAILED
    hook.error = explained(exc)[:400]
    hook.retry_at = _retry_at(exc, attempt) if retry else None
    hook.save(update_fields=["state", "error", "retry_at", "updated_at"])
    if isinstance(exc, XUnauthorized):
        account_needs_reconnect(account_id=hook.account_id, reason=str(exc))
    log_event(log, "activity.failed", level=logging.WARNING, account_id=hook.account_id, error=hook.error)
    return Outcome(done=False, error=hook.error, retry_at=hook.retry_at)


def connect(*, account_id: int, attempt: int = 0, final: bool = False) -> Outcome:
    """Registers the account's webhook and subscribes to EVENT_TYPES for its user id, from where the last try
    stopped. An account no longer in webhook mode is left alone (the switch back removes what was made)."""
    if not cache.add(_lock(account_id), "connect", timeout=LOCK_SECONDS):
        return Outcome(done=False, error="another connect or removal is under way", retry_at=_soon())
    try:
        account = XAccount.objects.get(pk=account_id)
        hook = XWebhook.objects.filter(account=account).first()
        if account.mode != XAccount.Mode.WEBHOOK or hook is None:
            return Outcome(done=True)
        if account.needs_reconnect:
            hook.state, hook.error, hook.retry_at = XWebhook.State.FAILED, "The account needs reconnecting first.", None
            hook.save(update_fields=["state", "error", "retry_at", "updated_at"])
            return Outcome(done=False, error=hook.error)
        client = XClient.for_account(account)
        try:
            _register(client, hook)
            failed = _subscribe(client, account, hook)
        except XError as exc:
            return _settle(hook, exc, attempt, retryable=not final)
        refused = f"X refused {len(failed)} of {len(EVENT_TYPES)} subscriptions: {'; '.join(failed)}"
        hook.state = XWebhook.State.FAILED if failed else XWebhook.State.CONNECTED
        hook.error = refused[:400] if failed else ""
        hook.retry_at = None
        hook.save(update_fields=["state", "error", "retry_at", "updated_at"])
        log_event(log, "activity.connected", account_id=account.pk, webhook_id=hook.x_webhook_id, failed=len(failed))
        return Outcome(done=not failed, error=hook.error)
    finally:
        cache.delete(_lock(account_id))


def _soon() -> datetime:
    return timezone.now() + timedelta(seconds=5)


def _register(client: XClient, hook: XWebhook) -> None:
    """The webhook at X, for the URL Perch wants (a rotated secret changes it: the old one is deleted first), and
    valid: a webhook X has already is checked again (PUT: a new CRC, which re-enables it at X when it passes)."""
    if hook.x_webhook_id and hook.registered_url != hook.url:
        _remove_at_x(client, hook)
    if hook.x_webhook_id:
        try:
            hook.crc_valid = client.validate_webhook(webhook_id=hook.x_webhook_id)
        except (XBadRequest, XNotFound) as exc:
            if "WebhookIdInvalid" not in str(exc) and not isinstance(exc, XNotFound):
                hook.crc_valid = False if "CrcValidationFailed" in str(exc) else hook.crc_valid
                hook.save(update_fields=["crc_valid", "updated_at"])
                raise
            _forget(client, hook)  # deleted at X meanwhile: registered again below
        else:
            hook.save(update_fields=["crc_valid", "updated_at"])
    if not hook.x_webhook_id:
        try:
            config = client.create_webhook(url=hook.url)
        except XBadRequest as exc:
            # Registered by an earlier try whose answer was lost: X has it, under this very URL.
            duplicate = "DuplicateUrl" in str(exc)
            config = next((w for w in client.webhooks() if w.url == hook.url), None) if duplicate else None
            if config is None:
                raise
        hook.x_webhook_id, hook.registered_url, hook.crc_valid = config.id, hook.url, config.valid
        hook.save(update_fields=["x_webhook_id", "registered_url", "crc_valid", "updated_at"])


def _forget(client: XClient, hook: XWebhook) -> None:
    """X no longer has the webhook: its subscriptions, which delivered to it, are deleted at X too (they would
    deliver nowhere and count against the app's limit), to be made again for the new one."""
    _delete_subscriptions(client, hook.account_id)
    hook.x_webhook_id, hook.registered_url, hook.crc_valid = "", "", None
    hook.save(update_fields=["x_webhook_id", "registered_url", "crc_valid", "updated_at"])


def _subscribe(client: XClient, account: XAccount, hook: XWebhook) -> list[str]:
    """Creates the subscriptions not active yet; returns what X refused, one sentence per event type. A refusal
    of one (X's 400, 403) does not stop the others; a 429, 5xx or 401 stops them all (raised)."""
    rows = {s.event_type: s for s in XSubscription.objects.filter(account=account)}
    user_id, listed, failed = account.x_user_id, None, []
    if any(row.state == XSubscription.State.ACTIVE for row in rows.values()):
        # Made before: X may have dropped some since (a revoked and reconnected account); those are made again.
        listed = client.subscriptions()
        at_x = {s.id for s in listed}
        for row in rows.values():
            if row.state == XSubscription.State.ACTIVE and row.x_subscription_id not in at_x:
                row.state, row.x_subscription_id = XSubscription.State.PENDING, ""
                row.save(update_fields=["state", "x_subscription_id", "updated_at"])
    for event_type in EVENT_TYPES:
        row = rows.get(event_type) or XSubscription.objects.create(account=account, event_type=event_type)
        if row.state == XSubscription.State.ACTIVE and row.x_subscription_id:
            continue
        try:
            made = client.create_subscription(
                event_type=event_type, user_id=user_id, webhook_id=hook.x_webhook_id, tag=f"perch-{account.pk}"
            )
        except (XRateLimited, XTransient, XUnauthorized):
            raise
        except XError as exc:
            # Made by an earlier try whose answer was lost? X lists it; otherwise X refused it, in its words.
            listed = client.subscriptions() if listed is None else listed
            wanted = (event_type, user_id, hook.x_webhook_id)
            made = next((s for s in listed if (s.event_type, s.user_id, s.webhook_id) == wanted), None)
            if made is None:
                row.state, row.error = XSubscription.State.FAILED, explained(exc)[:400]
                row.save(update_fields=["state", "error", "updated_at"])
                failed.append(f"{event_type}: {row.error}")
                continue
        row.x_subscription_id, row.state, row.error = made.id, XSubscription.State.ACTIVE, ""
        row.save(update_fields=["x_subscription_id", "state", "error", "updated_at"])
    return failed


def disconnect(*, account_id: int, attempt: int = 0, final: bool = False) -> Outcome:
    """Deletes the account's subscriptions and webhook at X (what X no longer has counts as deleted), then Perch's
    rows of them. An account back in webhook mode meanwhile is left connected."""
    if not cache.add(_lock(account_id), "disconnect", timeout=LOCK_SECONDS):
        return Outcome(done=False, error="another connect or removal is under way", retry_at=_soon())
    try:
        account = XAccount.objects.get(pk=account_id)
        hook = XWebhook.objects.filter(account=account).first()
        if account.mode == XAccount.Mode.WEBHOOK:
            return Outcome(done=True)
        if hook is None:
            XSubscription.objects.filter(account=account).delete()
            return Outcome(done=True)
        client = XClient.for_account(account)
        try:
            _remove_at_x(client, hook)
        except XError as exc:
            return _settle(hook, exc, attempt, retryable=not final)
        hook.delete()
        log_event(log, "activity.disconnected", account_id=account.pk)
        return Outcome(done=True)
    finally:
        cache.delete(_lock(account_id))


def _delete_subscriptions(client: XClient, account_id: int) -> None:
    """Deletes the account's subscriptions at X (X wants the Bearer token for it); each row goes as soon as X
    confirmed (or no longer had it), so a retry does not ask again."""
    for row in XSubscription.objects.filter(account_id=account_id).exclude(x_subscription_id=""):
        try:
            client.delete_subscription(subscription_id=row.x_subscription_id)
        except XNotFound:
            pass  # deleted at X already
        row.delete()
    XSubscription.objects.filter(account_id=account_id).delete()


def _remove_at_x(client: XClient, hook: XWebhook) -> None:
    """Deletes the subscriptions, then the webhook, at X."""
    _delete_subscriptions(client, hook.account_id)
    if hook.x_webhook_id:
        try:
            client.delete_webhook(webhook_id=hook.x_webhook_id)
        except (XBadRequest, XNotFound) as exc:
            if "WebhookIdInvalid" not in str(exc) and not isinstance(exc, XNotFound):
                raise
        hook.x_webhook_id, hook.registered_url, hook.crc_valid = "", "", None
        hook.save(update_fields=["x_webhook_id", "registered_url", "crc_valid", "updated_at"])
