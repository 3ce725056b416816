"""Customer text is isolated and wrapped wherever agents and supervisors see it, in real Chromium at 1280×800: a
5,000-character name never widens the live board or a workspace panel, and a name holding U+202E (RIGHT-TO-LEFT
OVERRIDE) never reorders the words around it. Every name is in a <bdi> (unicode-bidi: isolate)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import Contact, ContactIdentity
from interactions.models import Interaction, Message, Offer
from social.models import XAccount
from workspace.agents.models import AgentNotice
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
VIEWPORT = {"width": 1280, "height": 800}
RLO = "\u202e"
OVERRIDDEN = f"{RLO}gnp.exe Eve"  # shown unisolated, the override also turns the words after it around
NUL_DRAFT = "Your bag is on its way\x00"


def long_name() -> str:
    """5,000 characters without a space; PostgreSQL keeps the column's 200 (SQLite stores all 5,000)."""
    name = "W" * 5000
    if connection.vendor == "postgresql":
        return name[: Contact._meta.get_field("display_name").max_length]
    return name


def world():
    """Ana works a chat with the long-named contact and one with the overriding name, has an offer from the long
    name and a notice about the override; the queue holds the long name for the supervisor."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    account = XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID)
    ana = get_user_model().objects.get(username="ana")
    now = timezone.now()
    interactions = {}
    for key, name, handle, x_id in (("long", long_name(), "w" * 100, "1790000000000005000"),
                                    ("rlo", OVERRIDDEN, f"{RLO}eve", "1790000000000000202")):  # fmt: skip
        contact = Contact.objects.create(display_name=name, assigned_agent=ana)
        ContactIdentity.objects.create(contact=contact, channel="twitter", external_id=x_id, handle=handle,
                                       display_name=name)  # fmt: skip
        chat = Interaction.objects.create(kind="chat", contact=contact, x_account=account, agent=ana, state="active",
                                          thread_key=f"dm-{x_id}", queued_at=now, accepted_at=now)  # fmt: skip
        Message.objects.create(interaction=chat, x_account=account, direction="in", kind="dm", external_id=x_id,
                               text=f"{name} needs the bag {'Z' * 3000}", author={"name": name})  # fmt: skip
        interactions[key] = chat
    long_contact = interactions["long"].contact
    offered = Interaction.objects.create(kind="twitter", contact=long_contact, x_account=account, state="offered",
                                         thread_key="tweet-5000", queued_at=now)  # fmt: skip
    Message.objects.create(interaction=offered, x_account=account, direction="in", kind="tweet",
                           external_id="1600000000000005000", text="@perchdemoair " + "V" * 270)  # fmt: skip
    Offer.objects.create(interaction=offered, agent=ana, expires_at=now + timedelta(minutes=10))
    Interaction.objects.create(kind="chat", contact=interactions["rlo"].contact, x_account=account, state="queued",
                               thread_key="dm-queued", queued_at=now)  # fmt: skip
    AgentNotice.objects.create(agent=ana, kind="contact_replied", contact=interactions["rlo"].contact,
                               text=f"{OVERRIDDEN} replied.")  # fmt: skip
    return interactions


def sign_in(page, base, username):
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def console_errors(page) -> list[str]:
    """Errors the page logs; the browser's own line for a 422 the test provokes on purpose is not one."""
    errors = []

    def console(message):
        if message.type == "error" and "status of 422" not in message.text:
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def assert_no_sideways_scroll(page, where):
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"{where} scrolls sideways by {sideways}px at 1280×800"


def assert_inside(page, inner: str, outer: str):
    """Every element matching `inner` lies within the box of its closest `outer` (1 px for rounding)."""
    spills = page.evaluate(
        """([inner, outer]) => [...document.querySelectorAll(inner)].filter(el => el.offsetParent).map(el => {
             if (!el.closest(outer)) return `${inner} is not inside ${outer}`;
             const a = el.getBoundingClientRect(), b = el.closest(outer).getBoundingClientRect();
             const out = a.left < b.left - 1 || a.right > b.right + 1;
             return out ? `${inner}: ${a.left}–${a.right} in ${b.left}–${b.right}` : null;
           }).filter(Boolean)""",
        [inner, outer],
    )
    assert spills == [], spills


