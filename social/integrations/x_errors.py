"""Perch's errors for what X refuses or cannot do; `str()` of each is a sentence a person can act on."""

from datetime import datetime


class XError(Exception):
    """Something X refused or could not do; `str()` is a sentence a person can act on."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status if status is not None else self.status


class XRateLimited(XError):
    status = 429

    def __init__(self, message: str, *, reset_at: datetime | None):
        super().__init__(message)
        self.reset_at = reset_at


class XUnauthorized(XError):
    """Token revoked or credentials wrong: the account needs reconnecting."""

    status = 401


class XForbidden(XError):
    status = 403


class XAccessRefused(XForbidden):
    """X's 403 for an endpoint that is not in the app's access (its `client-forbidden` problem, v1.1 code 453)."""


class XNotSummoned(XForbidden):
    """X's 403 for a self-serve reply to a post whose author did not summon the account (since 2026-02-23)."""


class XDMsClosed(XForbidden):
    """X's 403 for a DM to someone whose DM settings refuse the account (or who blocked it)."""


class XNotFound(XError):
    status = 404


class XBadRequest(XError):
    status = 400


class XTransient(XError):
    """5xx, timeouts, connection errors: worth retrying later."""


class XMediaRefused(XError):
    """A media URL Perch will not download: not one of X's media hosts, redirected elsewhere, or too big."""
