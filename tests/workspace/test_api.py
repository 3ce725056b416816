"""The REST/JSON API: bearer tokens, the workspace's visibility, bounded pages, and an OpenAPI document that
lists every API URL."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from interactions.models import Offer
from tests.factories import (
    AgentFactory,
    InboundDMFactory,
    InteractionFactory,
    TwitterIdentityFactory,
    UserFactory,
    XAccountFactory,
)
from workspace.agents.models import ApiToken
from workspace.api.tokens import api_token_create

pytestmark = pytest.mark.django_db


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def world():
    """Ana works one interaction of her contact; one of Ben's contacts is offered to her; Ben works another of his;
    a new customer (nobody's contact yet) waits in the queue."""
    account = XAccountFactory()
    ana, ben = AgentFactory(username="ana"), AgentFactory(username="ben")
    anas = InteractionFactory(x_account=account, agent=ana, state="active", contact__assigned_agent=ana)
    InboundDMFactory(interaction=anas, text="Where is my parcel?")
    TwitterIdentityFactory(contact=anas.contact, handle="parcelpete")
    offered = InteractionFactory(x_account=account, state="offered", contact__assigned_agent=ben)
    Offer.objects.create(interaction=offered, agent=ana, expires_at=offered.opened_at.replace(year=2099))
    bens = InteractionFactory(x_account=account, agent=ben, state="active", contact__assigned_agent=ben)
    InboundDMFactory(interaction=bens, text="Hello Ben")
    queued = InteractionFactory(x_account=account)
    return {"ana": ana, "ben": ben, "anas": anas, "offered": offered, "bens": bens, "queued": queued}


def test_an_agent_token_sees_what_the_agent_sees_never_another_agents(world):
    _, token = api_token_create(user=world["ana"])
    body = bearer(token).get("/api/v1/interactions/").json()
    assert body["count"] == 3  # hers, the one offered to her, and the new customer's in the queue
    assert {row["id"] for row in body["results"]} == {world["anas"].pk, world["offered"].pk, world["queued"].pk}
    client = bearer(token)
    assert client.get(f"/api/v1/interactions/{world['anas'].pk}/").json()["agent"]["username"] == "ana"
    for other in (world["bens"],):
        response = client.get(f"/api/v1/interactions/{other.pk}/")
        assert response.status_code == 404 and response.json() == {"error": "No such interaction."}
        assert client.get(f"/api/v1/interactions/{other.pk}/messages/").status_code == 404


def test_messages_of_an_interaction(world):
    _, token = api_token_create(user=world["ana"])
    body = bearer(token).get(f"/api/v1/interactions/{world['anas'].pk}/messages/").json()
    assert body["count"] == 1
    message = body["results"][0]
    assert message["text"] == "Where is my parcel?" and message["direction"] == "in"
    assert isinstance(message["external_id"], str)


def test_contacts_an_agent_may_see_and_search(world):
    _, token = api_token_create(user=world["ana"])
    client = bearer(token)
    body = client.get("/api/v1/contacts/").json()
    visible = {world[name].contact_id for name in ("anas", "offered", "queued")}
    assert {row["id"] for row in body["results"]} == visible
    hers = next(row for row in body["results"] if row["id"] == world["anas"].contact_id)
    assert hers["identities"][0]["handle"] == "parcelpete" and hers["assigned_agent"]["username"] == "ana"
    assert client.get("/api/v1/contacts/", {"q": "@parcel"}).json()["count"] == 1
    assert client.get("/api/v1/contacts/", {"q": "Hello Ben"}).json()["count"] == 0  # Ben's contact, not hers
    assert client.get(f"/api/v1/contacts/{world['anas'].contact_id}/").json()["notes"] == ""
    assert client.get(f"/api/v1/contacts/{world['bens'].contact_id}/").status_code == 404


def test_a_supervisor_token_sees_everything(world):
    _, token = api_token_create(user=UserFactory(username="sam", is_staff=True))
    client = bearer(token)
    assert client.get("/api/v1/interactions/").json()["count"] == 4
    assert client.get(f"/api/v1/interactions/{world['bens'].pk}/").status_code == 200
    assert client.get("/api/v1/contacts/").json()["count"] == 4
    assert client.get("/api/v1/contacts/", {"q": "Hello Ben"}).json()["count"] == 1


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer perch_not-a-real-token", "Token perch_x", "Basic YW5hOnBhc3N3b3Jk"],
)
def test_a_missing_or_wrong_token_is_401(world, header):
    client = Client(headers={"Authorization": header} if header else {})
    response = client.get("/api/v1/interactions/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="perch"'
    assert "Authorization: Bearer" in response.json()["error"]


def test_a_session_is_not_enough_and_revoked_or_inactive_tokens_are_refused(world):
    client = Client()
    client.force_login(world["ana"])
    assert client.get("/api/v1/interactions/").status_code == 401  # no session auth on the API
    row, token = api_token_create(user=world["ana"])
    assert bearer(token).get("/api/v1/interactions/").status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(is_active=False)
    assert bearer(token).get("/api/v1/interactions/").status_code == 401
    _, bens_token = api_token_create(user=world["ben"])
    world["ben"].is_active = False
    world["ben"].save()
    assert bearer(bens_token).get("/api/v1/interactions/").status_code == 401


def test_the_api_is_read_only(world):
    _, token = api_token_create(user=world["ana"])
    assert bearer(token).post("/api/v1/interactions/").status_code == 405


def test_tokens_are_stored_hashed_and_last_use_is_recorded(world):
    row, token = api_token_create(user=world["ana"])
    assert token.startswith("perch_") and len(token) > 40
    assert token not in row.key_hash and not ApiToken.objects.filter(key_hash=token).exists()
    assert token.startswith(row.prefix)
    bearer(token).get("/api/v1/interactions/")
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_pages_are_bounded(world):
    _, token = api_token_create(user=UserFactory(username="sam", is_staff=True))
    client = bearer(token)
    first = client.get("/api/v1/interactions/", {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"].endswith("page_size=3&page=2")
    second = client.get("/api/v1/interactions/", {"page_size": 3, "page": 2}).json()
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]
    too_big = client.get("/api/v1/interactions/", {"page_size": 101})
    assert too_big.status_code == 400 and too_big.json() == {
        "error": "page_size must be a whole number, from 1 to 100."
    }
    assert client.get("/api/v1/interactions/", {"page": 9}).status_code == 404
    assert client.get("/api/v1/interactions/", {"state": "nonsense"}).status_code == 400


def test_list_queries_are_pinned(world, django_assert_num_queries):
    _, token = api_token_create(user=world["ana"])
    client = bearer(token)
    client.get("/api/v1/interactions/")  # records last_used_at
    for _ in range(5):  # more rows, same queries
        InteractionFactory(agent=world["ana"], state="active")
    # token, count, page
    with django_assert_num_queries(3):
        assert client.get("/api/v1/interactions/").json()["count"] == 8
    # token, count, page, identities
    with django_assert_num_queries(4):
        client.get("/api/v1/contacts/")
    # token, interaction, count, page
    with django_assert_num_queries(4):
        client.get(f"/api/v1/interactions/{world['anas'].pk}/messages/")


def _api_paths(resolver=None, prefix="") -> list[str]:
    """Every URL under /api/, written as OpenAPI path templates (<int:x> → {x}); not the JSON 404 for the rest."""
    paths = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            paths += _api_paths(pattern, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/") and pattern.name != "no_such_endpoint":
            paths.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return paths


def test_the_openapi_document_lists_every_api_path():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A Perch API token.",
    }
    api_paths = _api_paths()
    assert len(api_paths) >= 6
    assert sorted(api_paths) == sorted(document["paths"]), "every API URL is described, and nothing else"


def test_api_token_command_prints_the_token_once(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", "ana", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert "not stored" in err.getvalue()
    assert bearer(token).get("/api/v1/interactions/").json()["count"] == 3
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("api_token", "nobody", stdout=out, stderr=err)


def test_a_supervisor_creates_a_token_in_the_admin_and_sees_it_once(world):
    sam = UserFactory(username="sam", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(sam)
    response = client.post("/admin/workspace/apitoken/add/", {"user": world["ben"].pk, "name": "BI"}, follow=True)
    text = response.content.decode()
    token = re.search(r"(perch_[\w-]+)", text).group(1)
    assert "it is not shown again" in text
    row = ApiToken.objects.get()
    assert row.user == world["ben"] and row.name == "BI" and token not in row.key_hash
    assert bearer(token).get("/api/v1/interactions/").json()["count"] == 3  # his two and the queued one
    change = client.get(f"/admin/workspace/apitoken/{row.pk}/change/").content.decode()
    assert token not in change


BIG = "99999999999999999999999"  # beyond a 64-bit id: OverflowError on SQLite, out of range on PostgreSQL


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        (f"/api/v1/interactions/?contact={BIG}", 400, "contact must be a contact id"),
        ("/api/v1/interactions/?contact=9223372036854775808", 400, "contact must be a contact id"),
        ("/api/v1/interactions/?contact=%C2%B2", 400, "contact must be a contact id"),  # "²" passes str.isdigit()
        ("/api/v1/interactions/?contact=-1", 400, "contact must be a contact id"),
        ("/api/v1/interactions/?contact=0", 400, "contact must be a contact id"),
        ("/api/v1/interactions/?contact=1%002", 400, "contact must be a contact id"),
        ("/api/v1/interactions/?page=0", 400, "page must be a whole number, 1 or more"),
        ("/api/v1/interactions/?page=-3", 400, "page must be a whole number, 1 or more"),
        ("/api/v1/interactions/?page=1.5", 400, "page must be a whole number, 1 or more"),
        ("/api/v1/interactions/?page=%00", 400, "page must be a whole number, 1 or more"),
        ("/api/v1/interactions/?page=" + "9" * 5000, 400, "page must be a whole number, 1 or more"),
        (f"/api/v1/interactions/?page={BIG}", 400, "page must be a whole number, 1 or more"),
        ("/api/v1/interactions/?page=9223372036854775807", 404, "No such page"),
        ("/api/v1/interactions/?page_size=0", 400, "page_size must be a whole number, from 1 to 100"),
        (f"/api/v1/interactions/?page_size={BIG}", 400, "page_size must be a whole number, from 1 to 100"),
        ("/api/v1/interactions/?page_size=%C2%B2", 400, "page_size must be a whole number, from 1 to 100"),
        ("/api/v1/interactions/?state=%00", 400, "state must be one of"),
        ("/api/v1/interactions/?kind=dm%00", 400, "kind must be one of"),
        ("/api/v1/contacts/?q=a%00b", 400, "q must not contain NUL"),
        ("/api/v1/contacts/?q=" + "a" * 201, 400, "q is at most 200 characters"),
        (f"/api/v1/interactions/{BIG}/", 404, "No such interaction"),
        (f"/api/v1/interactions/{BIG}/messages/", 404, "No such interaction"),
        (f"/api/v1/interactions/{BIG}/messages/?page=0", 404, "No such interaction"),
        (f"/api/v1/contacts/{BIG}/", 404, "No such contact"),
        ("/api/v1/interactions/?stat=active", 400, "Unknown query parameter 'stat': it takes contact, kind, page"),
        ("/api/v1/contacts/?page=1&=x", 400, "Unknown query parameter '': it takes page, page_size, q"),
        ("/api/v1/contacts/1/?page=2", 400, "Unknown query parameter 'page': it takes none"),
        ("/api/v1/interactions/?state=", 400, "state must be one of"),  # given, so it must be valid
        ("/api/v1/interactions/?page=", 400, "page must be a whole number, 1 or more"),
    ],
)
def test_bad_parameters_get_a_json_error_in_words_never_a_500(world, url, status, words):
    _, token = api_token_create(user=world["ana"])
    client = Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)
    response = client.get(url)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json" and words in response.json()["error"]


@pytest.mark.parametrize("url", ["/api/v1/contacts/-1/", "/api/v1/interactions/abc/messages/", "/api/v2/", "/api/"])
def test_any_other_url_under_api_is_a_json_404(url):
    response = Client().get(url)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": f"No such API endpoint: {url}. See /api/openapi.json."}
