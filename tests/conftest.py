"""Real parts for every test: the configured database, a real Redis (embedded unless REDIS_URL is set),
a live Daphne server in its own process, and Debian's chromium driven by Playwright."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests import live_server
from tests.mailbox import demo_mailbox  # noqa: F401  (the demo SMTP server, for tests that send email)
from workspace.infra.embedded_redis import command as embedded_redis_command

# Playwright's sync API runs an event loop in the test thread; the ORM calls around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(settings.VAR_DIR) / "artifacts"
CHROMIUM = os.environ.get("PERCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def _unix_socket_answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """Starts the embedded redis-server for the session when no REDIS_URL is given; stops it afterwards."""
    if not settings.USES_EMBEDDED_REDIS:
        yield settings.REDIS_URL
        return
    sock = Path(settings.EMBEDDED_REDIS_SOCKET)
    if _unix_socket_answers(sock):
        yield settings.REDIS_URL
        return
    sock.unlink(missing_ok=True)
    process = subprocess.Popen(embedded_redis_command(sock), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not _unix_socket_answers(sock):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the embedded redis-server did not start")
        time.sleep(0.05)
    yield settings.REDIS_URL
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session", autouse=True)
def drop_stray_connections(django_db_setup, django_db_blocker):
    """At the end of the run, close connections other threads or processes left on the PostgreSQL test database
    (sync_to_async threads, killed workers), so it can be dropped."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def fresh_redis_state(redis_server):
    """Budgets and poll locks are keyed by account id, and ids repeat from test to test: start each clean."""
    import redis

    client = redis.Redis.from_url(redis_server)
    for pattern in (
        "perch:budget:*",
        "*perch:poll:*",
        "perch:ws:*",
        "perch:ws-closed:*",
        "*perch:replied:*",
        "*perch:stranded*",
        "*worker-heartbeat*",
    ):
        for key in client.scan_iter(pattern):
            client.delete(key)
    client.close()


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A new channel layer object for each test. channels_redis keeps its receive state (a lock, a count, the loop
    receiving) on the one process-wide object: a test whose event loop ended in the middle of a receive left it to
    the next test, whose websocket then hung for good, and every push of the process after it (seen in a whole run:
    a board socket test stuck past its timeout, then every browser test waiting for an offer that never came)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield


def _live_server_setup(set_database_connection) -> None:
    """In the live server's process: the test database, and email by real SMTP to the tests' demo mail server."""
    from django.conf import settings

    from tests.mailbox import LIVE_SERVER_SMTP_PORT, smtp_to

    set_database_connection()
    smtp_to(settings, LIVE_SERVER_SMTP_PORT)


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """Perch served by Daphne in another process, on the test database (HTTP, websockets, the X sandbox)."""
    from functools import partial

    from channels.testing.live import set_database_connection
    from daphne.testing import DaphneProcess
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    with django_db_blocker.unblock():
        server = DaphneProcess(
            "127.0.0.1",
            partial(live_server.application, static_wrapper=ASGIStaticFilesHandler),
            setup=partial(_live_server_setup, set_database_connection),
        )
        server.start()
        if not server.ready.wait(timeout=30):
            server.terminate()
            raise RuntimeError("Daphne did not start")
    yield f"http://127.0.0.1:{server.port.value}"
    server.terminate()
    server.join(timeout=10)


def _database_url_of_test_db() -> str:
    """The URL of the database this test run uses (the test database, not the configured one)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = f"{db['USER']}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{db['USER']}@" if db.get("USER") else ""
    return f"postgres://{user}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker(transactional_db):
    """A real `celery worker` process (prefork, one child) on the test database and the real broker."""
    from workspace.celery import app as celery_app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PERCH_CELERY_EAGER": "false",
        "DATABASE_URL": _database_url_of_test_db(),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workspace", "worker", "--concurrency=1", "--loglevel=WARNING",
         "--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@%h", "--without-mingle", "--without-gossip"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        assert worker.poll() is None, "the Celery worker exited"
        assert time.monotonic() < deadline, "the Celery worker did not answer within 60 s"
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # this test's tasks go through the broker to that worker
    yield worker
    celery_app.conf.task_always_eager = eager
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"))
    context.close()


@pytest.fixture
def screenshot(page, request):
    """Saves a named screenshot of the current page under var/test/artifacts/ and returns its path."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop in the main thread while the browser
    lives, and async_to_sync (channel layer, websocket tests) cannot run beside it."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
    # Long fault and load tests (@pytest.mark.slow) run when asked for: PERCH_SLOW_TESTS=1 (CI's PostgreSQL pass)
    # or an explicit -m. Deselected, not skipped: they are not part of the everyday run.
    if not os.environ.get("PERCH_SLOW_TESTS") and not config.option.markexpr:
        slow = [item for item in items if item.get_closest_marker("slow")]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if not item.get_closest_marker("slow")]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before a live-server test's database is flushed, let the server finish what the test set going."""
    marker = item.get_closest_marker("django_db")
    transactional = "transactional_db" in item.fixturenames or bool(marker and marker.kwargs.get("transaction"))
    if transactional and "live_server_url" in item.funcargs:  # not set up when the test was skipped
        live_server.wait_until_quiet(item.funcargs["live_server_url"])
