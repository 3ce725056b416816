"""Writes on X accounts: switching ingestion mode, reconnecting after a 401, a new webhook URL."""

from django.db import transaction

from interactions import outbox
from social.models import XAccount, new_webhook_token
from social.tasks import catch_up_account, release_due_sends
from workspace.agents.audit import Verb, audit_record


@transaction.atomic
def xaccount_set_mode(*, account_id: int, mode: str) -> XAccount:
    """Switches polling ↔ webhook. A catch-up poll from the stored cursors runs on commit, so events that
    arrived during the switch are neither lost nor duplicated (the database refuses duplicates)."""
    account = XAccount.objects.select_for_update().get(pk=account_id)
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
