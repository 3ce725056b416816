"""The workspace, the board and the admin index look like a product at 1280×800 and 1920×1080 (issue 18, item 4),
walked as an agent and a supervisor would: two offers stack in the top-right corner without covering the chat, the
list marks the open row and an unread customer message, the header keeps to one line, the composer grows, the right
panel's tabs stay put, Mark Done is compact, and the live board fits. Every picture is saved at both sizes."""

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from contacts.models import Contact
from interactions import services
from interactions.models import Interaction, Message
from interactions.presence import presence_set
from social import polling
from social.models import XAccount
from tests.e2e.helpers import Console, in_worker_thread, settled, sign_in
from workspace.agents.models import AgentProfile
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
MAYA, TOM, LUCIA = "1790000000000000101", "1790000000000000102", "1790000000000000103"
SIZES = [(1280, 800), (1920, 1080)]


def poll():
    in_worker_thread(lambda: polling.poll_account(account_id=XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID).pk))


@pytest.fixture
def simulator(live_server_url):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    return f"{live_server_url}/x-sandbox/simulator/api"


def dm(simulator, sender, text):
    body = {"sender_id": sender, "recipient_id": DEMO_ACCOUNT_USER_ID, "text": text}
    requests.post(f"{simulator}/dm", json=body, timeout=10).raise_for_status()


def answer(page, kind: str, name: str, button: str) -> None:
    toast = page.get_by_role("alertdialog", name=f"New {kind} interaction from {name}")
    toast.get_by_role("button", name=button).click()