def assert_isolated(page, selector: str):
    """The elements holding customer text are <bdi> or compute unicode-bidi: isolate."""
    found = page.evaluate(
        """sel => [...document.querySelectorAll(sel)].map(el => [el.tagName, getComputedStyle(el).unicodeBidi])""",
        selector,
    )
    assert found, f"nothing matches {selector}"
    assert all(tag == "BDI" or bidi == "isolate" for tag, bidi in found), (selector, found)


def assert_words_after_stay_after(page, selector: str):
    """In each `selector` element, the text after the overriding name is drawn to the right of the name."""
    turned = page.evaluate(
        """sel => [...document.querySelectorAll(sel)].filter(el => el.textContent.includes("\\u202e")).map(el => {
             const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
             const nodes = []; while (walker.nextNode()) nodes.push(walker.currentNode);
             const at = nodes.findIndex(n => n.data.includes("\\u202e"));
             const after = nodes.slice(at + 1).find(n => n.data.trim());
             if (!after) return null;
             const range = document.createRange(); range.selectNodeContents(nodes[at]);
             const name = range.getBoundingClientRect();
             range.selectNodeContents(after);
             const rest = range.getClientRects()[0];
             return rest.top >= name.bottom - 1 || rest.left >= name.right - 1 ? null : el.textContent;
           }).filter(Boolean)""",
        selector,
    )
    assert turned == [], f"the override turns the words after the name around: {turned}"


