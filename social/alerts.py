"""Alerts for supervisors about X accounts (token revoked, ingestion stalled), pushed on commit."""

import logging

from django.db import transaction

from workspace.infra.push import SUPERVISORS_GROUP, group_send

log = logging.getLogger(__name__)


def alert_supervisors(event_type: str, **payload) -> None:
    """Logs the alert and tells every connected supervisor once the transaction commits."""
    log.warning("alert %s %s", event_type, payload)

    def push():
        try:
            group_send(SUPERVISORS_GROUP, {"type": event_type, **payload})
        except Exception:  # the account row already says it; the admin shows it on the next look
            log.exception("alert %s could not be pushed", event_type)

    transaction.on_commit(push)
