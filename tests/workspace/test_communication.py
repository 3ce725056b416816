"""The Communication tab (Connect group) and the right panel's Conversation tab: who sees which contact, search,
the transcript of all interactions (paginated, constant queries), Write a message and the X icon."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interactions import routing
from interactions import services as interaction_services
from interactions.errors import InteractionError
from interactions.models import Interaction, Message
from tests.factories import (
    PASSWORD,
    AgentFactory,
    ContactFactory,
    InboundDMFactory,
    InteractionFactory,
    TwitterIdentityFactory,
    XAccountFactory,
)
from tests.helpers import sign_in
from workspace.agents.models import AgentNotice

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


def x_contact(name="Maya Patel", handle="mayapatel", **fields):
    return TwitterIdentityFactory(contact=ContactFactory(display_name=name, **fields), handle=handle).contact


def with_history(contact, count: int, account=None):
    """`count` messages with the contact over ten interactions, half inbound DMs, half outbound tweets."""
    account = account or XAccountFactory()
    start = timezone.now() - timedelta(days=30)
    interactions = [
        InteractionFactory(contact=contact, x_account=account, kind="chat" if i % 2 else "twitter", state="done")
        for i in range(10)
    ]
    Message.objects.bulk_create(
        Message(
            interaction=interactions[i % 10], x_account=account, kind="dm" if i % 2 else "tweet",
            direction="in" if i % 2 else "out", delivery="" if i % 2 else "sent", text=f"message {i}",
            external_id=f"{contact.pk}-{i}", created_at=start + timedelta(minutes=i),
        )
        for i in range(count)
    )  # fmt: skip
    return interactions


def test_the_tab_lists_assigned_and_unassigned_contacts_and_never_another_agents(client, ana):
    mine = x_contact("Maya Patel", assigned_agent=ana)
    free = x_contact("Tom Becker", "tombecker")
    theirs = x_contact("Lena Ortiz", "lenaortiz", assigned_agent=AgentFactory())
    html = client.get(reverse("workspace:communication"), headers=HX).content.decode()
    assigned, unassigned = html.split(">Unassigned contacts<")
    assert "Maya Patel" in assigned and "Tom Becker" not in assigned
    assert "Tom Becker" in unassigned and "Maya Patel" not in unassigned
    assert "Lena Ortiz" not in html
    for url in (
        reverse("workspace:communication_contact", args=[theirs.pk]),
        reverse("workspace:contact_transcript", args=[theirs.pk]),
        reverse("workspace:communication") + f"?contact={theirs.pk}",
    ):
        assert client.get(url, headers=HX).status_code == 404
    for name in ("contact_message", "contact_chat"):
        assert client.post(reverse(f"workspace:{name}", args=[theirs.pk]), {"text": "hi"}).status_code == 404
    assert not Message.objects.filter(direction="out").exists()
    for visible in (mine, free):
        assert client.get(reverse("workspace:communication_contact", args=[visible.pk]), headers=HX).status_code == 200


def test_the_contact_of_a_conversation_the_agent_works_is_visible_even_when_assigned_elsewhere(client, ana):
    contact = x_contact(assigned_agent=AgentFactory())
    url = reverse("workspace:communication_contact", args=[contact.pk])
    assert client.get(url, headers=HX).status_code == 404
    InteractionFactory(contact=contact, agent=ana, state="active")
    assert client.get(url, headers=HX).status_code == 200


def test_search_finds_contacts_by_name_handle_x_id_and_message_text(client, ana):
    maya = x_contact("Maya Patel", "mayapatel")
    InboundDMFactory(interaction=InteractionFactory(contact=maya), text="My suitcase went to Lisbon")
    x_contact("Lena Ortiz", "lenaortiz", assigned_agent=AgentFactory())  # another agent's: never found
    x_id = maya.identities.get().external_id
    for query in ("maya", "@MayaPat", x_id, "lisbon"):
        html = client.get(reverse("workspace:communication"), {"q": query}, headers=HX).content.decode()
        results = html.split('aria-label="Search results"')[1].split("</ul>")[0]
        assert "Maya Patel" in results, query
    html = client.get(reverse("workspace:communication"), {"q": "lena"}, headers=HX).content.decode()
    assert "No contact matches" in html and "Lena Ortiz" not in html


def test_the_transcript_shows_every_interaction_in_reading_order_and_older_pages(client, ana):
    contact = x_contact(assigned_agent=ana)
    with_history(contact, 75)
    url = reverse("workspace:contact_transcript", args=[contact.pk])
    first = client.get(url, headers=HX).content.decode()
    assert first.index("message 73") < first.index("message 74")  # oldest at the top, as the chat reads
    assert "message 45" in first and "message 44" not in first  # the latest page of 30
    assert first.index(">Older<") < first.index("message 45")  # "Older" at the top
    assert first.count('class="transcript-divider"') >= 3 and "Tweet" in first and "DM" in first
    older = first.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")
    second = client.get(older, headers=HX).content.decode()
    assert "message 44" in second and "message 15" in second and "message 45" not in second
    third = client.get(second.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&"), headers=HX).content.decode()
    assert "message 0" in third and "Older" not in third
    assert client.get(url).status_code == 200  # a real page too (the whole workspace, Conversation tab open)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, headers=HX).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("name", "pinned"), [("communication", 12), ("communication_contact", 6), ("contact_transcript", 6)]
)
def test_query_counts_do_not_grow_with_the_history(client, ana, name, pinned, django_assert_num_queries):
    small = x_contact("Small History", assigned_agent=ana)
    large = x_contact("Large History", "large", assigned_agent=ana)
    account = XAccountFactory()
    with_history(small, 10, account)
    with_history(large, 1000, account)
    AgentNotice.objects.create(agent=ana, kind="contact_replied", contact=large, text="Large History replied.")

    def url(contact):
        if name == "communication":
            return reverse("workspace:communication") + f"?contact={contact.pk}&q=history"
        return reverse(f"workspace:{name}", args=[contact.pk])

    _queries(client, url(small))  # warm the session
    counts = (_queries(client, url(small)), _queries(client, url(large)))
    assert counts[0] == counts[1]  # 10 or 1,000 messages of history: the same queries
    with django_assert_num_queries(pinned):  # session, agent, contact, identities, one page of transcript, …
        client.get(url(large), headers=HX)


def test_write_a_message_queues_one_dm_through_the_outbox_and_keeps_the_agent_free(client, ana):
    contact = x_contact(assigned_agent=ana)
    InteractionFactory(contact=contact, state="done")
    url = reverse("workspace:contact_message", args=[contact.pk])
    for _ in range(2):  # a double-clicked Send
        response = client.post(url, {"text": "Your bag is on its way", "idempotency_key": "k-1"}, headers=HX)
        assert response.status_code == 200
    dm = Message.objects.get(direction="out")
    assert (dm.kind, dm.text, dm.delivery, dm.author_agent) == ("dm", "Your bag is on its way", "queued", ana)
    assert dm.interaction.agent == ana and dm.interaction.state == "done"  # no live chat taken on
    assert "Your bag is on its way" in response.content.decode() and "Added to the outbox" in response.content.decode()
    assert not client.get(reverse("workspace:interaction_list")).content.decode().count("Maya Patel")


def test_write_a_message_refuses_bad_input_with_a_clear_error(client, ana):
    contact = x_contact(assigned_agent=ana)
    InteractionFactory(contact=contact, state="done")
    response = client.post(reverse("workspace:contact_message", args=[contact.pk]), {"text": "  "}, headers=HX)
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()
    nobody = ContactFactory(display_name="No Handle", assigned_agent=ana)
    response = client.post(reverse("workspace:contact_message", args=[nobody.pk]), {"text": "hi"}, headers=HX)
    assert response.status_code == 422 and "has no X identity" in response.content.decode()
    assert not Message.objects.filter(direction="out").exists() and not Interaction.objects.filter(agent=ana).exists()


def test_the_x_icon_opens_a_new_chat_interaction_of_the_agent(client, ana):
    contact = x_contact(assigned_agent=ana)
    InteractionFactory(contact=contact, state="done")
    response = client.post(reverse("workspace:contact_chat", args=[contact.pk]), headers=HX)
    chat = Interaction.objects.get(agent=ana)
    assert (chat.kind, chat.state, chat.contact) == ("chat", "active", contact)
    assert (
        response.status_code == 200
        and '<span class="visually-hidden">Interaction with </span>' in response.content.decode()
    )
    assert response["HX-Push-Url"] == reverse("workspace:interaction", args=[chat.pk])
    assert "Write a message" in response.content.decode()
    again = interaction_services.interaction_start_chat(contact_id=contact.pk, agent=ana)
    assert again.pk == chat.pk  # the agent's open chat, not a second one


def test_the_x_icon_refuses_when_another_agent_holds_the_conversation(client, ana):
    contact = x_contact()
    _waiting_chat(contact, state="active", agent=AgentFactory(first_name="Ben"))
    response = client.post(reverse("workspace:contact_chat", args=[contact.pk]), headers=HX)
    assert response.status_code == 409 and "is working a conversation with Maya Patel" in response.content.decode()
    assert response["HX-Retarget"] == "#comm-contact-error"
    with pytest.raises(InteractionError, match="no X identity"):
        interaction_services.interaction_start_chat(contact_id=ContactFactory().pk, agent=ana)


def test_a_contact_replying_leaves_a_notification_with_show(client, ana):
    contact = x_contact(assigned_agent=ana)
    InteractionFactory(contact=contact)  # queued; Ana is Not Ready, so she is told rather than offered
    routing.route_queue()
    notice = AgentNotice.objects.get(agent=ana)
    assert (notice.kind, notice.contact, notice.text) == ("contact_replied", contact, "Maya Patel replied.")
    html = client.get(reverse("workspace:notices"), headers=HX).content.decode()
    assert "<bdi>Maya Patel</bdi> replied." in html  # the name isolated from the words around it
    assert f'hx-get="{reverse("workspace:communication_contact", args=[contact.pk])}"' in html
    assert not AgentNotice.objects.exclude(agent=ana).exists()


def test_the_communication_page_is_a_real_page_with_its_tab_open(client, ana):
    contact = x_contact(assigned_agent=ana)
    html = client.get(reverse("workspace:communication") + f"?contact={contact.pk}").content.decode()
    assert 'id="tab-communication"' in html and "data-tab-fixed" in html
    assert 'aria-label="Communication with Maya Patel"' in html
    assert 'aria-controls="communication-panel" class="tab"\n              aria-selected="true"' in html


def _waiting_chat(contact, **fields):
    account = XAccountFactory()
    x_id = contact.identities.get().external_id
    thread = "-".join(sorted([x_id, account.x_user_id], key=int))
    return InteractionFactory(contact=contact, x_account=account, thread_key=thread, **fields)


def test_answering_a_contact_who_waits_in_the_queue_takes_their_conversation(client, ana):
    contact = x_contact(assigned_agent=ana)
    waiting = _waiting_chat(contact)  # queued: Ana is Not Ready, the contact wrote again
    InboundDMFactory(interaction=waiting, text="Any news?")
    response = client.post(
        reverse("workspace:contact_message", args=[contact.pk]), {"text": "Yes! Found it."}, headers=HX
    )
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert (waiting.state, waiting.agent) == ("active", ana)  # offered to Ana and accepted: the usual moves
    assert list(waiting.messages.values_list("text", flat=True)) == ["Any news?", "Yes! Found it."]
    assert waiting.offers.get().state == "accepted"


def test_a_conversation_offered_to_another_agent_is_not_taken(client, ana):
    contact = x_contact()
    waiting = _waiting_chat(contact)
    interaction_services.interaction_offer(interaction_id=waiting.pk, agent=AgentFactory(first_name="Ben"))
    response = client.post(reverse("workspace:contact_message", args=[contact.pk]), {"text": "Hello"}, headers=HX)
    assert response.status_code == 422 and "being offered to" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == "offered" and not Message.objects.filter(direction="out").exists()


def test_a_missed_offer_is_kept_in_the_notifications(client, ana):
    interaction = InteractionFactory(contact=x_contact())
    offer = interaction_services.interaction_offer(interaction_id=interaction.pk, agent=ana)
    with time_machine.travel(offer.expires_at + timedelta(seconds=1)):
        assert interaction_services.offer_expire(offer_id=offer.pk)  # its timer ran out
    html = client.get(reverse("workspace:notices"), headers=HX).content.decode()
    assert "You missed a Chat offer from <bdi>Maya Patel</bdi>." in html


def test_a_failed_async_dm_shows_why_and_can_be_retried_from_the_transcript(client, ana):
    contact = x_contact(assigned_agent=ana)
    interaction = InteractionFactory(contact=contact, state="done", agent=ana)
    failed = Message.objects.create(
        interaction=interaction, direction="out", kind="dm", text="Your refund is done", author_agent=ana,
        delivery="failed", last_error="X refused the DM: blocked (403)",
    )  # fmt: skip
    transcript = client.get(reverse("workspace:contact_transcript", args=[contact.pk]), headers=HX).content.decode()
    assert "Failed</span> — X refused the DM: blocked (403)" in transcript
    assert reverse("workspace:message_retry", args=[failed.pk]) in transcript
    client.post(reverse("workspace:message_retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert (
        failed.delivery in ("queued", "sending", "sent", "failed")
        and failed.last_error != "X refused the DM: blocked (403)"
    )
    ben_sees = sign_in(AgentFactory().username, PASSWORD)  # another agent: no retry of Ana's message
    assert ben_sees.post(reverse("workspace:message_retry", args=[failed.pk])).status_code == 404


@pytest.mark.parametrize("value", ["%C2%B2", "99999999999999999999999", "-1", "abc", "1%002"])
def test_a_contact_parameter_that_is_no_contact_id_never_500s(client, value):
    """A "²" passes str.isdigit() but not int(): it used to 500 the tab."""
    response = client.get(reverse("workspace:communication") + f"?contact={value}", headers=HX)
    assert response.status_code in (404, 422)
    assert response.status_code == 404 or "That contact link is broken" in response.content.decode()