def test_long_and_overriding_names_stay_in_their_panels_in_the_workspace(live_server_url, page, screenshot):
    interactions = world()
    errors = console_errors(page)
    sign_in(page, live_server_url, "ana")
    expect(page.locator("#live-status")).to_have_text("Live")
    long_chat = interactions["long"]
    page.get_by_label("My interactions").locator(f"a[href$='/interactions/{long_chat.pk}/']").click()
    expect(page.locator(f"#interaction-{long_chat.pk}")).to_be_visible()
    expect(page.locator("#offers .toast")).to_be_visible()
    expect(page.locator("#contact-replied .toast")).to_be_visible()  # the overriding name's "… replied — Show"
    page.wait_for_timeout(300)  # the Contact tab and the transcript load after the interaction
    assert_no_sideways_scroll(page, "the workspace")
    screenshot("long-name-workspace")
    assert_inside(page, ".interaction-item", ".interactions-panel")
    assert_inside(page, ".interaction-head h1", ".centre")
    assert_inside(page, ".bubble", ".centre")
    assert_inside(page, ".toast", ".offers")
    assert page.evaluate("document.querySelector('.toast').getBoundingClientRect().right") <= VIEWPORT["width"]
    expect(page.locator(".contact-card .channel-row").first).to_be_visible()
    assert_inside(page, ".contact-card .channel-row", ".right-panel")
    assert_inside(page, ".contact-card .card-name", ".right-panel")
    for names in (".interaction-item .name", ".interaction-head h1 bdi", ".toast-name bdi", ".toast-text bdi",
                  ".bubble-text", ".contact-card .card-name bdi", ".contact-card .channel-value"):  # fmt: skip
        assert_isolated(page, names)

    # The Conversation tab: the transcript of the contact, and the override in the other chat.
    page.get_by_role("tab", name="Conversation").click()
    assert_inside(page, "#conversation-panel .line", ".right-panel")
    assert_isolated(page, "#conversation-panel .line-text")
    rlo_chat = interactions["rlo"]
    page.get_by_label("My interactions").locator(f"a[href$='/interactions/{rlo_chat.pk}/']").click()
    expect(page.locator(f"#interaction-{rlo_chat.pk}")).to_be_visible()
    page.get_by_role("tab", name="Conversation").click()
    expect(page.locator("#conversation-panel .line-meta").first).to_be_visible()
    assert_words_after_stay_after(page, "#conversation-panel .line-meta")
    screenshot("overriding-name-workspace")

    # The Connect view: the contact lists, the notice about the override, one contact opened.
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Connect").click()
    expect(page.get_by_role("list", name="Assigned Contacts", exact=True)).to_be_visible()
    assert_no_sideways_scroll(page, "the Connect view")
    assert_inside(page, ".contact-item", ".connect-left")
    assert_isolated(page, ".contact-item .name")
    assert_isolated(page, ".notice-text")
    assert_words_after_stay_after(page, ".notice-text")
    # A waiting offer's toast may sit over a column (top right, under the top bar): the keyboard reaches the contact
    # under it, as an agent's pointer would once the offer is answered.
    page.get_by_role("list", name="Assigned Contacts", exact=True).locator(".contact-item").first.press("Enter")
    expect(page.locator(".connect-head h1")).to_be_visible()
    page.wait_for_timeout(300)  # the transcript settles at its bottom
    assert_no_sideways_scroll(page, "the Connect view with the contact open")
    assert_inside(page, ".connect-head", ".connect-centre")
    assert_inside(page, ".connect-transcript .bubble", ".connect-transcript")
    assert_inside(page, ".connect-card .channel-row", ".connect-card")
    assert_isolated(page, ".connect-head h1 bdi")
    assert_isolated(page, ".connect-transcript .bubble-text")
    screenshot("long-name-connect")
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Workspace").click()

    # A refused Send says why in the composer, in the agent's own view, and leaves the draft as the agent left it
    # (only the composer's error line is swapped).
    page.get_by_label("My interactions").locator(f"a[href$='/interactions/{long_chat.pk}/']").click()
    composer = page.locator(f"#composer-{long_chat.pk}")
    composer.get_by_label("Write a message").fill(NUL_DRAFT)
    composer.get_by_label("Write a message").press("Enter")  # (the offer toast covers Send at 1280×800)
    expect(page.locator(f"#composer-{long_chat.pk} .composer-error")).to_contain_text("NUL character")
    expect(page.locator(f"#composer-{long_chat.pk}").get_by_label("Write a message")).to_have_value(NUL_DRAFT)
    assert not Message.objects.filter(direction="out").exists()
    assert errors == [], "\n".join(errors)


def test_long_and_overriding_names_keep_the_live_board_within_the_screen(live_server_url, page, screenshot):
    interactions = world()
    errors = console_errors(page)
    sign_in(page, live_server_url, "supervisor")
    page.goto(f"{live_server_url}/admin/board/")
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.get_by_label("Chat queue")).to_contain_text("gnp.exe")
    assert_no_sideways_scroll(page, "the live board")
    screenshot("long-name-board")
    assert_inside(page, ".board-panel table", ".board-panel")
    for names in ("#board-queue td.who bdi", "#board-agents .working bdi"):
        assert_isolated(page, names)
    assert_words_after_stay_after(page, "#board-queue td.who")

    long_chat = interactions["long"]
    row = page.get_by_role("row", name="Ana Alvarez", exact=True)
    row.get_by_label(f"Reassign #{long_chat.pk} to").select_option(label="Ben Brooks")
    row.locator(f"form[action$='/interactions/{long_chat.pk}/reassign/']").get_by_role("button").click()
    notice = page.get_by_role("status").filter(has_text="Reassigned")
    expect(notice).to_be_visible()
    assert_no_sideways_scroll(page, "the live board's reassign notice")
    assert_isolated(page, ".board-notice bdi")
    screenshot("long-name-board-reassigned")
    assert errors == [], "\n".join(errors)
