"""An empty My interactions list says what is true: Ready with nothing waiting, or Not Ready (and how to change
it). It used to tell a Ready agent to go Ready."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, AgentFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.agents.models import ChannelPresence

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


def ready(agent, *channels):
    for channel in channels:
        ChannelPresence.objects.create(agent=agent, channel=channel, ready=True, since=timezone.now())


def both_lists(client) -> list[str]:
    """The list as the workspace page renders it and as it re-fetches itself."""
    page = client.get(reverse("workspace:home")).content.decode()
    partial = client.get(reverse("workspace:interaction_list"), headers=HX).content.decode()
    return [page.split('id="interaction-list"', 1)[1].split("</ul>", 1)[0], partial]


def test_not_ready_says_so_and_how_to_get_conversations(client, ana):
    ChannelPresence.objects.create(agent=ana, channel="chat", ready=False, reason="break", since=timezone.now())
    for html in both_lists(client):
        assert "You are Not Ready — go Ready to get conversations." in html
        assert "nothing is waiting" not in html


@pytest.mark.parametrize(
    ("channels", "said"), [(["chat"], "Chat"), (["twitter"], "Twitter"), (["chat", "twitter"], "Chat and Twitter")]
)
def test_ready_with_nothing_waiting_says_so(client, ana, channels, said):
    ready(ana, *channels)
    for html in both_lists(client):
        assert f"You are Ready on {said} — nothing is waiting." in html
        assert "Set yourself" not in html and "Not Ready" not in html


def test_the_list_shows_the_interactions_and_no_empty_words_when_there_are_some(client, ana):
    ready(ana, "chat")
    InteractionFactory(agent=ana, state="active", accepted_at=timezone.now())
    for html in both_lists(client):
        assert "nothing is waiting" not in html and "Not Ready —" not in html


def test_the_list_re_fetches_itself_when_the_agent_goes_ready(client, ana):
    """The empty words follow the header's Ready switches without a reload."""
    client.post(reverse("workspace:presence"), {"channel": "chat", "ready": "1"}, headers=HX)
    for html in both_lists(client):
        assert "perch:presence.changed from:body" in html
        assert "You are Ready on Chat — nothing is waiting." in html
