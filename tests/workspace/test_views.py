import pytest
from django.test import Client
from django.urls import reverse

from interactions.models import Channel
from tests.factories import PASSWORD, AgentFactory, UserFactory
from tests.helpers import sign_in
from workspace.agents.models import ChannelPresence

pytestmark = pytest.mark.django_db


def logged_in(user, **client_kwargs) -> Client:
    return sign_in(user.username, PASSWORD, **client_kwargs)


def test_workspace_requires_login():
    response = Client().get("/workspace/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/workspace/")


def test_a_login_without_agent_profile_is_refused():
    response = logged_in(UserFactory()).get("/workspace/")
    assert response.status_code == 403


def test_agent_sees_the_workspace_shell(django_assert_max_num_queries):
    agent = AgentFactory(first_name="Ana")
    client = logged_in(agent)
    with django_assert_max_num_queries(8):
        response = client.get("/workspace/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'ws-connect="/ws/workspace/"' in html
    assert "My interactions" in html and "Welcome, Ana" in html
    assert html.count('class="presence-toggle"') == 2 and "Not Ready" in html


def test_presence_toggle_makes_the_agent_ready_on_one_channel():
    agent = AgentFactory()
    response = logged_in(agent).post(
        reverse("workspace:presence"), {"channel": "chat", "ready": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'aria-label="Chat Ready"' in response.content.decode()
    presence = ChannelPresence.objects.get(agent=agent, channel=Channel.CHAT)
    assert presence.ready and presence.reason == ""
    assert not ChannelPresence.objects.filter(agent=agent, channel=Channel.TWITTER, ready=True).exists()


def test_presence_change_is_refused_without_csrf_token():
    agent = AgentFactory()
    response = logged_in(agent, enforce_csrf_checks=True).post(
        reverse("workspace:presence"), {"channel": "chat", "ready": "1"}
    )
    assert response.status_code == 403
    assert not ChannelPresence.objects.filter(agent=agent).exists()


def test_unknown_channel_is_a_clear_400():
    response = logged_in(AgentFactory()).post(reverse("workspace:presence"), {"channel": "fax", "ready": "1"})
    assert response.status_code == 400 and "fax" in response.content.decode()


def test_wrong_password_shows_an_error_and_does_not_log_in():
    AgentFactory(username="ana2")
    response = Client().post("/accounts/login/", {"username": "ana2", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
