"""The websocket origin check: a socket opens only for a page of Perch's own origin, or of an origin trusted on
purpose (CSRF_TRUSTED_ORIGINS, e.g. behind a proxy).

Any web page may open a websocket to any host, and the browser sends that host's cookies along: the Origin header
is all that tells an agent's own tab from another site's (or another port's) page using the agent's session.
Same-origin means the same scheme, host and port as the request itself, the way browsers define it; a host that
is not in ALLOWED_HOSTS is refused as Django refuses it for pages (DNS rebinding).
"""

import logging
from urllib.parse import urlsplit

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

log = logging.getLogger(__name__)
DEFAULT_PORTS = {"http": 80, "https": 443}
REFUSED = 4403  # as for a signed-in user who may not use the socket


def _parse_origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a plain http(s) origin; None for anything else ("null", a path, a user, …)."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # a port that is no number, or out of range
        return None
    scheme = parts.scheme.lower()
    extra = parts.username or parts.password or parts.path or parts.query or parts.fragment
    if scheme not in DEFAULT_PORTS or not parts.hostname or extra:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def _header(scope, name: bytes) -> str | None:
    values = [value for key, value in scope.get("headers", []) if key == name]
    return values[0].decode("latin1") if len(values) == 1 else None  # missing or repeated: nothing to trust


def _is_secure(scope) -> bool:
    """As django's HttpRequest.is_secure(): the proxy's header when SECURE_PROXY_SSL_HEADER names one."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        forwarded = _header(scope, meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode())
        if forwarded is not None:
            return forwarded.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


def _own_origin(scope) -> tuple[str, str, int] | None:
    """The origin of the request itself: its scheme and its Host header, if that host is one Perch serves."""
    host = _header(scope, b"host") or ""
    domain, _ = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS or ([".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    if not domain or not validate_host(domain, allowed):
        return None
    return _parse_origin(f"{'https' if _is_secure(scope) else 'http'}://{host}")


def _trusted(origin: tuple[str, str, int]) -> bool:
    """In CSRF_TRUSTED_ORIGINS, which also accepts a subdomain wildcard (https://*.example.com), as Django's."""
    scheme, host, port = origin
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in entry
        trusted = _parse_origin(entry.replace("://*.", "://", 1) if wildcard else entry)
        if trusted is None or trusted[0] != scheme or trusted[2] != port:
            continue
        if trusted[1] == host or (wildcard and is_same_domain(host, "." + trusted[1])):
            return True
    return False


def origin_allowed(scope) -> bool:
    origin = _parse_origin(_header(scope, b"origin") or "")
    return origin is not None and (origin == _own_origin(scope) or _trusted(origin))


class _Refused(AsyncWebsocketConsumer):
    async def connect(self):
        await self.close(code=REFUSED)


_refuse = _Refused.as_asgi()


class SameOriginValidator:
    """ASGI middleware for the websocket router: refuses (4403) a handshake whose Origin is not allowed."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            log.info("websocket refused: origin %r for host %r", _header(scope, b"origin"), _header(scope, b"host"))
            return await _refuse(scope, receive, send)
        return await self.application(scope, receive, send)
