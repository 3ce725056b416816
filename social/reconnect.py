"""An X account that needs reconnecting: polling and sending stop until its credentials are replaced, and
supervisors are told at once."""

import logging

from social.alerts import alert_supervisors
from social.models import XAccount
from workspace.infra.events import AccountNeedsReconnect

log = logging.getLogger(__name__)


def account_needs_reconnect(*, account_id: int, reason: str) -> None:
    """Marks the account (with the reason supervisors read) and alerts them after commit, as a 401 does."""
    account = XAccount.objects.get(pk=account_id)
    XAccount.objects.filter(pk=account.pk).update(needs_reconnect=True, last_error=reason[:300])
    alert_supervisors(AccountNeedsReconnect(account_id=account.pk, account=str(account)))
    log.error("account %s needs reconnecting: %s", account.pk, reason)
