"""Downloading the images X attaches to messages: from where, with which credentials, and how much.

The client (x_client.fetch_media) asks `media_access` before every request and every redirect hop. A probe's
delivery named its own server as a DM image's `media_url_https` and received the account's OAuth header: only
X's media hosts (settings) and the account's own API base URL (the sandbox) are ever asked.
"""

import time
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from social.integrations.x_errors import XMediaRefused, XTransient
from social.media import MAX_DOWNLOAD_BYTES

DOWNLOAD_TIMEOUT_SECONDS = 20  # per read, and for the whole body


def origin_of(url: str) -> tuple | None:
    """(scheme, host, port) of a URL, None when it has none that parses."""
    try:
        parts = urlsplit(url)
        return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None


def media_access(url: str, *, api_base_url: str) -> str:
    """How Perch may download a media URL: "signed" from X's DM media hosts (settings.X_DM_MEDIA_HOSTS) and from
    the account's own API base URL (the sandbox in the demo), which want the account's OAuth signature; "public"
    from X's media CDN (settings.X_MEDIA_HOSTS), without credentials. Anything else raises XMediaRefused."""
    refused = XMediaRefused("not from X")
    if not url.isascii() or any(c.isspace() or c in "\\@" or ord(c) < 32 for c in url.split("?")[0]):
        raise refused  # no user info, no backslashes, no spaces: nothing two URL parsers could read differently
    origin = origin_of(url)
    if origin is None or not origin[1] or {".", ".."} & set(urlsplit(url).path.split("/")):
        raise refused  # no host, or a path a client would shorten (…/x-sandbox/../workspace/)
    if origin == origin_of(api_base_url):  # the account's own API: only under its base path
        if f"{urlsplit(url).path}/".startswith(f"{urlsplit(api_base_url).path.rstrip('/')}/"):
            return "signed"
        raise refused
    if origin[0] != "https" or origin[2] != 443:
        raise refused
    if origin[1] in settings.X_DM_MEDIA_HOSTS:
        return "signed"
    if origin[1] in settings.X_MEDIA_HOSTS:
        return "public"
    raise refused


def redirected(url: str, location: str) -> str:
    """Where a redirect points, as an absolute URL (to be checked by media_access like the first)."""
    try:
        return urljoin(url, location)
    except ValueError as exc:
        raise XMediaRefused("not from X") from exc


def read_capped(response) -> bytes:
    """The body, refused as soon as it passes MAX_DOWNLOAD_BYTES (declared or counted) or takes too long."""
    too_big = XMediaRefused(f"over {MAX_DOWNLOAD_BYTES // 1024 // 1024} MB")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_DOWNLOAD_BYTES:
        raise too_big
    chunks, size, deadline = [], 0, time.monotonic() + DOWNLOAD_TIMEOUT_SECONDS
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_DOWNLOAD_BYTES:
                raise too_big
            if time.monotonic() > deadline:
                raise XTransient("X sent it too slowly")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise XTransient(f"X could not be reached ({exc.__class__.__name__})") from exc
    return b"".join(chunks)
