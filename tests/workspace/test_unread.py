"""The unread dot of My interactions: customer messages after the agent last had the interaction open are unread
(interactions.reading.interaction_mark_read, set when the agent opens it and whenever its conversation re-fetches),
shown in the list with the last message's first words, in a pinned number of queries whatever the list's length."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from interactions.models import Interaction, Message
from interactions.reading import interaction_mark_read
from tests.factories import PASSWORD, AgentFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.desk.selectors import agent_open_interactions

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
T0 = timezone.now().replace(microsecond=0)


def active_for(agent, **fields) -> Interaction:
    return InteractionFactory(agent=agent, state="active", accepted_at=T0, **fields)


def says(interaction, text: str, *, at, direction="in") -> Message:
    return InboundDMFactory(interaction=interaction, text=text, created_at=at, direction=direction,
                            delivery="" if direction == "in" else "sent")  # fmt: skip


def row(agent, interaction) -> Interaction:
    return agent_open_interactions(agent=agent).get(pk=interaction.pk)


def test_a_customer_message_is_unread_until_its_agent_opens_the_interaction():
    ana = AgentFactory()
    chat = active_for(ana)
    assert row(ana, chat).unread is False  # nothing said yet
    says(chat, "Hello?", at=T0)
    assert row(ana, chat).unread is True  # never opened since
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert interaction_mark_read(interaction_id=chat.pk, agent=ana) is True
    chat.refresh_from_db()
    assert chat.agent_read_at == T0 + timedelta(minutes=1)
    assert row(ana, chat).unread is False
    says(chat, "On it!", at=T0 + timedelta(minutes=2), direction="out")
    assert row(ana, chat).unread is False  # the agent's own answer is not unread
    says(chat, "Thanks, and one more thing", at=T0 + timedelta(minutes=3))
    assert row(ana, chat).unread is True


def test_only_its_own_agent_reads_it_and_a_later_read_is_never_put_back():
    ana, ben = AgentFactory(), AgentFactory()
    chat = active_for(ana)
    says(chat, "Hello?", at=T0)
    assert interaction_mark_read(interaction_id=chat.pk, agent=ben) is False  # not his
    assert interaction_mark_read(interaction_id=999_999, agent=ana) is False  # no such interaction
    chat.refresh_from_db()
    assert chat.agent_read_at is None and row(ana, chat).unread is True
    Interaction.objects.filter(pk=chat.pk).update(agent_read_at=T0 + timedelta(hours=1))
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):  # a clock behind another web server's
        assert interaction_mark_read(interaction_id=chat.pk, agent=ana) is False
    chat.refresh_from_db()
    assert chat.agent_read_at == T0 + timedelta(hours=1)


def test_opening_it_and_its_conversation_refresh_mark_it_read_for_its_agent_only():
    ana = AgentFactory()
    chat = active_for(ana)
    says(chat, "Hello?", at=T0)
    supervisor = AgentFactory(is_staff=True, is_superuser=True)
    assert sign_in(supervisor.username, PASSWORD).get(f"/workspace/interactions/{chat.pk}/").status_code == 200
    chat.refresh_from_db()
    assert chat.agent_read_at is None  # a supervisor looking in reads nothing for Ana

    client = sign_in(ana.username, PASSWORD)
    assert client.get(f"/workspace/interactions/{chat.pk}/", headers=HX).status_code == 200
    chat.refresh_from_db()
    first_read = chat.agent_read_at
    assert first_read is not None and row(ana, chat).unread is False

    says(chat, "Still there?", at=timezone.now())
    assert row(ana, chat).unread is True
    assert client.get(f"/workspace/interactions/{chat.pk}/conversation/", headers=HX).status_code == 200
    chat.refresh_from_db()
    assert chat.agent_read_at > first_read and row(ana, chat).unread is False


def test_the_list_shows_the_last_words_the_time_the_dot_and_the_open_row():
    ana = AgentFactory()
    quiet, waiting, tweet = active_for(ana), active_for(ana), active_for(ana, kind="twitter")
    says(waiting, "My bag <b>never</b> arrived " + "and more words " * 20, at=T0)
    says(tweet, "@brand @ana where is it?", at=T0)
    Message.objects.filter(interaction=tweet).update(display_start=len("@brand @ana "))
    client = sign_in(ana.username, PASSWORD)
    current = {"HX-Current-URL": f"http://testserver/workspace/interactions/{tweet.pk}/"}
    page = client.get(reverse("workspace:interaction_list"), headers={**HX, **current}).content.decode()
    rows = {i: page.split(f'data-interaction-id="{i.pk}"')[1].split("</li>")[0] for i in (quiet, waiting, tweet)}
    assert "No messages yet" in rows[quiet] and "unread" not in rows[quiet].split(">")[0]
    assert "My bag &lt;b&gt;never&lt;/b&gt; arrived" in rows[waiting]  # escaped
    assert "…" in rows[waiting] and rows[waiting].count("and more words") < 20  # the first words only
    assert 'aria-label="Unread message from the customer">' in rows[waiting]  # the dot, shown
    assert f'data-since="{T0:%s}"' in rows[waiting]
    assert "where is it?" in rows[tweet] and "@brand" not in rows[tweet]  # as X shows it
    assert 'aria-current="page"' in rows[tweet] and "aria-current" not in rows[waiting]
    assert 'aria-label="Unread message from the customer" hidden' in rows[tweet]  # open: read by definition


def test_the_list_costs_the_same_pinned_queries_for_2_or_40_rows(django_assert_num_queries):
    ana = AgentFactory()
    client = sign_in(ana.username, PASSWORD)
    for n in range(2):
        says(active_for(ana), f"hello {n}", at=T0)
    # Session, user, agent profile (agent_required), the agent's presences (for the empty list's words), the list with
    # its last messages (one query, subqueries): five. Unread flags and last words are annotations, never a query per
    # row.
    with django_assert_num_queries(5):
        assert client.get(reverse("workspace:interaction_list"), headers=HX).status_code == 200
    for n in range(38):
        chat = active_for(ana)
        says(chat, f"hello {n}", at=T0)
        says(chat, "answer", at=T0 + timedelta(seconds=1), direction="out")
    with django_assert_num_queries(5):
        body = client.get(reverse("workspace:interaction_list"), headers=HX).content.decode()
    assert body.count('class="interaction-item') == 40
