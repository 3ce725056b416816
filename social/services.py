"""Writes on X accounts: switching ingestion mode (connecting the webhook at X or removing it), reconnecting after
a 401, a new webhook URL, asking X again."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from interactions import outbox
from social import access
from social.models import XAccount, XWebhook, new_webhook_token
from social.tasks import catch_up_account, connect_webhook, disconnect_webhook, release_due_sends
from workspace.agents.audit import Verb, audit_record

NO_PUBLIC_URL = (
    "Perch does not know the address X reaches it at: set PERCH_PUBLIC_URL (or switch the mode in the admin, "
    "whose address is used)."
)


def public_webhook_url(account: XAccount, *, public_url: str = "") -> str:
    """The account's secret webhook URL as X must reach it: PERCH_PUBLIC_URL when set (behind a proxy the admin's
    own address may be an inner one), else `public_url` (the admin request's scheme and host); "" if neither."""
    base = (settings.PERCH_PUBLIC_URL or public_url).rstrip("/")
    return f"{base}{account.webhook_path}" if base else ""


@transaction.atomic
def xaccount_set_mode(*, account_id: int, mode: str, public_url: str = "") -> XAccount:
    """Switches polling ↔ webhook. To webhook: on commit a worker registers the account's webhook URL at X and
    subscribes to its events (social.activity); back to polling: a worker deletes them at X. A catch-up poll from
    the stored cursors runs on commit either way, so events that arrived during the switch are neither lost nor
    duplicated (the database refuses duplicates)."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
    if account.mode == mode:
        return account
    if mode == XAccount.Mode.WEBHOOK:
        verdict = access.may(account, access.Action.WEBHOOKS)
        if not verdict:
            raise access.NotAllowed(verdict.reason)
    account.mode = mode
    account.save(update_fields=["mode"])
    if mode == XAccount.Mode.WEBHOOK:
        _webhook_wanted(account, public_url=public_url)
    elif XWebhook.objects.filter(account=account).update(state=XWebhook.State.REMOVING, error="", retry_at=None):
        transaction.on_commit(lambda: disconnect_webhook.delay(account.pk))
    transaction.on_commit(lambda: catch_up_account.delay(account.pk))
    return account


def _webhook_wanted(account: XAccount, *, public_url: str) -> None:
    """The account's webhook row, waiting for a worker to connect it at X (or failed at once without a URL)."""
    url = public_webhook_url(account, public_url=public_url)
    known = XWebhook.objects.filter(account=account).first()
    if not url and known is not None:
        url = known.url  # connected before, from an address known then
    state, error = (XWebhook.State.CONNECTING, "") if url else (XWebhook.State.FAILED, NO_PUBLIC_URL)
    XWebhook.objects.update_or_create(
        account=account, defaults={"url": url, "state": state, "error": error, "retry_at": None}
    )
    if url:
        transaction.on_commit(lambda: connect_webhook.delay(account.pk))


@transaction.atomic
def xaccount_connect_again(*, account_id: int, public_url: str = "", by=None) -> XAccount:
    """The supervisor's "Connect webhook again" (and a new account created in webhook mode): a webhook account's
    webhook and subscriptions are set up at X from where the last try stopped, the webhook's CRC checked again; a
    polling account's leftovers at X are removed again."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
    if account.mode == XAccount.Mode.WEBHOOK:
        _webhook_wanted(account, public_url=public_url)
    elif XWebhook.objects.filter(account=account).update(state=XWebhook.State.REMOVING, error="", retry_at=None):
        transaction.on_commit(lambda: disconnect_webhook.delay(account.pk))
    if by is not None:
        changes = {"changes": "Webhook set up at X again."}
        audit_record(actor=by, verb=Verb.SETTINGS_CHANGE, obj=account, details=changes)
    return account


@transaction.atomic
def xaccount_reconnected(*, account_id: int) -> XAccount:
    """New credentials were saved: polling resumes, the sends held since the 401 go out, in order, and a webhook
    account's webhook is set up again where it had stopped."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
    account.needs_reconnect, account.last_error = False, ""
    account.save(update_fields=["needs_reconnect", "last_error"])
    outbox.release_held(x_account_id=account.pk, due=account.created_at)  # due now: the release sweep sends them
    transaction.on_commit(release_due_sends.delay)
    if account.mode == XAccount.Mode.WEBHOOK and XWebhook.objects.filter(account=account).exists():
        _webhook_wanted(account, public_url="")
    return account


@transaction.atomic
def xaccount_rotate_webhook_token(*, account_id: int, by=None) -> XAccount:
    """Gives the account a new secret webhook URL; the old one answers 404 from now on. A webhook account's new URL
    is registered at X on commit (the old webhook deleted there), from the same address as before."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
    account.webhook_token = new_webhook_token()
    account.save(update_fields=["webhook_token"])
    audit_record(actor=by, verb=Verb.SETTINGS_CHANGE, obj=account, details={"changes": "New webhook URL."})
    hook = XWebhook.objects.filter(account=account).first()
    if account.mode == XAccount.Mode.WEBHOOK and hook is not None and hook.url:
        parts = urlsplit(hook.url)
        _webhook_wanted(account, public_url=f"{parts.scheme}://{parts.netloc}")
    return account


@transaction.atomic
def xaccount_ask_x_again(*, account_id: int, by=None) -> XAccount:
    """Forgets what X refused as not in the account's access (its app has that access now, the supervisor says):
    Perch asks X for it again, and X's next 403 would say otherwise."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
    forgotten = sorted(account.access_refusals or {})
    account.access_refusals, account.access_changed_reason = {}, ""
    account.save(update_fields=["access_refusals", "access_changed_reason"])
    if forgotten:
        audit_record(
            actor=by, verb=Verb.SETTINGS_CHANGE, obj=account,
            details={"changes": f"Asks X again for: {', '.join(forgotten)}."},
        )  # fmt: skip
    return account
