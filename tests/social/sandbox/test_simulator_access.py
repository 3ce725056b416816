"""Who may use the customer simulator. With DEBUG off: a staff session (CSRF on its POSTs) or the sandbox's own
token, never anyone else, and no response shows an access token. With DEBUG on (the demo, the tests): open, as
before. Either way a POST body must be JSON, which a cross-site page cannot send without asking first."""

import re
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from social.sandbox.models import SandboxUser
from tests.factories import UserFactory, XAccountFactory

SANDBOX_TOKEN = "sandbox-token-for-scripts-0123456789"
TOKEN_HEADER = {"X-Sandbox-Token": SANDBOX_TOKEN}


def simulator_routes(resolver: URLResolver = None, prefix: str = ""):
    """Every URL pattern under /x-sandbox/simulator/, so a new one cannot slip past the lock."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from simulator_routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("x-sandbox/simulator/"):
            yield "/" + re.sub(r"<\w+:(\w+)>", "3_1", route)


@pytest.fixture
def locked(settings):
    """The sandbox as a DEBUG-off deployment serves it (X_SANDBOX_ENABLED), with a token for scripts."""
    settings.X_SANDBOX_OPEN = False
    settings.X_SANDBOX_TOKEN = SANDBOX_TOKEN
    return settings


def staff_client(**kwargs) -> Client:
    client = Client(**kwargs)
    supervisor = UserFactory(username="supervisor", is_staff=True)
    client.force_login(supervisor, backend="django.contrib.auth.backends.ModelBackend")
    return client


def assert_refused_in_words(response):
    assert response.status_code == 403, (response.request["PATH_INFO"], response.status_code)
    text = response.content.decode()
    assert "staff" in text and "X-Sandbox-Token" in text, text


@pytest.mark.django_db
def test_with_debug_off_anonymous_and_non_staff_get_403_in_words_on_every_simulator_route(locked):
    routes = sorted(simulator_routes())
    assert "/x-sandbox/simulator/" in routes and "/x-sandbox/simulator/api/apps" in routes
    agent = Client()
    agent.force_login(UserFactory(username="ana"), backend="django.contrib.auth.backends.ModelBackend")
    wrong_token = Client(headers={"X-Sandbox-Token": "guessed"})
    for client in (Client(), agent, wrong_token):
        for route in routes:
            assert_refused_in_words(client.get(route, {"user_id": "1"}))
            assert_refused_in_words(client.post(route, {"username": "mallory"}, content_type="application/json"))
    assert not SandboxUser.objects.exists()


@pytest.mark.django_db
def test_with_debug_off_and_no_sandbox_token_set_an_empty_token_opens_nothing(locked):
    locked.X_SANDBOX_TOKEN = ""
    assert_refused_in_words(Client(headers={"X-Sandbox-Token": ""}).get("/x-sandbox/simulator/api/users"))


@pytest.mark.django_db
def test_a_staff_session_uses_the_simulator_and_its_posts_need_the_csrf_token_the_page_carries(locked):
    client = staff_client(enforce_csrf_checks=True)
    page = client.get("/x-sandbox/simulator/")
    assert page.status_code == 200
    token = re.search(r'data-csrf="([^"]+)"', page.content.decode()).group(1)

    refused = client.post("/x-sandbox/simulator/api/users", {"username": "maya"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not SandboxUser.objects.exists()

    created = client.post(
        "/x-sandbox/simulator/api/users", {"username": "maya"}, content_type="application/json",
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert created.status_code == 200 and created.json()["username"] == "maya"
    assert client.get("/x-sandbox/simulator/api/users").json()["users"][0]["username"] == "maya"


@pytest.mark.django_db
def test_the_sandbox_token_lets_scripts_in_without_a_session_or_csrf(locked):
    client = Client(enforce_csrf_checks=True, headers=TOKEN_HEADER)
    created = client.post("/x-sandbox/simulator/api/users", {"username": "maya"}, content_type="application/json")
    assert created.status_code == 200
    reset = client.post("/x-sandbox/simulator/api/reset", {}, content_type="application/json")
    assert reset.json() == {"reset": True} and not SandboxUser.objects.exists()


@pytest.mark.django_db
def test_with_debug_off_no_simulator_response_shows_an_access_token(locked):
    XAccountFactory(x_user_id="1790000000000000001", handle="perchdemoair", name="Perch Demo Air")
    client = Client(headers=TOKEN_HEADER)

    def call(method, path, body=None):
        if method == "GET":
            response = client.get(f"/x-sandbox/simulator/api/{path}", body or {})
        else:
            response = client.post(f"/x-sandbox/simulator/api/{path}", body or {}, content_type="application/json")
        assert response.status_code == 200, response.content
        return response

    responses = [call("POST", "users", {"username": "maya"}), call("GET", "brands")]
    maya = responses[0].json()
    responses += [
        call("POST", "users", {"username": "maya", "new_token": True}),
        call("POST", "users", {"username": "tom", "id": "1790000000000000102"}),
        call("GET", "users"),
        call("POST", "dm", {"sender_id": maya["id"], "recipient_id": "1790000000000000001", "text": "Hi"}),
        call("POST", "tweet", {"author_id": maya["id"], "text": "@perchdemoair hello"}),
        call("GET", "activity", {"user_id": maya["id"]}),
        call("GET", "faults"),
        call("GET", "limits"),
        call("POST", "revoke", {"user_id": maya["id"]}),
    ]
    tokens = [user.access_token for user in SandboxUser.objects.all()]
    assert len(tokens) == 3
    for response in responses:
        body = response.content.decode()
        assert "access_token" not in body and not any(token in body for token in tokens), body


@pytest.mark.django_db
def test_with_debug_off_an_access_token_cannot_be_guessed_from_the_user_id(locked):
    Client(headers=TOKEN_HEADER).post("/x-sandbox/simulator/api/users", {"username": "maya"}, "application/json")
    maya = SandboxUser.objects.get()
    guessed = Client(headers={"Authorization": f'OAuth oauth_consumer_key="k", oauth_token="{maya.pk}-sandbox"'})
    assert guessed.get("/x-sandbox/2/users/me").status_code == 401
    issued = Client(headers={"Authorization": f'OAuth oauth_consumer_key="k", oauth_token="{maya.access_token}"'})
    assert issued.get("/x-sandbox/2/users/me").json()["data"]["username"] == "maya"


@pytest.mark.django_db
def test_with_debug_off_the_x_routes_still_want_the_oauth_token_not_a_staff_session(locked):
    assert staff_client().get("/x-sandbox/2/users/me").status_code == 401
    assert Client(headers=TOKEN_HEADER).get("/x-sandbox/2/dm_events").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_with_debug_on_a_body_a_cross_site_page_could_send_is_refused(simulator):
    maya = simulator.user("maya", "Maya Patel")
    sent = [
        {"data": b"{}", "headers": {"Content-Type": "text/plain"}},  # what fetch(..., {mode: "no-cors"}) may send
        {"data": {"{}": ""}},  # a form, urlencoded
        {"files": {"body": ("body.json", b"{}")}},  # a form, multipart
        {"data": b"{}"},  # no type at all
        {},  # no body either: what fetch(url, {method: "POST", mode: "no-cors"}) sends
    ]
    for kwargs in sent:
        response = requests.post(f"{simulator.api}/reset", timeout=10, **kwargs)
        assert response.status_code == 415, (kwargs, response.text)
        assert "application/json" in response.json()["detail"]
    assert [u["id"] for u in requests.get(f"{simulator.api}/users", timeout=10).json()["users"]] == [maya["id"]]


@pytest.mark.django_db(transaction=True)
def test_simulate_customers_sends_the_sandbox_token_to_a_locked_sandbox(locked_server_url, settings):
    XAccountFactory(x_user_id="1790000000000000001", handle="acmecare", name="Acme Care")
    base, out = f"{locked_server_url}/x-sandbox", StringIO()
    call_command("simulate_customers", "--rate", "10", "--duration", "1", "--base-url", base, "--brand", "acmecare",
                 "--seed", "3", stdout=out)  # fmt: skip
    assert "Sent to @acmecare:" in out.getvalue() and "0 errors" in out.getvalue()
    assert SandboxUser.objects.exclude(pk="1790000000000000001").exists()
    settings.X_SANDBOX_TOKEN = ""  # a shell without the token
    with pytest.raises(CommandError, match="staff login"):
        call_command("simulate_customers", "--rate", "1", "--duration", "1", "--base-url", base, stdout=StringIO())
