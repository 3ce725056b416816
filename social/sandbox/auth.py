"""Who is calling. The X routes: OAuth 1.0a user context (the acting user is the access token's prefix before `-`,
as on X) or an app-only Bearer token; signatures are not verified, the token must be the one the sandbox issued.
The customer simulator: anyone on a DEBUG checkout, else a staff session or the sandbox's own token."""

import re
from urllib.parse import unquote

from django.conf import settings
from django.utils.crypto import constant_time_compare

from social.sandbox.errors import Problem
from social.sandbox.models import SandboxApp, SandboxUser

OAUTH_TOKEN = re.compile(r'oauth_token="([^"]+)"')
OAUTH_CONSUMER_KEY = re.compile(r'oauth_consumer_key="([^"]+)"')
SIMULATOR_TOKEN_HEADER = "X-Sandbox-Token"
SIMULATOR_REFUSED = (
    "The customer simulator needs a staff login (sign in at /admin/) or the sandbox's token (X_SANDBOX_TOKEN) in "
    f"the {SIMULATOR_TOKEN_HEADER} header."
)


def simulator_access(request) -> str:
    """How the request may use the customer simulator: "open" on a DEBUG checkout, "token" with the sandbox's token
    in the X-Sandbox-Token header, "staff" for a staff session (whose POSTs must pass Django's CSRF check), or ""
    when it may not. A wrong token refuses even a staff session: the caller meant the token."""
    if settings.X_SANDBOX_OPEN:
        return "open"
    sent = request.headers.get(SIMULATOR_TOKEN_HEADER)
    if sent is not None:
        return "token" if settings.X_SANDBOX_TOKEN and constant_time_compare(sent, settings.X_SANDBOX_TOKEN) else ""
    user = getattr(request, "user", None)
    return "staff" if user is not None and user.is_active and user.is_staff else ""


def acting_user(request, *, app_allowed: bool) -> SandboxUser | None:
    """The user an `Authorization: OAuth ...` header acts for, or None for `Bearer ...` where X allows it.

    Raises a 401 Problem for a missing or garbled header or an unknown, reissued or revoked token, and X's 403
    "Unsupported Authentication" for an app-only token on a user-context route.
    """
    header = request.headers.get("Authorization", "").strip()
    scheme, _, credentials = header.partition(" ")
    if scheme == "Bearer" and credentials.strip():
        if not app_allowed:
            raise Problem.unsupported_authentication()
        return None
    match = OAUTH_TOKEN.search(credentials) if scheme == "OAuth" else None
    if not match:
        raise Problem(401)
    token = unquote(match.group(1))
    user_id = token.split("-", 1)[0]
    if not user_id.isdigit():
        raise Problem(401)
    user = SandboxUser.objects.filter(pk=user_id).first()
    if user is None or user.revoked or not constant_time_compare(user.access_token, token):
        raise Problem(401)
    return user


def calling_app(request) -> SandboxApp:
    """The developer app a call comes from: its Bearer token, or the consumer key of its OAuth 1.0a header (the
    user's token is checked by `acting_user`). An app the sandbox did not issue is X's 401."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    app = None
    if scheme == "Bearer" and credentials.strip():
        app = SandboxApp.objects.filter(bearer_token=credentials.strip()).first()
    elif scheme == "OAuth" and (match := OAUTH_CONSUMER_KEY.search(credentials)):
        app = SandboxApp.objects.filter(consumer_key=unquote(match.group(1))).first()
    if app is None:
        raise Problem(401)
    return app
