"""Routing in real Chromium: a mention arrives through the sandbox, the Ready agent sees the Interaction
Notification without reloading and accepts it; the Not Ready agent never sees it."""

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import expect

from social import polling
from social.models import XAccount
from tests.e2e.helpers import in_worker_thread, sign_in
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_ready_agent_gets_the_mention_live_and_accepts_it(live_server_url, browser, screenshot, page):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    ana = page
    ben = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(ana, live_server_url, "ana")
    sign_in(ben, live_server_url, "ben")
    ana.get_by_role("switch", name="Twitter Not Ready").click()
    expect(ana.get_by_role("switch", name="Twitter Ready")).to_be_visible()

    simulator = f"{live_server_url}/x-sandbox/simulator/api"
    requests.post(f"{simulator}/tweet", timeout=10, json={
        "author_id": "1790000000000000102", "text": "@perchdemoair this is the worst service ever, I want a refund",
    }).raise_for_status()  # fmt: skip
    account_id = XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID).pk
    in_worker_thread(lambda: polling.poll_account(account_id=account_id))

    toast = ana.get_by_role("alertdialog", name="New Twitter interaction from Tom Becker")
    expect(toast).to_be_visible(timeout=2000)
    expect(toast).to_contain_text("worst service ever")
    expect(toast.locator(".sentiment")).to_have_text("Negative")
    ana.wait_for_timeout(400)  # let the toast finish rising before the picture
    screenshot("interaction-notification")

    toast.get_by_role("button", name="Accept").click()
    conversation = ana.get_by_role("article", name="Interaction with Tom Becker")
    expect(conversation).to_contain_text("I want a refund")
    expect(conversation).to_contain_text("Active")
    expect(toast).to_be_hidden()
    expect(ana.get_by_label("My interactions")).to_contain_text("Tom Becker")
    screenshot("interaction-accepted")

    expect(ben.locator(".toast")).to_have_count(0)
    expect(ben.get_by_label("My interactions")).not_to_contain_text("Tom Becker")
    ben.context.close()