def at_both_sizes(page, screenshot, name):
    """The picture at 1280×800 and 1920×1080, then back to 1280×800 (where the test goes on)."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(250)
        screenshot(f"{name}-{width}x{height}")
    page.set_viewport_size({"width": 1280, "height": 800})


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found, f"{locator} is not on screen"
    return found


def overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])  # fmt: skip


def assert_one_line_header(view, end_button: str):
    """Title, Sentiment and End on one line: their middles at the same height, the header two short lines."""
    title, end = box(view.locator(".interaction-head h1")), box(view.get_by_role("button", name=end_button))
    sentiment = box(view.get_by_label("Sentiment"))
    middle = title["y"] + title["height"] / 2
    for control in (end, sentiment):
        assert abs(control["y"] + control["height"] / 2 - middle) < title["height"] / 2, (title, control)
    assert box(view.locator(".interaction-head"))["height"] < 90
    assert view.locator(".interaction-head h1").evaluate("h => h.scrollWidth <= h.clientWidth")


def last_week_with_maya():
    """Maya wrote last week too: forty lines, so the Conversation tab has something to scroll (and an Older page)."""
    earlier = Interaction.objects.create(
        kind="chat", contact=Contact.objects.get(display_name="Maya Patel"), thread_key="last-week",
        x_account=XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID), state="done",
    )  # fmt: skip
    for n in range(40):
        Message.objects.create(interaction=earlier, direction="in" if n % 2 == 0 else "out", kind="dm",
                               delivery="" if n % 2 == 0 else "sent", text=f"Last week, line {n}")  # fmt: skip


def test_offers_the_list_the_header_the_composer_the_tabs_and_mark_done(simulator, live_server_url, page, screenshot):
    console = Console()
    console.watch(page, "ana")
    last_week_with_maya()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server_url, "ana")
    page.get_by_role("switch", name="Chat Not Ready").click()
    expect(page.get_by_role("switch", name="Chat Ready")).to_be_visible()

    dm(simulator, MAYA, "Hi, my bag never arrived 😡 can you help?")
    poll()
    page.get_by_role("alertdialog", name="New Chat interaction from Maya Patel").get_by_role(
        "button", name="Accept"
    ).click()
    maya_view = page.get_by_role("article", name="Interaction with Maya Patel")
    expect(maya_view.get_by_label("Transcript")).to_contain_text("my bag never arrived")
    settled(page)
    my_list = page.get_by_label("My interactions")
    maya_row = my_list.get_by_role("link", name="Maya Patel")
    expect(maya_row).to_have_attribute("aria-current", "page")  # the open row is marked
    expect(maya_row).to_contain_text("Hi, my bag never arrived")  # its last message's first words
    expect(maya_row.locator("time[data-since]")).to_have_text("now")
    assert_one_line_header(maya_view, "End chat")

    # The composer grows with its text up to its limit, then scrolls; its hint stays on one line.
    box_ = maya_view.get_by_label("Write a message")
    empty = box(box_)["height"]
    box_.fill("\n".join(f"line {n}" for n in range(5)))
    grown = box(box_)["height"]
    assert grown > empty + 40, (empty, grown)
    box_.fill("\n".join(f"line {n}" for n in range(40)))
    assert box(box_)["height"] <= 241 and box_.evaluate("t => t.scrollHeight > t.clientHeight")
    box_.fill("")
    assert box(box_)["height"] == empty
    hint = maya_view.locator(".composer-hint")
    assert hint.evaluate("h => h.scrollWidth <= h.clientWidth") and box(hint)["height"] < 20

    # The Conversation tab reads like the chat: oldest at the top, opened at the latest, "Older" at the top; its
    # tab bar stays in place however its content scrolls.
    page.get_by_role("tab", name="Conversation").click()
    panel = page.locator("#conversation-panel")
    lines = panel.locator(".line .line-text")
    expect(lines.last).to_have_text("Hi, my bag never arrived 😡 can you help?")
    expect(lines.first).to_have_text("Last week, line 11")  # a page of 30, the oldest of it first
    expect(panel.locator(".older")).to_be_visible()
    assert panel.evaluate("p => p.firstElementChild.querySelector('li').matches('.older')")
    page.wait_for_function("p => p.scrollHeight - p.scrollTop - p.clientHeight < 2", arg=panel.element_handle())
    tabs_at = box(page.get_by_role("tablist", name="Details"))["y"]
    panel.evaluate("p => { p.scrollTop = 0; }")
    panel.get_by_role("link", name="Older").click()
    expect(lines.first).to_have_text("Last week, line 0")
    panel.evaluate("p => { p.scrollTop = p.scrollHeight / 2; }")
    expect(page.get_by_role("tab", name="Contact")).to_be_in_viewport(ratio=1)
    assert box(page.get_by_role("tablist", name="Details"))["y"] == tabs_at
    page.get_by_role("tab", name="Contact").click()
    expect(page.get_by_label("Contact Maya Patel")).to_be_visible()
    page.locator("#details").evaluate("d => { d.scrollTop = d.scrollHeight; }")
    assert box(page.get_by_role("tablist", name="Details"))["y"] == tabs_at
    clipped = page.locator(".tab").evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth).length")
    assert clipped == 0
    # Found trying Perch: "Communication ↗" lay over the right third of "Contact" (a click there left the page).
    for width, height in ((1280, 800), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        bar = box(page.locator(".right-panel .tabs"))
        items = [box(item) for item in page.locator(".right-panel .tabs .tab").all()]
        edges = [(item["x"], item["x"] + item["width"]) for item in items]
        pairs = zip(edges, edges[1:], strict=False)
        assert all(right <= after + 0.5 for (_, right), (after, _) in pairs), (width, edges)
        assert edges[-1][1] <= bar["x"] + bar["width"] + 0.5, (width, edges, bar)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("tab", name="Conversation").click()
    panel.evaluate("p => { p.scrollTop = p.scrollHeight; }")  # back to the latest, for the pictures
    at_both_sizes(page, screenshot, "workspace-dm")

    # Two offers stack in the top-right corner, under the top bar, and cover neither the chat nor its composer.
    dm(simulator, TOM, "Hello, I need help with a refund for my cancelled flight to Porto")
    dm(simulator, LUCIA, "Hola! My seat was given away, what can I do?")
    poll()
    toasts = page.locator("#offers .toast")
    expect(toasts).to_have_count(2)
    page.wait_for_timeout(300)  # the toasts rise into place
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        first, second = box(toasts.nth(0)), box(toasts.nth(1))
        assert second["y"] >= first["y"] + first["height"], "the second offer stacks under the first"
        assert first["y"] >= box(page.locator(".topbar"))["height"] and first["x"] + first["width"] <= width
        for toast in (first, second):
            for covered in (maya_view.get_by_label("Write a message"), maya_view.get_by_role("button", name="Send"),
                            maya_view.get_by_role("button", name="End chat"), maya_view.get_by_label("Transcript"),
                            page.locator(".centre")):  # fmt: skip
                assert not overlap(toast, box(covered)), f"an offer covers {covered} at {width}×{height}"
        screenshot(f"workspace-two-offers-{width}x{height}")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Tom's is taken; Maya writes again while Tom's is open: her row shows the unread dot.
    page.get_by_role("alertdialog", name="New Chat interaction from Tom Becker").get_by_role(
        "button", name="Accept"
    ).click()
    expect(page.get_by_role("article", name="Interaction with Tom Becker")).to_be_visible()
    page.get_by_role("alertdialog", name="New Chat interaction from Lucía Gómez").get_by_role(
        "button", name="Reject"
    ).click()
    tom_row = my_list.get_by_role("link", name="Tom Becker")
    expect(tom_row).to_have_attribute("aria-current", "page")
    expect(maya_row).not_to_have_attribute("aria-current", "page")
    dot = maya_row.get_by_role("img", name="Unread message from the customer")
    expect(dot).to_be_hidden()
    dm(simulator, MAYA, "Are you still there? <b>hello</b>")
    poll()
    expect(maya_row).to_contain_text("Are you still there? <b>hello</b>")  # escaped, as text
    expect(dot).to_be_visible()
    expect(tom_row.get_by_role("img", name="Unread message from the customer")).to_be_hidden()

    # Opening it clears the dot, and it stays cleared: the server has it as read.
    maya_row.click()
    expect(maya_view.get_by_label("Transcript")).to_contain_text("Are you still there?")
    expect(dot).to_be_hidden()
    expect(maya_row).to_have_attribute("aria-current", "page")
    page.goto(f"{live_server_url}/workspace/")
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(my_list.get_by_role("link", name="Maya Patel")).to_be_visible()
    expect(my_list.get_by_role("img", name="Unread message from the customer")).to_have_count(0)
    expect(my_list.locator("[aria-current]")).to_have_count(0)  # nothing open

    # Mark Done is one compact block under the conversation.
    my_list.get_by_role("link", name="Maya Patel").click()
    maya_view.get_by_role("button", name="End chat").click()
    expect(maya_view.locator(".interaction-state")).to_have_text("Ended")
    done = maya_view.locator("form.mark-done")
    expect(done).to_be_visible()
    settled(page)
    assert box(done)["height"] <= 120, box(done)
    disposition, note = box(page.get_by_label("Disposition")), box(page.get_by_label("Note", exact=True))
    button = box(done.get_by_role("button", name="Mark Done"))
    assert (
        abs(disposition["y"] - note["y"]) < 2 and abs(button["y"] + button["height"] - note["y"] - note["height"]) < 2
    )
    at_both_sizes(page, screenshot, "mark-done")
    page.get_by_label("Disposition").select_option(label="Resolved")
    done.get_by_role("button", name="Mark Done").click()
    expect(page.get_by_role("heading", name="Marked done")).to_be_visible()
    assert console.errors == [], "\n".join(console.errors)


def test_a_tweet_has_the_same_one_line_header(simulator, live_server_url, page, screenshot):
    console = Console()
    console.watch(page, "ana")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server_url, "ana")
    page.get_by_role("switch", name="Twitter Not Ready").click()
    expect(page.get_by_role("switch", name="Twitter Ready")).to_be_visible()
    requests.post(f"{simulator}/tweet", timeout=10, json={
        "author_id": LUCIA, "text": "@perchdemoair my flight was cancelled and nobody answers the phone 😤",
    }).raise_for_status()  # fmt: skip
    poll()
    answer(page, "Twitter", "Lucía Gómez", "Accept")
    view = page.get_by_role("article", name="Interaction with Lucía Gómez")
    expect(view.get_by_label("Tweet thread")).to_contain_text("nobody answers the phone")
    settled(page)
    view.get_by_text("+ Add label").click()
    view.get_by_role("button", name="Escalated").click()
    expect(view.get_by_role("list", name="Labels")).to_contain_text("Escalated")
    page.keyboard.press("Escape")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert_one_line_header(view, "End conversation")
    at_both_sizes(page, screenshot, "workspace-tweet")
    assert console.errors == [], "\n".join(console.errors)


def test_the_live_board_and_the_admin_index_fit(simulator, live_server_url, page, screenshot):
    User = get_user_model()
    ana, ben = User.objects.get(username="ana"), User.objects.get(username="ben")
    AgentProfile.objects.filter(user__in=[ana, ben]).update(chat_capacity=2, twitter_capacity=2)
    in_worker_thread(lambda: call_command(
        "simulate_customers", rate=8, duration=2, seed=3, base_url=simulator.removesuffix("/simulator/api"),
        stdout=open("/dev/null", "w"),
    ))  # fmt: skip
    poll()

    def agents_work():
        for agent in (ana, ben):
            for channel in ("chat", "twitter"):
                presence_set(agent=agent, channel=channel, ready=True)
        for offer in ana.offers.filter(state="offered"):
            services.interaction_accept(interaction_id=offer.interaction_id, agent=ana)

    in_worker_thread(agents_work)
    console = Console()
    console.watch(page, "supervisor")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server_url, "supervisor")
    page.goto(f"{live_server_url}/admin/")

    # The index: supervisors' things first; logins and security grouped away, closed.
    supervising = page.get_by_role("region", name="Supervising")
    for name in ("Open the live board", "Reports", "Queue", "Agents", "X accounts"):
        expect(supervising.get_by_role("link", name=name, exact=True)).to_be_visible()
    security = page.locator("details.index-security")
    expect(security).not_to_have_attribute("open", "")
    expect(security.locator(".app-auth, .app-axes")).to_have_count(2)
    expect(page.locator(".app-auth:visible, .app-axes:visible")).to_have_count(0)
    assert box(supervising)["y"] < box(page.locator(".app-interactions"))["y"]
    at_both_sizes(page, screenshot, "admin-index")

    supervising.get_by_role("link", name="Open the live board").click()
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator("#board-queue .board-table tbody tr").first).to_be_visible()
    page.wait_for_timeout(1200)  # the waiting times tick once
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        for panel in ("#board-queue", "#board-agents"):
            card = box(page.locator(panel))
            spilled = page.locator(f"{panel} button, {panel} select, {panel} td").evaluate_all(
                """(els, card) => els.map(e => e.getBoundingClientRect())
                     .filter(r => r.width && (r.left < card.x - 1 || r.right > card.x + card.width + 1)).length""",
                card,
            )
            assert spilled == 0, f"{spilled} controls of {panel} stick out of its card at {width}×{height}"
        waits = page.locator("#board-queue td.wait, #board-agents td.idle").evaluate_all(
            """els => els.filter(e => {
                 const range = document.createRange(); range.selectNodeContents(e);
                 return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
               }).map(e => e.textContent)"""
        )
        assert waits == [], f"idle or waiting times on two lines at {width}×{height}: {waits}"
        screenshot(f"board-{width}x{height}")
    assert console.errors == [], "\n".join(console.errors)
