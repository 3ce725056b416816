"""One REDIS_URL, three spellings: redis-py/Django cache, Celery (kombu) and channels-redis disagree on unix sockets."""

from urllib.parse import urlsplit


def celery_url(redis_url: str) -> str:
    """kombu names a unix socket `redis+socket:///path`; TCP URLs pass through unchanged."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        query = f"?{parts.query}" if parts.query else ""
        return f"redis+socket://{parts.path}{query}"
    return redis_url


def channels_host(redis_url: str) -> dict:
    """channels-redis hands the address to redis-py's from_url (unix:// and redis:// alike). redis-py 8 reads with
    a 5 s socket timeout by default, as long as channels-redis's own 5 s blocking pop: every idle websocket would
    drop. Reads may take longer than the pop. Its asyncio pool also stops at 100 connections and then raises "Too
    many connections" instead of waiting: a Daphne process whose tabs all join or leave at once (a restart, a
    network blip) needs one per tab in flight (found by bench/fanout.py with 1,000 tabs and bench/load.py)."""
    return {"address": redis_url, "socket_timeout": 30, "max_connections": 2000}


def socket_path(redis_url: str) -> str | None:
    """The filesystem path of a unix-socket Redis URL, else None."""
    parts = urlsplit(redis_url)
    return parts.path if parts.scheme == "unix" else None
