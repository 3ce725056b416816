"""An agent in real Chromium: sign in, see the shell, go Ready on Chat, reload, still Ready."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from workspace.desk.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_agent_signs_in_goes_ready_on_chat_and_it_survives_a_reload(live_server_url, page, screenshot):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    page.goto(f"{live_server_url}/workspace/")
    expect(page).to_have_url(f"{live_server_url}/accounts/login/?next=/workspace/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Welcome, Ana")).to_be_visible()
    expect(page.get_by_label("My interactions")).to_contain_text("You are Not Ready — go Ready to get conversations.")
    expect(page.locator("#live-status")).to_have_text("Live")  # the websocket is connected
    chat = page.get_by_role("switch", name="Chat Not Ready")
    expect(chat).to_be_visible()
    expect(page.get_by_role("switch", name="Twitter Not Ready")).to_be_visible()

    chat.click()
    expect(page.get_by_role("switch", name="Chat Ready")).to_be_visible()
    screenshot("workspace-shell-chat-ready")

    page.reload()
    expect(page.get_by_role("switch", name="Chat Ready")).to_be_visible()
    expect(page.get_by_role("switch", name="Twitter Not Ready")).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("Live")


def test_ready_in_one_tab_shows_in_the_other_tab_without_a_reload(live_server_url, browser):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    first.goto(f"{live_server_url}/accounts/login/")
    first.get_by_label("Username").fill("ben")
    first.get_by_label("Password").fill(DEMO_PASSWORD)
    first.get_by_role("button", name="Sign in").click()
    expect(first.locator("#live-status")).to_have_text("Live")
    second.goto(f"{live_server_url}/workspace/")
    expect(second.locator("#live-status")).to_have_text("Live")

    first.get_by_role("switch", name="Twitter Not Ready").click()
    expect(second.get_by_role("switch", name="Twitter Ready")).to_be_visible()
    context.close()
