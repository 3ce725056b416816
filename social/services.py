"""Writes on X accounts: switching ingestion mode, reconnecting after a 401, a new webhook URL, asking X again."""

from django.db import transaction

from interactions import outbox
from social import access
from social.models import XAccount, new_webhook_token
from social.tasks import catch_up_account, release_due_sends
from workspace.agents.audit import Verb, audit_record


@transaction.atomic
def xaccount_set_mode(*, account_id: int, mode: str) -> XAccount:
    """Switches polling ↔ webhook. A catch-up poll from the stored cursors runs on commit, so events that
    arrived during the switch are neither lost nor duplicated (the database refuses duplicates). Webhook mode only
    where the access has webhooks (access.NotAllowed says why not)."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
    if mode == XAccount.Mode.WEBHOOK and account.mode != mode:
        verdict = access.may(account, access.Action.WEBHOOKS)
        if not verdict:
            raise access.NotAllowed(verdict.reason)
    if account.mode != mode:
        account.mode = mode
        account.save(update_fields=["mode"])
        transaction.on_commit(lambda: catch_up_account.delay(account.pk))
    return account


@transaction.atomic
def xaccount_reconnected(*, account_id: int) -> XAccount:
    """New credentials were saved: polling resumes and the sends held since the 401 go out, in order."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
    account.needs_reconnect, account.last_error = False, ""
    account.save(update_fields=["needs_reconnect", "last_error"])
    outbox.release_held(x_account_id=account.pk, due=account.created_at)  # due now: the release sweep sends them
    transaction.on_commit(release_due_sends.delay)
    return account


@transaction.atomic
def xaccount_rotate_webhook_token(*, account_id: int, by=None) -> XAccount:
    """Gives the account a new secret webhook URL; the old one answers 404 from now on, so the new one must be
    registered with X (which checks it with a CRC) before deliveries resume."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
    account.webhook_token = new_webhook_token()
    account.save(update_fields=["webhook_token"])
    audit_record(actor=by, verb=Verb.SETTINGS_CHANGE, obj=account, details={"changes": "New webhook URL."})
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
