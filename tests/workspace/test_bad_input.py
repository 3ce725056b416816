"""Bad input in the agent's and the supervisor's forms is refused at the edge, in words, where the person was
working — never a 500, on SQLite and on PostgreSQL (a NUL character only breaks PostgreSQL), and nothing is kept.

Every parameter a workspace, board or admin view reads goes through a Django form; these are the values a probe
sent (NUL characters, a 65-character idempotency key, ids that are not numbers or do not exist, cursors past the
year 9999)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from interactions.models import Interaction, InteractionNote, Label, Message
from tests.factories import (
    PASSWORD,
    AgentFactory,
    ContactFactory,
    InboundDMFactory,
    InteractionFactory,
    TwitterIdentityFactory,
)
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
NUL = "before\x00after"
LONG_KEY = "k" * 65
HUGE_ID = "99999999999999999999999"


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


def chat_of(agent, state="active") -> Interaction:
    contact = TwitterIdentityFactory(contact=ContactFactory(display_name="Maya Patel"), handle="mayapatel").contact
    interaction = InteractionFactory(agent=agent, contact=contact, state=state, accepted_at=timezone.now())
    InboundDMFactory(interaction=interaction, text="Where is my bag?")
    return interaction


def tweets_of(agent) -> Interaction:
    interaction = InteractionFactory(agent=agent, kind="twitter", state="active", accepted_at=timezone.now())
    InboundDMFactory(interaction=interaction, kind="tweet", text="@acme where is my bag?",
                     external_id="1600000000000000001", author={"id": "1", "username": "mayapatel"})  # fmt: skip
    return interaction


def refused(response, status: int, *words: str) -> str:
    """The answer is `status` and says why in words (the words appear in the body, whatever the HTML around them)."""
    body = response.content.decode()
    assert response.status_code == status, (response.status_code, body[:500])
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
    for word in words:
        assert word in text, (word, text[:1000])
    return body


def composer_error(body: str) -> str:
    """What the composer's error line (above Send) says."""
    found = re.search(r'<p class="composer-error" id="composer-error-\d+" role="alert">(.*?)</p>', body, re.S)
    assert found, "the composer is not in the answer"
    return found.group(1).strip()


# --- The Conversation's composer: Send, private note, Like ---------------------------------------------
@pytest.mark.parametrize(
    "form,words",
    [
        ({"text": NUL}, "NUL character"),
        ({"text": "Hello", "idempotency_key": LONG_KEY}, "reload the page"),
        ({"text": NUL, "idempotency_key": LONG_KEY}, "NUL character"),
    ],
    ids=["nul-in-text", "65-char-key", "both"],
)
def test_send_refuses_a_nul_or_an_over_long_key_in_the_composer(client, ana, form, words):
    interaction = chat_of(ana)
    url = reverse("workspace:interaction_send", args=[interaction.pk])
    body = refused(client.post(url, {"idempotency_key": "k1", **form}, headers=HX), 422, words)
    assert words in composer_error(body)
    assert f'id="interaction-{interaction.pk}"' in body  # the htmx target: the agent's view, draft kept
    assert ("after" in body) == ("after" in form["text"])  # the draft is given back (without the NUL)
    assert "\x00" not in body
    assert not Message.objects.filter(direction="out").exists()


def test_a_reply_refuses_a_tweet_id_that_is_not_an_x_id(client, ana):
    interaction = tweets_of(ana)
    url = reverse("workspace:interaction_send", args=[interaction.pk])
    for tweet_id in ("1600000000000000001\x00", "abc", HUGE_ID * 3):
        form = {"text": "On it", "in_reply_to_tweet_id": tweet_id, "idempotency_key": "k1"}
        refused(client.post(url, form, headers=HX), 422, "tweet")
    assert not Message.objects.filter(direction="out").exists()


def test_a_private_note_refuses_a_nul_or_an_over_long_key(client, ana):
    interaction = chat_of(ana)
    url = reverse("workspace:interaction_note", args=[interaction.pk])
    body = refused(client.post(url, {"text": NUL, "idempotency_key": "k1"}, headers=HX), 422, "NUL character")
    assert "NUL character" in composer_error(body)
    refused(client.post(url, {"text": "Lost in Lisbon", "idempotency_key": "k" * 100}, headers=HX), 422, "reload")
    assert not InteractionNote.objects.exists()


def test_like_refuses_a_garbage_tweet_id_or_key(client, ana):
    interaction = tweets_of(ana)
    url = reverse("workspace:interaction_like", args=[interaction.pk])
    refused(client.post(url, {"tweet_id": "1\x00", "idempotency_key": "k1"}, headers=HX), 422, "tweet")
    form = {"tweet_id": "1600000000000000001", "idempotency_key": LONG_KEY}
    refused(client.post(url, form, headers=HX), 422, "reload the page")
    assert not Message.objects.filter(direction="out").exists()


