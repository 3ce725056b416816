"""The chat as an agent keeps it open all day, in real Chromium: a desktop notification for each new offer while the
tab is hidden (once, however often the offers re-render), and a transcript that opens on the latest message and
does not jump when a message arrives."""

import pytest
from playwright.sync_api import expect

from interactions.models import Interaction, Message
from tests.e2e.helpers import KEEP_NOTIFICATIONS, accept_offer, in_worker_thread
from tests.e2e.test_conversation import accept_dm, customer_dm, demo, poll  # noqa: F401 (demo is a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_offer_raises_one_desktop_notification_while_the_tab_is_hidden(demo, page, live_server_url):  # noqa: F811
    page.context.grant_permissions(["notifications"], origin=live_server_url)
    page.add_init_script(KEEP_NOTIFICATIONS)
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")
    page.get_by_role("switch", name="Chat Not Ready").click()
    expect(page.get_by_role("switch", name="Chat Ready")).to_be_visible()

    customer_dm(demo, "My flight was cancelled, what now?")
    poll()
    expect(page.get_by_role("alertdialog", name="New Chat interaction from Maya Patel")).to_be_visible()
    for _ in range(50):  # (wait_for_function would evaluate a string: the page's CSP forbids that)
        if page.evaluate("window.perchNotifications.length"):
            break
        page.wait_for_timeout(100)
    titles = page.evaluate("window.perchNotifications.map(n => [n.title, n.body])")
    # The name is isolated (FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE): it cannot reorder the words after it.
    assert titles == [["New Chat conversation", "\u2068Maya Patel\u2069: My flight was cancelled, what now?"]]
    page.evaluate("htmx.trigger(document.body, 'perch:offers.changed', {})")  # the offers re-render
    page.wait_for_timeout(500)
    assert page.evaluate("window.perchNotifications.length") == 1


def scroll_state(page, selector):
    return page.evaluate(
        """sel => { const el = document.querySelector(sel);
                    return {top: el.scrollTop, gap: el.scrollHeight - el.scrollTop - el.clientHeight}; }""",
        selector,
    )


def test_the_transcript_opens_on_the_latest_message_and_does_not_jump(demo, page):  # noqa: F811
    page.get_by_role("switch", name="Chat Not Ready").click()
    customer_dm(demo, "First question")
    poll()
    interaction = Interaction.objects.get()
    Message.objects.bulk_create(
        Message(interaction=interaction, direction="in", kind="dm", text=f"Earlier line {n}") for n in range(60)
    )
    Message.objects.create(interaction=interaction, direction="in", kind="dm", text="The latest line")
    conversation = accept_offer(page, "Chat", "Maya Patel")
    expect(conversation.get_by_text("The latest line")).to_be_in_viewport()  # opens at the bottom, like any chat
    scroller = f"#conversation-{interaction.pk} .transcript"  # the transcript scrolls; the composer stays in view
    assert scroll_state(page, scroller)["gap"] < 5
    expect(conversation.get_by_label("Write a message")).to_be_in_viewport()  # the composer is never scrolled away

    # Reading further up: a new message must not pull the agent away (nor throw them back to the top).
    page.evaluate(f"document.querySelector('{scroller}').scrollTop = 300")
    customer_dm(demo, "Are you still there?")
    poll()
    expect(conversation.get_by_label("Transcript")).to_contain_text("Are you still there?")
    assert abs(scroll_state(page, scroller)["top"] - 300) < 5

    # Back at the bottom: the next message shows, the view follows it.
    page.evaluate(f"const el = document.querySelector('{scroller}'); el.scrollTop = el.scrollHeight")
    customer_dm(demo, "Hello??")
    poll()
    expect(conversation.get_by_text("Hello??")).to_be_in_viewport()


def test_a_chat_a_supervisor_reassigns_locks_with_a_notice_and_keeps_the_draft(demo, page, screenshot):  # noqa: F811
    from django.contrib.auth import get_user_model

    from interactions import services

    conversation = accept_dm(demo, page, "Can I change my seat?")
    composer = conversation.get_by_label("Write a message")
    composer.fill("Of course! Which seat would you")
    users = get_user_model().objects
    interaction, ben, sam = Interaction.objects.get(), users.get(username="ben"), users.get(username="supervisor")

    in_worker_thread(lambda: services.interaction_reassign(interaction_id=interaction.pk, to_agent=ben, by=sam))

    notice = conversation.get_by_role("alert").filter(has_text="no longer yours")
    expect(notice).to_contain_text("Sam Supervisor gave it to Ben Brooks")
    expect(composer).to_have_value("Of course! Which seat would you")  # the draft is kept, to copy
    expect(composer).not_to_be_editable()
    expect(conversation.get_by_role("button", name="Send")).to_be_disabled()
    expect(page.locator("#interaction-list")).not_to_contain_text("Maya Patel")
    screenshot("chat-reassigned-away")
