"""X credentials: never in the logs, even with DEBUG logging on (an operator chasing a problem), during a poll and
when X refuses the token (401); write-only in the admin. Encryption at rest: tests/social/test_credentials.py."""

import logging

import pytest

from social import polling
from social.models import XAccount

pytestmark = pytest.mark.django_db(transaction=True)


def secrets_of(account: XAccount) -> dict[str, str]:
    return {name: getattr(account, name) for name in ("consumer_secret", "access_token", "access_token_secret")}


def test_tokens_never_reach_the_logs_during_a_poll_and_a_401(simulator, brand, caplog):
    maya = simulator.user("maya", "Maya Patel")
    simulator.dm(maya, brand.x_user_id, "hello")
    secrets = secrets_of(brand)
    with caplog.at_level(logging.DEBUG):  # every logger, every level: what LOG_LEVEL=DEBUG would print
        polling.poll_account(account_id=brand.pk)
        simulator.revoke(brand.x_user_id)
        assert "needs reconnecting" in polling.poll_account(account_id=brand.pk).error
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(caplog.records) > 5  # the poll was logged: the check below is not vacuous
    for name, value in secrets.items():
        assert value not in text, f"the {name} is in the logs"


def test_the_admin_never_shows_the_tokens(brand, admin_client):
    page = admin_client.get(f"/admin/social/xaccount/{brand.pk}/change/").content.decode()
    for name, value in secrets_of(brand).items():
        assert value not in page, f"the admin shows the {name}"
    assert "Stored encrypted" in page
