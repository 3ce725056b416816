"""Customer text is text: markup in DMs, tweets, names and handles shows as typed in the offer toast, the list,
the transcript, the tweet tree and the Contact tab — nothing runs, no javascript: link is made."""

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import expect

from social.models import XAccount
from social.sandbox.services import sandbox_user_ensure
from tests.e2e.test_conversation import poll
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
HOSTILE_ID = "1790000000000000666"
NAME = "<img src=x onerror=window.pwned=1>Eve"
HANDLE = "<script>window.pwned=2</script>"
TEXT = (
    "<script>window.pwned=3</script> <img src=x onerror=window.pwned=4> "
    '<a href="javascript:window.pwned=5">click</a> javascript:window.pwned=6'
)


def assert_nothing_ran(page):
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src=x], script:not([src])").count() == 0
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(href.startswith(("/", "http://", "https://", "#")) for href in hrefs), hrefs


def test_markup_from_customers_renders_as_text_everywhere(live_server_url, page, screenshot):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    sandbox_user_ensure(user_id=HOSTILE_ID, username=HANDLE, name=NAME)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server_url}/accounts/login/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#live-status")).to_have_text("Live")
    page.get_by_role("switch", name="Chat Not Ready").click()
    expect(page.get_by_role("switch", name="Chat Ready")).to_be_visible()
    page.get_by_role("switch", name="Twitter Not Ready").click()
    expect(page.get_by_role("switch", name="Twitter Ready")).to_be_visible()
    simulator = f"{live_server_url}/x-sandbox/simulator/api"

    requests.post(f"{simulator}/dm", timeout=10, json={
        "sender_id": HOSTILE_ID, "recipient_id": DEMO_ACCOUNT_USER_ID, "text": TEXT,
    }).raise_for_status()  # fmt: skip
    poll()
    toast = page.get_by_role("alertdialog", name=f"New Chat interaction from {NAME}")
    expect(toast).to_contain_text(NAME)
    expect(toast).to_contain_text("<script>window.pwned=3</script>")
    assert_nothing_ran(page)
    screenshot("hostile-offer")
    toast.get_by_role("button", name="Accept").click()
    conversation = page.get_by_role("article", name=f"Interaction with {NAME}")
    expect(conversation.get_by_label("Transcript")).to_contain_text(TEXT)
    expect(conversation.get_by_role("heading", name=NAME)).to_be_visible()
    expect(page.get_by_label("My interactions")).to_contain_text(NAME)
    expect(page.get_by_label(f"Contact {NAME}")).to_contain_text(f"@{HANDLE}")
    assert_nothing_ran(page)
    screenshot("hostile-dm")

    requests.post(f"{simulator}/tweet", timeout=10, json={"author_id": HOSTILE_ID, "text": f"@perchdemoair {TEXT}"})
    poll()
    page.get_by_role("alertdialog", name=f"New Twitter interaction from {NAME}").get_by_role(
        "button", name="Accept"
    ).click()
    tree = page.get_by_role("article", name=f"Interaction with {NAME}").get_by_label("Tweet thread")
    expect(tree).to_contain_text(f"@perchdemoair {TEXT}")
    expect(tree).to_contain_text(f"@{HANDLE}")
    expect(tree).to_contain_text(NAME)
    assert_nothing_ran(page)
    screenshot("hostile-tweet")
    assert dialogs == []
