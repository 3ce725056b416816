"""One REDIS_URL, three spellings: redis-py/Django cache, Celery (kombu) and channels-redis disagree on unix sockets."""

from urllib.parse import urlsplit


def celery_url(redis_url: str) -> str:
    """kombu names a unix socket `redis+socket:///path`; TCP URLs pass through unchanged."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        query = f"?{parts.query}" if parts.query else ""
        return f"redis+socket://{parts.path}{query}"
    return redis_url


def channels_host(redis_url: str) -> str | dict:
    """channels-redis hands a URL string to redis-py's from_url, which understands unix:// and redis://."""
    return redis_url


def socket_path(redis_url: str) -> str | None:
    """The filesystem path of a unix-socket Redis URL, else None."""
    parts = urlsplit(redis_url)
    return parts.path if parts.scheme == "unix" else None
