"""The agent's hot pages cost the same number of queries with 10 or 1,000 messages of history (bench/pages.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interactions.models import Interaction, Message
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InteractionFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def conversation_with(agent, size: int) -> Interaction:
    """An active DM conversation of `size` messages, every other one written by the agent."""
    contact = ContactFactory(assigned_agent=agent)
    InteractionFactory(contact=contact, agent=agent, state="done", done_at=timezone.now())  # Contact tab history
    interaction = InteractionFactory(contact=contact, agent=agent, state="active", accepted_at=timezone.now())
    Message.objects.bulk_create(
        Message(interaction=interaction, x_account=interaction.x_account, kind="dm",
                direction="in" if i % 2 == 0 else "out", delivery="" if i % 2 == 0 else "sent",
                author_agent=None if i % 2 == 0 else agent, text=f"message {i}")
        for i in range(size)
    )  # fmt: skip
    return interaction


def queries(client, url: str, **headers) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize(
    ("page", "url", "most"),
    [
        # + notes and labels; + the UPDATE marking it read (the list's unread dot, interactions.reading)
        ("workspace page", "/workspace/interactions/{interaction}/", 11),
        ("Conversation partial", "/workspace/interactions/{interaction}/conversation/", 8),  # + notes, + read
        ("Contact tab partial", "/workspace/contacts/{contact}/", 6),
    ],
)
def test_a_page_costs_the_same_queries_with_10_or_1000_messages(page, url, most):
    ana = AgentFactory(first_name="Ana")
    client = sign_in(ana.username, PASSWORD)
    counts = []
    for size in (10, 1000):
        interaction = conversation_with(ana, size)
        headers = {} if page == "workspace page" else HTMX
        count, body = queries(client, url.format(interaction=interaction.pk, contact=interaction.contact_id), **headers)
        counts.append(count)
        if page != "Contact tab partial":
            assert f"message {size - 1}" in body and "Ana ·" in body  # every message, signed by its agent
        else:
            assert f"{size} message" in body  # the history counts the open conversation's messages
    assert counts[0] == counts[1] <= most, f"{page}: {counts[0]} queries with 10 messages, {counts[1]} with 1,000"


def test_send_reads_the_transcript_once_whatever_its_length():
    """bench/send.py: Send read the whole conversation twice (a permission check, then the re-render)."""
    ana = AgentFactory(first_name="Ana")
    client = sign_in(ana.username, PASSWORD)
    transcripts = []
    for size in (10, 1000):
        interaction = conversation_with(ana, size)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(f"/workspace/interactions/{interaction.pk}/send/",
                                   {"text": "On its way", "idempotency_key": f"k-{size}"}, headers=HTMX)  # fmt: skip
        assert response.status_code == 200 and "On its way" in response.content.decode()
        reads = [
            q["sql"]
            for q in captured
            if q["sql"].startswith("SELECT")
            and "LEFT OUTER JOIN" in q["sql"]
            and 'FROM "interactions_message"' in q["sql"]
            and '"interactions_message"."interaction_id" ' in q["sql"]
        ]
        transcripts.append((len(reads), len(captured)))
    assert transcripts[0] == transcripts[1], f"(transcript reads, queries) with 10 and 1,000 messages: {transcripts}"
    assert transcripts[0][0] == 1 and transcripts[0][1] <= 17, f"(transcript reads, queries): {transcripts[0]}"


def test_a_long_chat_shows_its_latest_messages_and_points_to_the_rest():
    """The centre renders a chat's latest CHAT_WINDOW messages, not 10,000 bubbles; the rest are a link away."""
    from workspace.desk.selectors import CHAT_WINDOW

    ana = AgentFactory(first_name="Ana")
    client = sign_in(ana.username, PASSWORD)
    short, long = conversation_with(ana, CHAT_WINDOW), conversation_with(ana, CHAT_WINDOW + 50)
    body = client.get(f"/workspace/interactions/{short.pk}/conversation/", headers=HTMX).content.decode()
    assert "message 0<" in body and "earlier messages" not in body  # a short chat shows all of itself
    body = client.get(f"/workspace/interactions/{long.pk}/conversation/", headers=HTMX).content.decode()
    assert f"message {CHAT_WINDOW + 49}<" in body and "message 50<" in body and "message 49<" not in body
    assert "earlier messages in the Conversation tab" in body
    assert f'href="/workspace/contacts/{long.contact_id}/transcript/"' in body