# --- Mark Done, sentiment, labels ------------------------------------------------------------------------
@pytest.mark.parametrize("disposition", ["abc", "999999", HUGE_ID, "1\x00", "-1"])
def test_mark_done_refuses_a_disposition_that_is_not_a_label(client, ana, disposition):
    interaction = chat_of(ana, state="ended")
    Label.objects.create(name="Resolved")
    url = reverse("workspace:interaction_done", args=[interaction.pk])
    body = refused(
        client.post(url, {"disposition": disposition, "note": "Sent the bag"}, headers=HX), 422, "disposition"
    )
    assert "Mark Done" in body  # the form is back, where the agent was
    interaction.refresh_from_db()
    assert interaction.state == "ended" and interaction.disposition is None  # not done without the label picked


def test_mark_done_refuses_a_nul_in_the_note_and_an_unknown_interaction(client, ana):
    interaction = chat_of(ana, state="ended")
    label = Label.objects.create(name="Resolved")
    url = reverse("workspace:interaction_done", args=[interaction.pk])
    refused(client.post(url, {"disposition": label.pk, "note": NUL}, headers=HX), 422, "NUL character")
    interaction.refresh_from_db()
    assert interaction.state == "ended"
    unknown = f"/workspace/interactions/{HUGE_ID}/done/"
    assert client.post(unknown, {"disposition": label.pk}, headers=HX).status_code == 404
    assert client.post("/workspace/interactions/999999/done/", {"disposition": "abc"}, headers=HX).status_code == 404


@pytest.mark.parametrize("sentiment", ["abc", "", NUL, "negative" * 50])
def test_sentiment_garbage_is_refused_in_the_interaction(client, ana, sentiment):
    interaction = chat_of(ana)
    url = reverse("workspace:interaction_sentiment", args=[interaction.pk])
    body = refused(client.post(url, {"sentiment": sentiment}, headers=HX), 422, "negative, neutral or positive")
    assert f'id="interaction-{interaction.pk}"' in body  # the picker's htmx target
    interaction.refresh_from_db()
    assert not interaction.sentiment_overridden


@pytest.mark.parametrize(
    "form",
    [{"label": "abc", "tagged": "1"}, {"label": HUGE_ID, "tagged": "1"}, {"label": "1\x00", "tagged": "1"},
     {"label": "", "tagged": "1"}, {"label": "LABEL", "tagged": "maybe"}],
    ids=["not-a-number", "huge", "nul", "empty", "tagged-garbage"],
)  # fmt: skip
def test_labels_garbage_is_refused_in_the_label_bar(client, ana, form):
    interaction = chat_of(ana)
    label = Label.objects.create(name="VIP")
    form = {**form, "label": str(label.pk) if form["label"] == "LABEL" else form["label"]}
    url = reverse("workspace:interaction_labels", args=[interaction.pk])
    body = refused(client.post(url, form, headers=HX), 422, "label")
    assert f'id="labels-{interaction.pk}"' in body  # the label bar, the request's htmx target
    assert not interaction.labels.exists()


# --- The Connect view: search, open a contact, the transcript cursor, Write a message -------------------------
def test_contact_search_refuses_a_nul_and_an_over_long_query(client, ana):
    ContactFactory(display_name="Maya Patel", assigned_agent=ana)
    url = reverse("workspace:connect")
    body = refused(client.get(url, {"q": NUL}, headers=HX), 422, "NUL character")
    assert 'id="connect-results"' in body  # the search's htmx target (hx-select)
    refused(client.get(url, {"q": "m" * 500}, headers=HX), 422, "at most 200 characters")
    refused(client.get(url, {"q": NUL}), 422, "NUL character")  # the whole page too


@pytest.mark.parametrize("contact", ["²", HUGE_ID, "abc", "1\x00", "-3"])
def test_opening_a_garbage_contact_in_the_connect_view_is_refused(client, ana, contact):
    url = reverse("workspace:connect")
    assert client.get(url, {"contact": contact}, headers=HX).status_code in (404, 422)
    assert client.get(url, {"contact": contact}).status_code in (404, 422)


BROKEN_CURSORS = ["999999999999999999999_1", "-999999999999999999999_1", "1_" + HUGE_ID, "1_2_3", "abc", "1\x00_2",
                  "_", "1_-2", "253402300800000000_1"]  # fmt: skip


@pytest.mark.parametrize("before", BROKEN_CURSORS)
def test_a_garbage_transcript_cursor_is_refused_in_words(client, ana, before):
    interaction = chat_of(ana)
    url = reverse("workspace:contact_transcript", args=[interaction.contact_id])
    refused(client.get(url, {"before": before}, headers=HX), 422, "Older")
    refused(client.get(url, {"before": before}), 422, "Older")


