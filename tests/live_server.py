"""The test server's own bookkeeping: what Perch, served by Daphne in another process, is still doing.

The server outlives each test. A webhook the sandbox delivers from a background thread, or an eager task run on
commit of a request, may still be writing when a test's last assertion passes; flushing the database under it
deadlocks PostgreSQL's TRUNCATE or leaks rows into the next test. Tests that used the server wait for it to go
quiet before their database is flushed."""

import threading
import time

import requests
from channels.testing.live import make_application

IN_FLIGHT_PATH = "/__in-flight__"


class InFlight:
    """ASGI wrapper: counts HTTP requests being served and the sandbox's webhook deliveries still under way, and
    answers GET /__in-flight__ with that number."""

    def __init__(self, application):
        self.application = application
        self.requests = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        if scope["path"] == IN_FLIGHT_PATH:
            deliveries = sum(1 for thread in threading.enumerate() if thread.name.startswith("x-sandbox-webhook"))
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": str(self.requests + deliveries).encode()})
            return None
        self.requests += 1
        try:
            return await self.application(scope, receive, send)
        finally:
            self.requests -= 1


def application(*, static_wrapper):
    """Module level, so DaphneProcess can pickle it."""
    return InFlight(make_application(static_wrapper=static_wrapper))


def wait_until_quiet(base_url: str, seconds: float = 20.0, quiet_checks: int = 3) -> None:
    """Returns once the server and the database have been idle for `quiet_checks` checks in a row."""
    deadline, quiet = time.monotonic() + seconds, 0
    while quiet < quiet_checks and time.monotonic() < deadline:
        busy = int(requests.get(base_url + IN_FLIGHT_PATH, timeout=5).text) + _busy_database_connections()
        quiet = quiet + 1 if busy == 0 else 0
        time.sleep(0.05)


def _busy_database_connections() -> int:
    """Other PostgreSQL connections in the middle of something (a Celery worker's task, say). SQLite cannot tell."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
        )
        return cursor.fetchone()[0]
