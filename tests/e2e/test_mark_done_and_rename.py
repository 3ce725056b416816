"""Around a conversation in real Chromium: Mark Done asks for the disposition (nothing picked for the agent) and
takes the agent back to /workspace/; a contact renamed in the Contact tab is renamed in the centre and the list at
once; the empty list says what is true; "… replied — Show" names the contact and goes once the conversation is
taken."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from contacts.models import Contact
from interactions.models import Interaction
from tests.e2e.helpers import accept_offer, in_worker_thread, settled
from tests.e2e.test_conversation import TOM, accept_dm, customer_dm, demo, poll  # noqa: F401 (demo is a fixture)
from tests.e2e.test_long_names import console_errors
from workspace.agents.models import AgentNotice
from workspace.infra.events import InteractionEnded
from workspace.infra.push import notify_agent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_mark_done_asks_for_the_disposition_then_returns_to_the_workspace(demo, page, live_server_url, screenshot):  # noqa: F811
    errors = console_errors(page)
    conversation = accept_dm(demo, page, "That is all, thanks")
    conversation.get_by_role("button", name="End chat").click()
    expect(conversation.locator(".interaction-state")).to_have_text("Ended")
    disposition = conversation.get_by_label("Disposition")
    expect(disposition).to_have_value("")  # "Choose…": nothing picked for the agent
    expect(disposition.locator("option:checked")).to_have_text("Choose…")
    conversation.get_by_label("Note", exact=True).fill("Answered the question")

    conversation.get_by_role("button", name="Mark Done").click()  # the browser asks for the disposition first
    assert disposition.evaluate("select => select.validationMessage")
    page.wait_for_timeout(300)
    assert Interaction.objects.get().state == "ended"  # nothing was sent
    screenshot("mark-done-asks")

    disposition.select_option(label="Resolved")
    conversation.get_by_role("button", name="Mark Done").click()
    expect(page.get_by_role("heading", name="Marked done")).to_be_visible()
    expect(page).to_have_url(f"{live_server_url}/workspace/")
    assert (Interaction.objects.get().state, Interaction.objects.get().disposition.name) == ("done", "Resolved")
    # The right panel left Maya: it is as a fresh /workspace/ shows it.
    expect(page.get_by_role("tabpanel", name="Contact")).to_have_text("Pick an interaction to see its contact.")
    expect(page.get_by_label("Contact Maya Patel")).to_have_count(0)
    expect(page.get_by_label("My interactions")).to_contain_text("You are Ready on Chat — nothing is waiting.")
    page.reload()
    expect(page.get_by_role("heading", name="Welcome, Ana")).to_be_visible()
    assert errors == []


def test_the_disposition_picked_right_after_end_survives_the_late_ended_push(demo, page, live_server_url):  # noqa: F811
    """End answers with the Mark Done form at once; the interaction.ended push (sent after commit, late on a busy
    machine) must not re-render the form under the agent and drop the disposition they already picked."""
    errors = console_errors(page)
    conversation = accept_dm(demo, page, "Thanks, that is all")
    conversation.get_by_role("button", name="End chat").click()
    expect(conversation.locator(".interaction-state")).to_have_text("Ended")
    conversation.get_by_label("Disposition").select_option(label="Resolved")
    conversation.get_by_label("Note", exact=True).fill("Answered")
    interaction = Interaction.objects.get()
    in_worker_thread(lambda: notify_agent(interaction.agent_id, InteractionEnded(interaction_id=interaction.pk)))
    page.wait_for_timeout(500)  # the push's re-fetch, if any, has landed
    expect(conversation.get_by_label("Disposition").locator("option:checked")).to_have_text("Resolved")
    expect(conversation.get_by_label("Note", exact=True)).to_have_value("Answered")
    conversation.get_by_role("button", name="Mark Done").click()
    expect(page.get_by_role("heading", name="Marked done")).to_be_visible()
    assert errors == []


def test_a_contact_renamed_in_the_contact_tab_is_renamed_in_the_centre_and_the_list_at_once(demo, page):  # noqa: F811
    errors = console_errors(page)
    conversation = accept_dm(demo, page, "Please note my new name")
    contact_tab = page.get_by_label("Contact Maya Patel")
    expect(contact_tab.get_by_label("Name", exact=True)).to_have_value("Maya Patel")
    settled(page)
    conversation.get_by_label("Write a message").fill("A draft the rename must not lose")

    contact_tab.locator("summary", has_text="Edit contact").click()  # the card first, editing second
    contact_tab.get_by_label("Name", exact=True).fill("Maya Okafor-Patel")
    contact_tab.get_by_role("button", name="Save contact").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    renamed = page.get_by_role("article", name="Interaction with Maya Okafor-Patel")  # named by its heading
    expect(renamed.get_by_role("heading", level=1)).to_have_text("Interaction with Maya Okafor-Patel")
    expect(renamed.locator(".interaction-head h1")).to_contain_text("Maya Okafor-Patel")
    expect(page.get_by_label("My interactions").get_by_role("link")).to_contain_text("Maya Okafor-Patel")
    expect(renamed.get_by_label("Write a message")).to_have_value("A draft the rename must not lose")
    assert Contact.objects.get(pk=Interaction.objects.get().contact_id).display_name == "Maya Okafor-Patel"
    assert errors == []


def test_the_empty_list_follows_ready_and_not_ready(demo, page):  # noqa: F811
    my_list = page.get_by_label("My interactions")
    expect(my_list).to_contain_text("You are Not Ready — go Ready to get conversations.")
    page.get_by_role("switch", name="Chat Not Ready").click()
    expect(my_list).to_contain_text("You are Ready on Chat — nothing is waiting.")
    page.get_by_role("switch", name="Twitter Not Ready").click()
    expect(my_list).to_contain_text("You are Ready on Chat and Twitter — nothing is waiting.")
    page.get_by_role("switch", name="Chat Ready").click()
    page.get_by_role("switch", name="Twitter Ready").click()
    expect(my_list).to_contain_text("You are Not Ready — go Ready to get conversations.")


def test_replied_names_the_contact_and_goes_once_the_conversation_is_taken(demo, page):  # noqa: F811
    errors = console_errors(page)
    ana = get_user_model().objects.get(username="ana")
    Contact.objects.filter(display_name="Maya Patel").update(assigned_agent=ana)
    customer_dm(demo, "Hello again, it is Maya")  # Ana is Not Ready: she is told, not offered
    poll()
    toast = page.locator("#contact-replied .toast")
    expect(toast).to_have_text("Maya Patel replied. Show")
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Connect").click()
    notices = page.get_by_role("list", name="Your notices")
    expect(notices).to_contain_text("Maya Patel replied.")
    expect(toast).to_have_text("Maya Patel replied. Show")  # the Connect view has the toasts too
    expect(page.locator("#live-status")).to_have_text("Live")

    page.get_by_role("switch", name="Chat Not Ready").click()  # Ready: the conversation is offered to her
    accept_offer(page, "Chat", "Maya Patel")  # Accept here opens the conversation in the workspace
    expect(page.get_by_role("navigation", name="Views").get_by_role("link", name="Workspace")).to_have_attribute(
        "aria-current", "page"
    )
    expect(toast).to_have_count(0)  # taken: nothing left to Show
    assert AgentNotice.objects.get(kind="contact_replied").cleared_at is not None
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Connect").click()
    expect(notices).not_to_contain_text("Maya Patel replied.")
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator("#contact-replied")).to_be_attached()
    expect(toast).to_have_count(0)
    assert errors == []


def test_an_offer_accepted_in_one_tab_leaves_the_other_tab_and_joins_its_list(demo, page, live_server_url):  # noqa: F811
    """Found trying Perch: Ana works the workspace in two tabs; she accepts Maya's offer in one, and the other kept
    the offer (its Accept then said "it is active") and never listed the conversation until a reload."""
    errors = console_errors(page)
    other = page.context.new_page()
    other_errors = console_errors(other)
    other.goto(f"{live_server_url}/workspace/")
    expect(other.locator("#live-status")).to_have_text("Live")
    page.get_by_role("switch", name="Chat Not Ready").click()
    customer_dm(demo, "Is my flight on time?")
    poll()
    offer_there = other.get_by_role("alertdialog", name="New Chat interaction from Maya Patel")
    expect(offer_there).to_be_visible()
    accept_offer(page, "Chat", "Maya Patel")
    expect(offer_there).to_have_count(0)
    expect(other.get_by_label("My interactions").get_by_role("link", name="Chat Maya Patel")).to_be_visible()
    other.close()
    assert errors == [] and other_errors == []


def test_a_draft_survives_working_another_conversation_and_goes_once_sent(demo, page):  # noqa: F811
    """Found trying Perch: a draft typed for Maya was gone after a click on Tom in the list and back."""
    import requests

    from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

    errors = console_errors(page)
    maya = accept_dm(demo, page, "Where is my bag?")
    dm = {"sender_id": TOM, "recipient_id": DEMO_ACCOUNT_USER_ID, "text": "Refund please"}
    requests.post(f"{demo}/dm", json=dm, timeout=10).raise_for_status()
    poll()
    accept_offer(page, "Chat", "Tom Becker")
    mine = page.get_by_label("My interactions")
    mine.get_by_role("link", name="Chat Maya Patel").click()
    settled(page)
    maya.get_by_label("Write a message").fill("Checking with the baggage desk, one moment")
    mine.get_by_role("link", name="Chat Tom Becker").click()
    tom = page.get_by_role("article", name="Interaction with Tom Becker")
    expect(tom.get_by_label("Write a message")).to_have_value("")  # Maya's draft is hers alone
    mine.get_by_role("link", name="Chat Maya Patel").click()
    expect(maya.get_by_label("Write a message")).to_have_value("Checking with the baggage desk, one moment")
    page.reload()
    expect(maya.get_by_label("Write a message")).to_have_value("Checking with the baggage desk, one moment")

    maya.get_by_label("Write a message").press("Enter")
    expect(maya.locator(".bubble.outbound .delivery")).to_have_text("Sent")
    expect(maya.get_by_label("Write a message")).to_have_value("")
    mine.get_by_role("link", name="Chat Tom Becker").click()
    expect(tom).to_be_visible()
    mine.get_by_role("link", name="Chat Maya Patel").click()
    expect(maya.get_by_label("Write a message")).to_have_value("")  # sent: the draft went with it
    assert errors == []
