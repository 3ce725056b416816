"""Who may reach what: every URL pattern of Perch × every role, against the real URLconf and views.

The world: agent A works an interaction (with an image, an offer, a failed reply) of a contact assigned to A;
agent B is another agent with nothing of A's; the supervisor is staff (the Django admin). Ids in URLs are A's
objects, so B and the supervisor probing them are the "guessed id" case; ids nobody owns get 404 from everyone.
REASSIGNED below: a contact A worked once and a supervisor has since reassigned to B is B's, and A gets 404.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from workspace.api.tokens import api_token_create

pytestmark = pytest.mark.django_db

LOGIN = "login"  # 302 to /accounts/login/
ROLES = ("anonymous", "agent_a", "agent_b", "supervisor")

# ADDING A URL? Add ONE line here: "pattern as printed by test_every_url_pattern_has_an_entry": (method, outcome for
# anonymous, agent A (owns the objects in the URL), agent B (another agent), supervisor). An outcome is an HTTP
# status or LOGIN. The Django admin's own patterns are covered by ADMIN_RULE below and need no line.
MATRIX = {
    "": ("GET", 302, 302, 302, 302),
    "workspace/": ("GET", LOGIN, 200, 200, 200),
    "workspace/presence/": ("GET", LOGIN, 200, 200, 200),
    "workspace/offers/": ("GET", LOGIN, 200, 200, 200),
    "workspace/offers/<int:offer_id>/accept/": ("POST", LOGIN, 302, 404, 404),
    "workspace/offers/<int:offer_id>/reject/": ("POST", LOGIN, 302, 404, 404),
    "workspace/interactions/": ("GET", LOGIN, 200, 200, 200),
    "workspace/contacts/<int:contact_id>/": ("GET", LOGIN, 200, 404, 404),
    "workspace/interactions/<int:interaction_id>/": ("GET", LOGIN, 200, 404, 404),
    "workspace/interactions/<int:interaction_id>/access/": ("GET", LOGIN, 204, 404, 404),  # still A's: nothing to say
    "workspace/interactions/<int:interaction_id>/sentiment/": ("POST", LOGIN, 422, 404, 404),  # no sentiment given
    "workspace/interactions/<int:interaction_id>/conversation/": ("GET", LOGIN, 200, 404, 404),
    "workspace/interactions/<int:interaction_id>/send/": ("POST", LOGIN, 422, 404, 404),  # empty message
    "workspace/interactions/<int:interaction_id>/like/": ("POST", LOGIN, 422, 404, 404),  # a DM has no tweet to like
    "workspace/interactions/<int:interaction_id>/reply-by-dm/": ("POST", LOGIN, 422, 404, 404),  # no tweet picked
    "workspace/interactions/<int:interaction_id>/move-to-dm/": ("POST", LOGIN, 422, 404, 404),  # no tweet picked
    "workspace/interactions/<int:interaction_id>/end/": ("POST", LOGIN, 200, 404, 404),
    "workspace/interactions/<int:interaction_id>/done/": ("POST", LOGIN, 409, 404, 404),  # not ended yet
    "workspace/interactions/<int:interaction_id>/notes/": ("POST", LOGIN, 422, 404, 404),  # an empty note
    "workspace/interactions/<int:interaction_id>/labels/": ("POST", LOGIN, 422, 404, 404),  # no label picked
    "workspace/interactions/<int:interaction_id>/canned/": ("GET", LOGIN, 200, 404, 404),
    "workspace/messages/<int:message_id>/retry/": ("POST", LOGIN, 302, 404, 404),
    "workspace/messages/<int:message_id>/media/<int:index>/": ("GET", LOGIN, 200, 404, 404),
    # The Communication tab: lists are the agent's own (and unassigned contacts); A's contact is 404 to others.
    "workspace/communication/": ("GET", LOGIN, 200, 200, 200),
    "workspace/communication/notices/": ("GET", LOGIN, 302, 302, 302),  # an htmx partial; a browser goes to the tab
    "workspace/communication/replied/": ("GET", LOGIN, 302, 302, 302),  # the "… replied" toasts: an htmx partial too
    "workspace/communication/contacts/<int:contact_id>/": ("GET", LOGIN, 302, 404, 404),  # no htmx: to the page
    "workspace/communication/contacts/<int:contact_id>/message/": ("POST", LOGIN, 422, 404, 404),  # empty message
    # A is refused in words: the world's contact has no X identity to write to.
    "workspace/communication/contacts/<int:contact_id>/chat/": ("POST", LOGIN, 409, 404, 404),
    "workspace/contacts/<int:contact_id>/transcript/": ("GET", LOGIN, 200, 404, 404),
    "workspace/contacts/<int:contact_id>/identities/": ("POST", LOGIN, 422, 404, 404),  # A: no address written
    "workspace/contacts/<int:contact_id>/identities/<int:identity_id>/remove/": ("POST", LOGIN, 200, 404, 404),
    # The browser reports a failed htmx request (request_errors.js): signed-in pages only; an empty report is 400.
    "workspace/client-errors/": ("POST", 403, 400, 400, 400),
    # The REST API takes bearer tokens only: a browser session is no credential (tokens: tests/workspace/test_api.py).
    "api/openapi.json": ("GET", 200, 200, 200, 200),
    "api/v1/interactions/": ("GET", 401, 401, 401, 401),
    "api/v1/interactions/<int:interaction_id>/": ("GET", 401, 401, 401, 401),
    "api/v1/interactions/<int:interaction_id>/messages/": ("GET", 401, 401, 401, 401),
    "api/v1/contacts/": ("GET", 401, 401, 401, 401),
    "api/v1/contacts/<int:contact_id>/": ("GET", 401, 401, 401, 401),
    "api/": ("GET", 404, 404, 404, 404),  # any other URL under /api/: a 404 in JSON
    "accounts/login/": ("GET", 200, 302, 302, 302),
    "accounts/logout/": ("POST", 302, 302, 302, 302),
    "healthz": ("GET", 503, 503, 503, 503),  # public for load balancers; 503: no Celery worker in this test
    # X signs, not sessions: a wrong secret in the URL (or a polling account) is 404 for everyone.
    "webhooks/x/<int:account_id>/<slug:token>/": ("GET", 404, 404, 404, 404),
    # The X sandbox (DEBUG or X_SANDBOX_ENABLED only): its API wants an OAuth header, as X does.
    "x-sandbox/2/users/me": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/users/by/username/<str:username>": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/users/<str:user_id>": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/users/<str:user_id>/mentions": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/users/<str:user_id>/likes": ("POST", 401, 401, 401, 401),
    "x-sandbox/2/users/<str:user_id>/likes/<str:tweet_id>": ("DELETE", 401, 401, 401, 401),
    "x-sandbox/2/tweets": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/tweets/search/recent": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/tweets/<str:tweet_id>": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/dm_events": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/dm_conversations/with/<str:participant_id>/dm_events": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/dm_conversations/with/<str:participant_id>/messages": ("POST", 401, 401, 401, 401),
    "x-sandbox/2/webhooks": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/webhooks/replay": ("POST", 401, 401, 401, 401),
    "x-sandbox/2/webhooks/<str:webhook_id>": ("DELETE", 401, 401, 401, 401),
    "x-sandbox/2/activity/subscriptions": ("GET", 401, 401, 401, 401),
    "x-sandbox/2/activity/subscriptions/<str:subscription_id>": ("DELETE", 401, 401, 401, 401),
    "x-sandbox/^2/": ("GET", 404, 404, 404, 404),
    "x-sandbox/2/media/upload": ("POST", 401, 401, 401, 401),
    "x-sandbox/2/media/upload/initialize": ("POST", 401, 401, 401, 401),
    "x-sandbox/2/media/upload/<str:media_id>/append": ("POST", 401, 401, 401, 401),
    "x-sandbox/2/media/upload/<str:media_id>/finalize": ("POST", 401, 401, 401, 401),
    "x-sandbox/1.1/media/upload.json": ("POST", 410, 410, 410, 410),  # retired: X answers 410 before any auth
    "x-sandbox/^1\\.1/": ("GET", 404, 404, 404, 404),
    "x-sandbox/media/<str:media_key>": ("GET", 401, 401, 401, 401),  # X's media URLs want OAuth too
    "x-sandbox/avatars/<str:name>": ("GET", 200, 200, 200, 200),
    # The customer simulator plays X's users: open to whoever reaches the sandbox (never on in production).
    "x-sandbox/simulator/": ("GET", 200, 200, 200, 200),
    "x-sandbox/simulator/media/<str:media_key>": ("GET", 404, 404, 404, 404),
    "x-sandbox/simulator/api/users": ("GET", 200, 200, 200, 200),
    "x-sandbox/simulator/api/brands": ("GET", 200, 200, 200, 200),
    "x-sandbox/simulator/api/mailbox": ("GET", 200, 200, 200, 200),
    "x-sandbox/simulator/api/dm": ("GET", 405, 405, 405, 405),
    "x-sandbox/simulator/api/typing": ("GET", 405, 405, 405, 405),
    "x-sandbox/simulator/api/read": ("GET", 405, 405, 405, 405),
    "x-sandbox/simulator/api/tweet": ("GET", 405, 405, 405, 405),
    "x-sandbox/simulator/api/retweet": ("GET", 405, 405, 405, 405),
    "x-sandbox/simulator/api/activity": ("GET", 400, 400, 400, 400),
    "x-sandbox/simulator/api/apps": ("GET", 200, 200, 200, 200),
    "x-sandbox/simulator/api/faults": ("GET", 200, 200, 200, 200),
    "x-sandbox/simulator/api/limits": ("GET", 200, 200, 200, 200),
    "x-sandbox/simulator/api/media_processing": ("GET", 200, 200, 200, 200),
    "x-sandbox/simulator/api/charges": ("GET", 400, 400, 400, 400),  # wants ?user_id=
    "x-sandbox/simulator/api/revoke": ("GET", 405, 405, 405, 405),
    "x-sandbox/simulator/api/reset": ("GET", 405, 405, 405, 405),
}
# The admin: anonymous and agents are sent to the admin's login, the supervisor gets the page (or the admin's
# own redirect for an object that does not exist). Only login and logout differ.
ADMIN_RULE = ("GET", "admin-login", "admin-login", "admin-login", "page")
ADMIN_EXCEPTIONS = {
    "admin/login/": ("GET", 200, 200, 200, 302),
    "admin/logout/": ("GET", 302, 302, 302, 405),  # POST only (Django 5); others are sent to the login first
    "admin/(?P<url>.*)$": ("GET", "admin-login", "admin-login", "admin-login", 404),  # the admin's catch-all
    "admin/autocomplete/": ("GET", "admin-login", "admin-login", "admin-login", 403),  # needs a model field
    "admin/r/<path:content_type_id>/<path:object_id>/": ("GET", "admin-login", "admin-login", "admin-login", 404),
    "admin/board/interactions/<int:interaction_id>/reassign/": ("GET", *["admin-login"] * 3, 405),  # POST only
    "admin/board/interactions/<int:interaction_id>/review/release/": ("GET", *["admin-login"] * 3, 405),  # POST only
    "admin/board/interactions/<int:interaction_id>/review/close/": ("GET", *["admin-login"] * 3, 405),  # POST only
    # The audit log and django-axes' logs are read-only: nobody adds or deletes an entry by hand.
    "admin/workspace/auditentry/add/": ("GET", "admin-login", "admin-login", "admin-login", 403),
    "admin/workspace/auditentry/<path:object_id>/delete/": ("GET", "admin-login", "admin-login", "admin-login", 403),
    # Interactions, transcripts, offers and presence belong to the services: shown in the admin, never added or
    # deleted by hand.
    **{
        f"admin/{model}/{action}": ("GET", "admin-login", "admin-login", "admin-login", 403)
        for model in (
            "interactions/interaction",
            "interactions/message",
            "interactions/offer",
            "workspace/channelpresence",
        )
        for action in ("add/", "<path:object_id>/delete/")
    },
    "admin/axes/accessattempt/add/": ("GET", "admin-login", "admin-login", "admin-login", 403),
    "admin/axes/accessfailurelog/add/": ("GET", "admin-login", "admin-login", "admin-login", 403),
    "admin/axes/accesslog/add/": ("GET", "admin-login", "admin-login", "admin-login", 403),
}


def walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace and namespace else entry.namespace or namespace
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespace


PATTERNS = {route: (entry, namespace) for route, entry, namespace in walk(get_resolver())}
ADMIN_PATTERNS = sorted(route for route in PATTERNS if route.startswith("admin/"))
OTHER_PATTERNS = sorted(route for route in PATTERNS if not route.startswith("admin/"))


def test_every_url_pattern_has_an_entry():
    missing = [route for route in OTHER_PATTERNS if route not in MATRIX]
    stale = [route for route in MATRIX if route not in PATTERNS]
    assert not missing, f"URL patterns without a row in MATRIX (add one line each): {missing}"
    assert not stale, f"rows in MATRIX for URL patterns that no longer exist: {stale}"


def url_of(route: str, world) -> str:
    entry, namespace = PATTERNS[route]
    ids = world["retry_ids"] if "retry" in route else world["ids"]
    if entry.name:
        kwargs = {key: ids.get(key, "1") for key in entry.pattern.regex.groupindex}
        if "app_label" in kwargs:
            kwargs["app_label"] = "interactions"
        return reverse(f"{namespace}:{entry.name}" if namespace else entry.name, kwargs=kwargs)
    path = route
    for key, value in ids.items():
        path = path.replace(f"<int:{key}>", str(value)).replace(f"<str:{key}>", str(value))
    return "/" + path.replace("^", "").replace("\\", "")


def client_for(role: str, world) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role], backend="django.contrib.auth.backends.ModelBackend")
    return client


def outcome(response, expected):
    location, status = response.headers.get("Location", ""), response.status_code
    if expected == LOGIN:
        return LOGIN if status == 302 and location.startswith("/accounts/login/") else status
    if expected == "admin-login":
        return expected if status == 302 and location.startswith("/admin/login/") else status
    if expected == "page":
        ok = response.status_code == 200 or (response.status_code == 302 and not location.startswith("/admin/login/"))
        return expected if ok else response.status_code
    return response.status_code


@pytest.mark.parametrize("route", OTHER_PATTERNS + ADMIN_PATTERNS)
def test_each_role_gets_what_the_matrix_says(route, world):
    if route.startswith("admin/"):
        method, *expected = ADMIN_EXCEPTIONS.get(route, ADMIN_RULE)
    else:
        if route not in MATRIX:
            pytest.fail(f"{route} has no row in MATRIX")
        method, *expected = MATRIX[route]
    url = url_of(route, world)
    got = {}
    # The owner goes last: accepting or ending changes the objects the others probe.
    for role, want in sorted(zip(ROLES, expected, strict=True), key=lambda pair: pair[0] == "agent_a"):
        response = getattr(client_for(role, world), method.lower())(url)
        got[role] = outcome(response, want)
    assert got == dict(zip(ROLES, expected, strict=True)), f"{method} {url}: got {got}"


@pytest.mark.parametrize("route", [r for r in OTHER_PATTERNS if "_id>" in r and r.startswith("workspace/")])
def test_enumerated_ids_nobody_owns_are_404_for_everyone_signed_in(route, world):
    method = MATRIX[route][0]
    ids = {key: value + 10_000 if isinstance(value, int) and key != "index" else value
           for key, value in world["ids"].items()}  # fmt: skip
    url = url_of(route, {**world, "ids": ids, "retry_ids": ids})
    for role in ("agent_a", "agent_b", "supervisor"):
        assert getattr(client_for(role, world), method.lower())(url).status_code == 404, f"{role} {method} {url}"


# A worked a conversation with this contact once; a supervisor has since reassigned the contact to B. Deny by
# default: having worked it is no access, so A gets 404 on the contact, its transcript and that past interaction,
# and the lists no longer show it. B, its agent now, sees it all (and may not act on A's done interaction).
# ADDING A URL that takes a contact, interaction or message id? Add ONE line here: (method, agent A, agent B).
REASSIGNED = {
    "workspace/contacts/<int:contact_id>/": ("GET", 404, 200),
    "workspace/contacts/<int:contact_id>/ POST": ("POST", 404, 422),  # B: the empty form is refused in words
    "workspace/communication/contacts/<int:contact_id>/": ("GET", 404, 302),
    "workspace/communication/contacts/<int:contact_id>/message/": ("POST", 404, 422),  # an empty message
    "workspace/communication/contacts/<int:contact_id>/chat/": ("POST", 404, 409),  # no X identity to write to
    "workspace/contacts/<int:contact_id>/transcript/": ("GET", 404, 200),
    "workspace/contacts/<int:contact_id>/identities/": ("POST", 404, 422),  # B: no address written
    "workspace/contacts/<int:contact_id>/identities/<int:identity_id>/remove/": ("POST", 404, 404),  # not Rita's
    "workspace/interactions/<int:interaction_id>/": ("GET", 404, 200),
    "workspace/interactions/<int:interaction_id>/access/": ("GET", 404, 204),
    "workspace/interactions/<int:interaction_id>/sentiment/": ("POST", 404, 422),  # B sees it: no sentiment given
    "workspace/interactions/<int:interaction_id>/conversation/": ("GET", 404, 200),
    "workspace/interactions/<int:interaction_id>/send/": ("POST", 404, 404),
    "workspace/interactions/<int:interaction_id>/like/": ("POST", 404, 422),  # B sees it: no tweet picked
    "workspace/interactions/<int:interaction_id>/reply-by-dm/": ("POST", 404, 422),  # B sees it: no tweet picked
    "workspace/interactions/<int:interaction_id>/move-to-dm/": ("POST", 404, 422),  # B sees it: no tweet picked
    "workspace/interactions/<int:interaction_id>/end/": ("POST", 404, 404),
    "workspace/interactions/<int:interaction_id>/done/": ("POST", 404, 404),
    "workspace/interactions/<int:interaction_id>/notes/": ("POST", 404, 404),
    "workspace/interactions/<int:interaction_id>/labels/": ("POST", 404, 422),  # B: no label picked
    "workspace/interactions/<int:interaction_id>/canned/": ("GET", 404, 200),
    "workspace/messages/<int:message_id>/retry/": ("POST", 404, 404),
    "workspace/messages/<int:message_id>/media/<int:index>/": ("GET", 404, 200),
    "api/v1/contacts/<int:contact_id>/": ("GET", 404, 200),
    "api/v1/interactions/<int:interaction_id>/": ("GET", 404, 200),
    "api/v1/interactions/<int:interaction_id>/messages/": ("GET", 404, 200),
}
# Lists and searches: does the reassigned contact (or A's past interaction with it) appear for A, for B?
REASSIGNED_LISTS = {
    "/workspace/communication/": (False, True),  # B's Assigned Contacts
    "/workspace/communication/?q=Rita": (False, True),
    "/workspace/communication/?contact={contact_id}": (404, True),
    "/api/v1/contacts/": (False, True),
    "/api/v1/contacts/?q=Rita": (False, True),
    "/api/v1/interactions/": (False, True),
    "/api/v1/interactions/?contact={contact_id}": (False, True),
}


def test_every_url_with_a_contact_interaction_or_message_id_has_a_reassigned_row():
    taking_ids = [r for r in OTHER_PATTERNS if any(f"<int:{key}>" in r for key in ("contact_id", "interaction_id",
                  "message_id")) and r.startswith(("workspace/", "api/"))]  # fmt: skip
    missing = [route for route in taking_ids if route not in REASSIGNED]
    assert not missing, f"URL patterns without a row in REASSIGNED (add one line each): {missing}"


def reassigned_client(role: str, world, route: str) -> Client:
    if not route.startswith("api/"):
        return client_for(role, world)
    _, token = api_token_create(user=world["users"][role])
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("route", sorted(REASSIGNED))
def test_a_contact_reassigned_away_is_gone_for_the_agent_who_worked_it(route, world):
    method, *expected = REASSIGNED[route]
    ids = {**world["ids"], **world["reassigned_ids"]}
    url = url_of(route.removesuffix(" POST"), {**world, "ids": ids, "retry_ids": ids})
    got = {}
    for role in ("agent_a", "agent_b"):
        response = getattr(reassigned_client(role, world, route), method.lower())(url)
        got[role] = response.status_code
    assert got == dict(zip(("agent_a", "agent_b"), expected, strict=True)), f"{method} {url}: got {got}"


def listed(response, world, path: str) -> bool | int:
    if response.status_code != 200:
        return response.status_code
    if not path.startswith("/api/"):
        return "Rita Reassigned" in response.content.decode()
    key = "interaction_id" if "interactions" in path else "contact_id"
    return any(row["id"] == world["reassigned_ids"][key] for row in response.json()["results"])


@pytest.mark.parametrize("path", sorted(REASSIGNED_LISTS))
def test_lists_and_searches_no_longer_show_a_contact_reassigned_away(path, world):
    url = path.format(**world["reassigned_ids"])
    got = {}
    for role in ("agent_a", "agent_b"):
        client = reassigned_client(role, world, url.lstrip("/"))
        got[role] = listed(client.get(url, headers={"HX-Request": "true"}), world, path)
    assert got == dict(zip(("agent_a", "agent_b"), REASSIGNED_LISTS[path], strict=True)), f"{url}: got {got}"
