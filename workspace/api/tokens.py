"""API tokens: created here, stored hashed, looked up by hash."""

import hashlib
import secrets

from django.utils import timezone

from workspace.agents.models import ApiToken

TOKEN_PREFIX = "perch_"
# Refresh last_used_at at most this often, so a busy client does not write on every request.
LAST_USED_RESOLUTION_SECONDS = 60


def _hash(token: str) -> str:
    # The token carries 256 random bits, so a plain SHA-256 is enough (no salt or slow hash needed).
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user, name: str = "") -> tuple[ApiToken, str]:
    """Creates a token for the user; returns the row and the token, which is not stored and cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name, prefix=token[: len(TOKEN_PREFIX) + 6], key_hash=_hash(token))
    return row, token


def user_for_token(token: str):
    """The active user of an active token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(token), is_active=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
