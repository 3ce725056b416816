"""What several browser tests do: sign in, and run worker-side code off Playwright's thread."""

import threading

from django.db import connections
from playwright.sync_api import expect

from workspace.management.commands.seed_demo import DEMO_PASSWORD


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
