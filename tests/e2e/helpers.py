"""What several browser tests do: sign in, and run worker-side code off Playwright's thread."""

import threading

from django.db import connections
from playwright.sync_api import expect

from workspace.desk.management.commands.seed_demo import DEMO_PASSWORD


def in_worker_thread(work, timeout: float = 60) -> None:
    """Runs `work` as a Celery worker would, off the test's thread: Playwright keeps an event loop running there,
    and pushes (async_to_sync) cannot run beside it."""

    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=timeout)


def sign_in(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Signs in through the login page and waits until the workspace's websocket is live."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#live-status")).to_have_text("Live")


def accept_offer(page, kind: str, name: str):
    """Accepts the Interaction Notification for `name`'s `kind` ("Chat", "Twitter") interaction; returns its view."""
    page.get_by_role("alertdialog", name=f"New {kind} interaction from {name}").get_by_role(
        "button", name="Accept"
    ).click()
    return page.get_by_role("article", name=f"Interaction with {name}")


def settled(page) -> None:
    """Waits until htmx has finished every request, swap and settle on the page. Content htmx just swapped in gets
    its listeners only when it settles (settleDelay later): a field filled before then loses its input event."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


class Console:
    """Collects console errors and uncaught page errors of every page it watches, named by whose page it is."""

    def __init__(self):
        self.errors: list[str] = []

    def forgive(self, who: str, text: str) -> None:
        """Drops one error of `who`'s page containing `text`: one the test caused on purpose or expects (the
        browser logs every 4xx answer, even one the page handles)."""
        for n, error in enumerate(self.errors):
            if error.startswith(f"{who}: ") and text in error:
                del self.errors[n]
                return

    def watch(self, page, who: str) -> None:
        def console(message):
            if message.type == "error":
                self.errors.append(f"{who}: {message.text} ({message.location.get('url', '')})")

        page.on("console", console)
        page.on("pageerror", lambda error: self.errors.append(f"{who}: {error}"))


class Beat:
    """Production's beat schedule (workspace.celery's app.conf.beat_schedule), run in a thread of its own while
    a browser test goes on: each entry's task at its interval, eagerly, as a worker would run what beat sends.
    polls=False leaves out the polling of X, for tests that poll at chosen moments."""

    def __init__(self, polls: bool = False, tick: float = 0.5):
        from workspace.celery import app

        app.loader.import_default_modules()  # the apps' tasks modules, as a worker imports them at start
        self.app, self.tick, self.failures = app, tick, []
        self.entries = {
            entry["task"]: float(entry["schedule"])
            for entry in app.conf.beat_schedule.values()
            if polls or entry["task"] != "social.poll_due_accounts"
        }
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-beat", daemon=True)

    def _run(self):
        import time

        due = dict.fromkeys(self.entries, 0.0)
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                for task, every in self.entries.items():
                    if now >= due[task]:
                        due[task] = now + every
                        try:
                            result = self.app.tasks[task].apply()
                        except Exception as exc:  # noqa: BLE001 — reported at the end, beat goes on
                            self.failures.append(f"{task}: {exc!r}")
                            continue
                        if result.failed():
                            self.failures.append(f"{task}: {result.result!r}")
                self._stop.wait(self.tick)
        finally:
            connections.close_all()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self.failures, f"beat's tasks failed: {self.failures}"


# Headless Chromium shows no desktop notifications to click: the page is made to look hidden and each Notification
# it creates is kept (the real constructor still runs), so a test can click it as the agent would.
KEEP_NOTIFICATIONS = """
Object.defineProperty(document, "hidden", { get: () => true });
const RealNotification = window.Notification;
window.perchNotifications = [];
window.Notification = class extends RealNotification {
  constructor(title, options) { super(title, options); window.perchNotifications.push(this); }
};
"""