def test_a_good_transcript_cursor_still_pages(client, ana):
    interaction = chat_of(ana)
    first = interaction.messages.get()
    older = InboundDMFactory(interaction=interaction, text="an older one")
    Message.objects.filter(pk=older.pk).update(created_at=first.created_at - timedelta(minutes=5))
    from workspace.desk.selectors import encode_cursor

    url = reverse("workspace:contact_transcript", args=[interaction.contact_id])
    page = client.get(url, {"before": encode_cursor(first)}, headers=HX).content.decode()
    assert "an older one" in page and "Where is my bag?" not in page


@pytest.mark.parametrize(
    "form,words",
    [({"text": NUL, "idempotency_key": "k1"}, "NUL character"),
     ({"text": "Hi", "idempotency_key": LONG_KEY}, "reload")],
    ids=["nul-in-text", "65-char-key"],
)  # fmt: skip
def test_write_a_message_refuses_a_nul_or_an_over_long_key(client, ana, form, words):
    contact = TwitterIdentityFactory(contact=ContactFactory(display_name="Tom", assigned_agent=ana)).contact
    InteractionFactory(contact=contact, state="done")
    url = reverse("workspace:connect_write", args=[contact.pk])
    body = refused(client.post(url, form, headers=HX), 422, words)
    assert f'id="connect-error-{contact.pk}"' in body and "\x00" not in body
    assert not Message.objects.filter(direction="out").exists()
    assert Interaction.objects.filter(contact=contact).count() == 1  # no interaction made for a refused message


# --- The supervisor: live board, admin actions, reports, login --------------------------------------------
@pytest.fixture
def supervisor(db):
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    return sign_in("sam", PASSWORD)


@pytest.mark.parametrize("agent", ["abc", HUGE_ID, "1\x00", "-1", "999999"])
def test_board_reassign_refuses_an_agent_that_is_not_one(supervisor, agent):
    interaction = InteractionFactory(contact__display_name="Maya Patel")
    url = reverse("board:reassign", args=[interaction.pk])
    refused(supervisor.post(url, {"agent": agent}, headers=HX), 422, "Pick an active agent")
    refused(supervisor.post(url, {"agent": agent}), 302)  # without JavaScript: back to the board, with the message
    interaction.refresh_from_db()
    assert interaction.agent is None


def test_board_reassign_of_an_unknown_interaction_says_so(supervisor):
    ben = AgentFactory()
    refused(supervisor.post("/admin/board/interactions/999999/reassign/", {"agent": ben.pk}, headers=HX), 422,
            "No such interaction #999999")  # fmt: skip
    huge = supervisor.post(f"/admin/board/interactions/{HUGE_ID}/reassign/", {"agent": ben.pk}, headers=HX)
    assert huge.status_code in (404, 422)


@pytest.mark.parametrize("agent", ["abc", HUGE_ID, "1\x00"])
def test_the_admin_reassign_action_refuses_an_agent_that_is_not_one(supervisor, agent):
    interaction = InteractionFactory()
    form = {"action": "reassign", "_selected_action": [interaction.pk], "confirm": "Reassign", "agent": agent}
    response = supervisor.post("/admin/interactions/interaction/", form, follow=True)
    refused(response, 200, "Pick an active agent")
    interaction.refresh_from_db()
    assert interaction.agent is None


@pytest.mark.parametrize("keep", ["abc", HUGE_ID, "1\x00", "OTHER", ""])
def test_the_admin_merge_action_refuses_a_contact_to_keep_that_is_not_one_of_the_two(supervisor, keep):
    maya, tom, other = ContactFactory(), ContactFactory(), ContactFactory()
    keep = str(other.pk) if keep == "OTHER" else keep
    form = {"action": "merge_contacts", "_selected_action": [maya.pk, tom.pk], "confirm": "Merge", "keep": keep}
    response = supervisor.post("/admin/contacts/contact/", form, follow=True)
    refused(response, 200, "Pick which of the two contacts to keep")
    assert Contact.objects.count() == 3


@pytest.mark.parametrize("param", ["agent", "team", "x_account", "channel", "start"])
def test_reports_refuse_garbage_filters(supervisor, param):
    for value in ("abc", HUGE_ID, "1\x00"):
        assert supervisor.get("/admin/reports/", {param: value}).status_code == 400
        assert supervisor.get("/admin/reports/export.csv", {param: value}).status_code == 400


@pytest.mark.parametrize("url", ["/admin/contacts/contact/", "/admin/interactions/interaction/",
                                 "/admin/interactions/message/", "/admin/workspace/auditentry/"])  # fmt: skip
def test_admin_search_with_a_nul_is_not_a_500(supervisor, url):
    assert supervisor.get(url, {"q": NUL}).status_code in (200, 400)


def test_a_nul_in_the_login_form_is_a_refusal_not_a_500(db):
    from django.test import Client

    client = Client()
    for url in ("/accounts/login/", "/admin/login/"):
        for username, password in ((NUL, "x"), ("ana", NUL), ("a" * 5000, "x")):
            response = client.post(url, {"username": username, "password": password})
            assert response.status_code == 200, (url, username[:8], response.status_code)  # the form, with its error
