"""Alerts for supervisors about X accounts (token revoked, ingestion stalled), pushed on commit."""

import logging

from django.db import transaction

from workspace.infra.events import Event
from workspace.infra.push import alert_supervisors_now

log = logging.getLogger(__name__)


def alert_supervisors(event: Event) -> None:
    """Logs the alert and tells every connected supervisor once the transaction commits."""
    log.warning("alert %s %s", event.type, event.payload())

    def push():
        try:
            alert_supervisors_now(event)
        except Exception:  # the account row already says it; the admin shows it on the next look
            log.exception("alert %s could not be pushed", event.type)

    transaction.on_commit(push)
