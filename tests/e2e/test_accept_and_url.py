"""Accept and the list never break the page, and the URL is the interaction (issue 14, points 1 and 2).

Seen in a shift: after a click in *My interactions*, every later Accept failed (htmx:targetError: the list's
outerHTML swap, inherited by its links, had replaced <main id=centre>), and the address bar kept naming an
interaction the page no longer showed, so a reload opened a different one. Each test here clicks around like an
agent does, in one page, and checks after each step that the page still works and that the URL names what it shows.
"""

import re

import pytest
import requests
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from contacts.models import Contact
from interactions.models import Interaction
from tests.e2e.helpers import accept_offer, sign_in
from tests.e2e.test_conversation import customer_dm, demo, poll  # noqa: F401 (demo is a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TOM = "1790000000000000102"
LUCIA = "1790000000000000103"


def console_errors(page, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """What the page logs as an error (and any uncaught exception), but for the browser's own line about a status
    the test provokes on purpose (`allowed`, e.g. "status of 404")."""
    errors = []

    def console(message):
        text = message.text
        if message.type == "error" and not any(allowed_text in text for allowed_text in allowed):
            errors.append(text)
        elif "EvalError" in text or "unsafe-eval" in text:  # whatever level the browser gives it
            errors.append(text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    return errors


def url_of(page, interaction: Interaction) -> str:
    return page.url.split("/workspace/")[0] + f"/workspace/interactions/{interaction.pk}/"


def ready_on_both_channels(page):
    page.get_by_role("switch", name="Chat Not Ready").click()
    expect(page.get_by_role("switch", name="Chat Ready")).to_be_visible()
    page.get_by_role("switch", name="Twitter Not Ready").click()
    expect(page.get_by_role("switch", name="Twitter Ready")).to_be_visible()


def tom_tweets(simulator, text):
    requests.post(f"{simulator}/tweet", json={"author_id": TOM, "text": f"@perchdemoair {text}"},
                  timeout=10).raise_for_status()  # fmt: skip


def list_link(page, name):
    return page.get_by_label("My interactions").get_by_role("link", name=name)


def accept_maya_then_tom(simulator, page):
    """Ana accepts Maya's DM (A), clicks it in My interactions, then accepts Tom's tweet (B): the reproduction."""
    ready_on_both_channels(page)
    customer_dm(simulator, "My bag never arrived")
    poll()
    maya = accept_offer(page, "Chat", "Maya Patel")
    expect(maya).to_contain_text("My bag never arrived")
    a = Interaction.objects.get(contact__display_name="Maya Patel")
    expect(page).to_have_url(url_of(page, a))  # Accept puts the interaction in the address bar

    list_link(page, "Maya Patel").click()
    expect(maya).to_contain_text("Active")
    expect(page).to_have_url(url_of(page, a))

    tom_tweets(simulator, "where is my refund?")
    poll()
    tom = accept_offer(page, "Twitter", "Tom Becker")
    expect(tom).to_contain_text("where is my refund?")
    expect(tom).to_contain_text("Active")
    b = Interaction.objects.get(contact__display_name="Tom Becker")
    expect(page).to_have_url(url_of(page, b))
    return a, b


def test_accept_after_a_list_click_opens_the_new_interaction_and_the_url_follows(demo, page, screenshot):  # noqa: F811
    """Acceptance (a): accept A, click A in the list, accept B → B opens; reload, Back and Forward agree."""
    errors = console_errors(page)
    a, b = accept_maya_then_tom(demo, page)
    assert Interaction.objects.get(pk=b.pk).state == "active"
    expect(page.locator("main#centre")).to_have_count(1)
    screenshot("accept-after-list-click")

    page.reload()  # a reload shows the interaction the page showed, never another
    expect(page.get_by_role("article", name="Interaction with Tom Becker")).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("Live")

    list_link(page, "Maya Patel").click()
    expect(page.get_by_role("article", name="Interaction with Maya Patel")).to_be_visible()
    expect(page).to_have_url(url_of(page, a))
    page.go_back()
    expect(page).to_have_url(url_of(page, b))
    expect(page.get_by_role("article", name="Interaction with Tom Becker")).to_be_visible()
    expect(page.get_by_role("article", name="Interaction with Maya Patel")).to_have_count(0)
    page.go_forward()
    expect(page).to_have_url(url_of(page, a))
    expect(page.get_by_role("article", name="Interaction with Maya Patel")).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("Live")

    # After all that, the page still works: a third offer is accepted and opens, with its URL.
    customer_dm(demo, "Also: my seat was changed")
    poll()  # Maya's DM joins her open conversation (A), shown live
    expect(page.get_by_role("article", name="Interaction with Maya Patel")).to_contain_text("my seat was changed")
    list_link(page, "Tom Becker").click()
    expect(page).to_have_url(url_of(page, b))
    expect(page.get_by_role("article", name="Interaction with Tom Becker")).to_be_visible()
    assert errors == []


def test_the_x_icon_and_show_work_after_list_clicks(demo, page, screenshot):  # noqa: F811
    errors = console_errors(page)
    a, b = accept_maya_then_tom(demo, page)
    list_link(page, "Maya Patel").click()
    expect(page).to_have_url(url_of(page, a))

    # Lucía is Ana's contact and writes while Ana is Not Ready on Chat: "Lucía replied — Show".
    ana = get_user_model().objects.get(username="ana")
    Contact.objects.filter(display_name="Lucía Gómez").update(assigned_agent=ana)
    page.get_by_role("switch", name="Chat Ready").click()
    expect(page.get_by_role("switch", name="Chat Not Ready")).to_be_visible()
    requests.post(f"{demo}/dm", json={"sender_id": LUCIA, "recipient_id": "1790000000000000001",
                                      "text": "Hola, ¿hay novedades?"}, timeout=10).raise_for_status()  # fmt: skip
    poll()
    toast = page.locator("#contact-replied .toast")
    toast.get_by_role("link", name="Show").click()
    # Show opens the Connect view on Lucía (its own URL); Back is Maya's conversation again.
    lucia_id = Contact.objects.get(display_name="Lucía Gómez").pk
    expect(page).to_have_url(re.compile(rf"/workspace/connect/\?contact={lucia_id}$"))
    lucia = page.get_by_role("region", name="Communication with Lucía Gómez")
    expect(lucia.get_by_role("list", name="Transcript with Lucía Gómez")).to_contain_text("novedades")
    page.go_back()
    expect(page.get_by_role("article", name="Interaction with Maya Patel")).to_be_visible()
    expect(page).to_have_url(url_of(page, a))
    page.go_forward()
    expect(lucia).to_be_visible()
    page.reload()  # the same contact
    expect(lucia).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("Live")

    # The notices' Show, then another contact, then back: each opens in the same place, with its URL.
    contacts = page.get_by_role("complementary", name="Contacts")
    contacts.get_by_role("list", name="Your notices").get_by_role("link", name="Show").click()
    expect(lucia).to_be_visible()
    contacts.get_by_role("list", name="Assigned Contacts", exact=True).get_by_role("link", name="Tom Becker").click()
    expect(page.get_by_role("region", name="Communication with Tom Becker")).to_be_visible()
    tom_id = Contact.objects.get(display_name="Tom Becker").pk
    expect(page).to_have_url(re.compile(rf"/workspace/connect/\?contact={tom_id}$"))
    contacts.get_by_role("list", name="Assigned Contacts", exact=True).get_by_role("link", name="Lucía Gómez").click()
    expect(lucia).to_be_visible()

    # 𝕏: a new Chat interaction with Lucía opens in the workspace, with its URL; the list still works afterwards.
    lucia.get_by_role("button", name="Start a Chat interaction on X").click()
    chat = page.get_by_role("article", name="Interaction with Lucía Gómez")
    expect(chat).to_contain_text("Active")
    started = Interaction.objects.filter(contact__display_name="Lucía Gómez", state="active").get()
    expect(page).to_have_url(url_of(page, started))
    expect(list_link(page, "Lucía Gómez")).to_be_visible()  # the list follows (HX-Trigger)
    screenshot("x-icon-after-list-clicks")
    list_link(page, "Tom Becker").click()
    expect(page.get_by_role("article", name="Interaction with Tom Becker")).to_be_visible()
    expect(page).to_have_url(url_of(page, b))
    page.reload()
    expect(page.get_by_role("article", name="Interaction with Tom Becker")).to_be_visible()
    assert errors == []


def test_a_conversation_that_is_gone_says_so_calmly(demo, page, screenshot):  # noqa: F811
    """A list click on a conversation a supervisor took away meanwhile (its push lost): a notice in the centre,
    never an error page; a reload at that URL says the same; the page goes on working."""
    errors = console_errors(page, allowed=("status of 404",))
    a, b = accept_maya_then_tom(demo, page)
    # The pushes of the accepts have been handled: nothing will refresh the list, which keeps showing Maya.
    page.wait_for_timeout(500)
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    ben = get_user_model().objects.get(username="ben")
    Interaction.objects.filter(pk=a.pk).update(agent=ben)
    Contact.objects.filter(pk=a.contact_id).update(assigned_agent=ben)

    list_link(page, "Maya Patel").click()
    centre = page.locator("main#centre")
    expect(centre.get_by_role("status")).to_have_text("This conversation is no longer yours, or it no longer exists.")
    expect(page.locator(".request-error")).to_have_count(0)  # a notice, not a failure
    screenshot("conversation-gone")
    page.reload()
    expect(page.locator("main#centre").get_by_role("status")).to_contain_text("no longer yours")
    expect(page.locator("#live-status")).to_have_text("Live")
    list_link(page, "Tom Becker").click()
    expect(page.get_by_role("article", name="Interaction with Tom Becker")).to_be_visible()
    expect(page).to_have_url(url_of(page, b))
    assert errors == []


def test_a_failed_request_shows_the_banner_and_is_reported(demo, page, screenshot):  # noqa: F811
    """An injected fault (the server answers 500): the agent reads "That did not work — reload", once, and the
    failure reaches the server's log through /workspace/client-errors/."""
    errors = console_errors(page, allowed=("status of 500", "Response Status Error Code 500"))  # the browser's, htmx's
    page.route(re.compile(r".*/workspace/presence/$"), lambda route: route.fulfill(status=500, body="boom"))
    with page.expect_response(re.compile(r".*/workspace/client-errors/$")) as reported:
        page.get_by_role("switch", name="Chat Not Ready").click()
    assert reported.value.status == 204
    banner = page.locator("#page-notice .request-error")
    expect(banner).to_have_text("That did not work — reload")
    page.get_by_role("switch", name="Twitter Not Ready").click()  # a second failure: still one banner
    expect(page.locator("#page-notice .request-error")).to_have_count(1)
    screenshot("request-error-banner")
    page.unroute(re.compile(r".*/workspace/presence/$"))
    banner.get_by_role("link", name="reload").click()
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator("#page-notice .request-error")).to_have_count(0)
    assert errors == []


def test_no_console_error_on_the_workspace_the_board_and_the_simulator(live_server_url, demo, page):  # noqa: F811
    """Under the CSP (no eval): the workspace with a conversation open and live pushes, the live board, and the
    customer simulator log nothing on the console."""
    errors = console_errors(page)
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")
    accept_maya_then_tom(demo, page)
    customer_dm(demo, "One more thing")
    poll()  # pushes: message.created for A, the list and the transcripts refresh
    expect(list_link(page, "Maya Patel")).to_be_visible()
    for tab in ("Conversation", "Contact"):
        page.get_by_role("tab", name=tab).click()
    expect(page.get_by_label("Contact Tom Becker")).to_be_visible()
    assert errors == [], "workspace"

    supervisor = page.context.browser.new_context().new_page()
    board_errors = console_errors(supervisor)
    sign_in(supervisor, live_server_url, "supervisor")
    supervisor.goto(f"{live_server_url}/admin/board/")
    expect(supervisor.locator("#live-status")).to_have_text("Live")
    expect(supervisor.get_by_label("Agents")).to_contain_text("Ana")
    supervisor.goto(f"{live_server_url}/x-sandbox/simulator/")
    expect(supervisor.get_by_role("heading", name="You are")).to_be_visible()
    supervisor.wait_for_timeout(500)  # let its first requests finish
    supervisor.context.close()
    assert board_errors == [], "board or simulator"
