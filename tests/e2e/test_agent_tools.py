"""The agent's tools in real Chromium: shortcuts under ?, canned responses with /, a private note that never
reaches X, labels from the conversation header, and the focus order of the composer."""

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import expect

from interactions.models import CannedResponse, Interaction
from social.models import XAccount
from tests.e2e.test_conversation import MAYA, customer_dm, poll
from workspace.agents.models import Team
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ana_with_a_dm(live_server_url, page):
    """Ana signed in, Ready on Chat, working Maya's DM; returns the simulator's API address."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    team = Team.objects.get(name="Customer Care")
    CannedResponse.objects.create(
        title="Claim form", team=team, text="Hi {contact_name}, here is the claim form: https://example.com/claim"
    )
    CannedResponse.objects.create(title="Refund timing", team=team, text="Refunds reach your card within 5 days.")
    ben = team.agents.get(user__username="ben").user
    CannedResponse.objects.create(title="Ben's claim sign-off", owner=ben, text="Ben here, claim away")
    page.goto(f"{live_server_url}/accounts/login/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#live-status")).to_have_text("Live")
    page.get_by_role("switch", name="Chat Not Ready").click()
    expect(page.get_by_role("switch", name="Chat Ready")).to_be_visible()
    simulator = f"{live_server_url}/x-sandbox/simulator/api"
    customer_dm(simulator, "My bag never arrived")
    poll()
    page.get_by_role("alertdialog", name="New Chat interaction from Maya Patel").get_by_role(
        "button", name="Accept"
    ).click()
    expect(page.get_by_role("article", name="Interaction with Maya Patel")).to_be_visible()
    return simulator


def test_shortcuts_canned_responses_notes_and_labels(ana_with_a_dm, page, screenshot):
    simulator = ana_with_a_dm
    conversation = page.get_by_role("article", name="Interaction with Maya Patel")
    box = conversation.get_by_label("Write a message")

    # ? lists the shortcuts in a modal dialog; Esc closes it and focus comes back.
    page.locator("body").focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    for words in ("Show these shortcuts", "canned responses", "Send the message", "New line", "private note", "Esc"):
        expect(dialog).to_contain_text(words)
    screenshot("shortcuts-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # c puts the caret in the composer; Tab walks its controls in reading order, each with a name.
    page.keyboard.press("c")
    expect(box).to_be_focused()
    focus_order = [
        conversation.get_by_role("button", name="Emoji"),
        conversation.get_by_label("Attach image"),
        conversation.get_by_role("button", name="Add private note"),
        conversation.get_by_role("button", name="Send"),
    ]
    for control in focus_order:
        page.keyboard.press("Tab")
        expect(control).to_be_focused()

    # / opens the canned responses (the team's, never Ben's personal one), filtered as the agent types.
    box.focus()
    box.press_sequentially("Hello! /cla")
    menu = conversation.get_by_role("listbox", name="Canned responses")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("option")).to_have_count(1)
    expect(menu.get_by_role("option").first).to_contain_text("Claim form")
    expect(menu).not_to_contain_text("Ben")
    screenshot("canned-responses")
    box.press("Enter")  # inserts; does not send
    expect(menu).to_be_hidden()
    expect(box).to_have_value("Hello! Hi Maya Patel, here is the claim form: https://example.com/claim")
    box.press_sequentially(" /")
    team_wide = CannedResponse.objects.filter(team__name="Customer Care").count()
    expect(menu.get_by_role("option")).to_have_count(team_wide)  # the seeded ones too; still not Ben's
    box.press("ArrowDown")
    expect(menu.get_by_role("option").nth(1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    box.press("ArrowUp")  # wraps round to the last
    expect(menu.get_by_role("option").last).to_have_attribute("aria-selected", "true")
    box.press("Escape")
    expect(menu).to_be_hidden()
    expect(box).to_have_value("Hello! Hi Maya Patel, here is the claim form: https://example.com/claim /")
    assert Interaction.objects.get().messages.filter(direction="out").count() == 0

    # Esc closes the emoji picker and gives the caret back.
    conversation.get_by_role("button", name="Emoji").click()
    expect(page.locator("emoji-picker")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("emoji-picker")).to_be_hidden()
    expect(box).to_be_focused()

    # A private note (Alt+N): yellow, escaped, in the transcript — and nothing reaches X.
    box.fill("Customer is a frequent flyer <img src=x onerror=alert(1)>")
    box.press("Alt+n")
    note = conversation.get_by_role("listitem", name="Private note by Ana")
    expect(note).to_contain_text("Customer is a frequent flyer <img src=x onerror=alert(1)>")
    expect(note).to_contain_text("not sent to the customer")
    assert note.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(254, 249, 195)"
    expect(conversation.get_by_label("Write a message")).to_have_value("")
    sent = requests.get(f"{simulator}/activity", params={"user_id": MAYA}, timeout=10).json()["dms"]
    assert [d for d in sent if d["sender_id"] == DEMO_ACCOUNT_USER_ID] == []
    assert Interaction.objects.get().messages.filter(direction="out").count() == 0

    # Labels from the header: tag two, untag one.
    conversation.get_by_text("+ Add label").click()
    conversation.get_by_role("button", name="Escalated").click()
    expect(conversation.get_by_role("list", name="Labels")).to_contain_text("Escalated")
    conversation.get_by_role("button", name="Resolved").click()
    expect(conversation.get_by_role("button", name="Escalated")).to_have_attribute("aria-pressed", "true")
    screenshot("labels-and-note")
    conversation.get_by_role("button", name="Escalated").click()
    expect(conversation.get_by_role("list", name="Labels")).not_to_contain_text("Escalated")
    assert [label.name for label in Interaction.objects.get().labels.all()] == ["Resolved"]
