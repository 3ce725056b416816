"""Who is calling: OAuth 1.0a user context (the acting user is the access token's prefix before `-`, as on X)
or an app-only Bearer token. Signatures are not verified; the token must be the one the sandbox issued."""

import re
from urllib.parse import unquote

from social.sandbox.errors import Problem
from social.sandbox.models import SandboxUser

OAUTH_TOKEN = re.compile(r'oauth_token="([^"]+)"')


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
    if user is None or user.revoked or user.access_token != token:
        raise Problem(401)
    return user
