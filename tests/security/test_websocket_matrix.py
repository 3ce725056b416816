"""Every websocket route × role: anonymous and other people's roles are refused, deny by default. A route added
without a row here fails the suite, as URLs do in test_authorization_matrix.py. Then the origin check: a socket is
opened only from the page's own origin (scheme, host and port of the request) or an origin in CSRF_TRUSTED_ORIGINS,
and a path Perch does not serve is refused with a clear code, never a traceback."""

import socket

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from interactions import routing
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InteractionFactory, UserFactory
from tests.helpers import sign_in
from workspace.asgi import application
from workspace.desk.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ("anonymous", "signed_in_not_agent", "agent", "supervisor")
# route: does each role of ROLES get a socket?
WS_MATRIX = {
    "ws/workspace/": (False, False, True, True),
    "ws/board/": (False, False, False, True),
}
UNKNOWN_PATH = 4404  # the close code of a path no consumer serves (4401: not signed in, 4403: not allowed)


def test_every_websocket_route_has_a_row():
    routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    assert routes == set(WS_MATRIX), f"websocket routes and WS_MATRIX differ: {routes ^ set(WS_MATRIX)}"


def session_of(role: str) -> list[tuple[bytes, bytes]]:
    user = {"signed_in_not_agent": UserFactory, "agent": AgentFactory,
            "supervisor": lambda: UserFactory(is_staff=True)}.get(role)  # fmt: skip
    if not user:
        return []
    session = sign_in(user().username, PASSWORD).cookies["sessionid"].value
    return [(b"cookie", f"sessionid={session}".encode())]


def headers_for(role: str, *, origin: str = "http://127.0.0.1:8000", host: str = "127.0.0.1:8000") -> list:
    """What a browser on http://127.0.0.1:8000/workspace/ sends: its origin, the host it asks, its session."""
    headers = [(b"host", host.encode())] if host else []
    headers += [(b"origin", origin.encode())] if origin else []
    return headers + session_of(role)


def connect(path: str, headers) -> tuple[bool, int | None]:
    async def scenario():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected, code

    return async_to_sync(scenario)()


@pytest.mark.parametrize("route", sorted(WS_MATRIX))
def test_each_role_gets_a_socket_only_where_the_matrix_says(route):
    got = tuple(connect(f"/{route}", headers_for(role))[0] for role in ROLES)
    assert got == WS_MATRIX[route], f"{route}: {dict(zip(ROLES, got, strict=True))}"


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/workspace", "/ws/workspace/extra/", "/", "/workspace/"])
def test_a_path_perch_does_not_serve_is_refused_with_a_clear_code(path):
    for role in ROLES:
        assert connect(path, headers_for(role)) == (False, UNKNOWN_PATH), f"{role} on {path}"


# (origin, host): may a supervisor's browser open /ws/workspace/ and /ws/board/ with them?
ORIGINS = {
    ("http://127.0.0.1:8000", "127.0.0.1:8000"): True,  # the page's own origin
    ("http://127.0.0.1", "127.0.0.1"): True,  # default port, on both sides
    ("http://127.0.0.1", "127.0.0.1:80"): True,
    ("http://[::1]:8000", "[::1]:8000"): True,
    ("HTTP://127.0.0.1:8000", "127.0.0.1:8000"): True,  # scheme and host are case-insensitive
    ("http://127.0.0.1:9999", "127.0.0.1:8000"): False,  # another port is another origin (the probe's finding)
    ("https://127.0.0.1:8000", "127.0.0.1:8000"): False,  # another scheme
    ("http://localhost:8000", "127.0.0.1:8000"): False,  # another host, though both are in ALLOWED_HOSTS
    ("https://evil.example", "127.0.0.1:8000"): False,
    ("http://evil.example", "evil.example"): False,  # same origin, but a host Perch does not serve (DNS rebinding)
    ("null", "127.0.0.1:8000"): False,  # a sandboxed frame or a file: page
    ("http://127.0.0.1:8000/workspace/", "127.0.0.1:8000"): False,  # an origin has no path
    ("http://user@127.0.0.1:8000", "127.0.0.1:8000"): False,
    ("http://127.0.0.1:notaport", "127.0.0.1:8000"): False,
    ("http://127.0.0.1:8000", "127.0.0.1:notaport"): False,
    ("", "127.0.0.1:8000"): False,  # no Origin header: not a browser page of ours
    ("http://127.0.0.1:8000", ""): False,  # no Host header: nothing to compare with
}


@pytest.mark.parametrize("route", sorted(WS_MATRIX))
@pytest.mark.parametrize(("origin", "host"), list(ORIGINS), ids=[f"{o or '-'} on {h or '-'}" for o, h in ORIGINS])
def test_only_the_pages_own_origin_gets_a_socket(route, origin, host):
    connected, code = connect(f"/{route}", headers_for("supervisor", origin=origin, host=host))
    assert connected == ORIGINS[(origin, host)], f"{origin!r} on {host!r}: {code}"
    assert connected or code == 4403


@pytest.mark.parametrize("route", sorted(WS_MATRIX))
def test_an_origin_in_csrf_trusted_origins_gets_a_socket(route, settings):
    """Behind a proxy the page may come from another origin than the one Daphne sees: trust it explicitly."""
    settings.CSRF_TRUSTED_ORIGINS = ["https://perch.example.com", "https://*.care.example.com"]
    for origin, connects in [("https://perch.example.com", True), ("https://eu.care.example.com", True),
                             ("http://perch.example.com", False), ("https://perch.example.com:8443", False),
                             ("https://example.com", False)]:  # fmt: skip
        connected, _ = connect(f"/{route}", headers_for("supervisor", origin=origin))
        assert connected == connects, origin


def test_behind_a_tls_proxy_the_forwarded_scheme_counts(settings):
    """The load balancer ends TLS and says so in X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER), as for pages."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "perch.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    forwarded = [(b"x-forwarded-proto", b"https")]
    page = headers_for("supervisor", origin="https://perch.example.com", host="perch.example.com")
    assert connect("/ws/workspace/", page + forwarded)[0]
    assert not connect("/ws/workspace/", page)[0]  # over plain http, an https page is another origin
    plain = headers_for("supervisor", origin="http://perch.example.com", host="perch.example.com")
    assert not connect("/ws/workspace/", plain + forwarded)[0]


def handshake(base_url: str, path: str, origin: str) -> str:
    """The status line Daphne answers a browser's websocket handshake with."""
    host = base_url.removeprefix("http://")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", f"Origin: {origin}", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]  # fmt: skip
    request = "\r\n".join(lines) + "\r\n\r\n"
    with socket.create_connection(tuple(host.split(":")), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).decode("latin1").split("\r\n", 1)[0]


def test_the_live_server_refuses_unknown_paths_and_foreign_ports_without_an_error(live_server_url):
    """Through Daphne itself: a refused handshake is an HTTP 403, never a 500 or a dropped connection."""
    own, port = live_server_url, int(live_server_url.rsplit(":", 1)[1])
    assert handshake(own, "/ws/workspace/", own) == "HTTP/1.1 403 Access denied"  # anonymous
    assert handshake(own, "/ws/nope/", own) == "HTTP/1.1 403 Access denied"
    foreign = f"http://127.0.0.1:{port + 1}"
    assert handshake(own, "/ws/workspace/", foreign) == "HTTP/1.1 403 Access denied"


def test_pushes_about_a_reassigned_contact_reach_its_agent_now_never_the_one_who_worked_it():
    """The websocket carries ids to the agents the rule names (interactions.visibility.visible_contacts_q): when the
    customer A once served, now B's contact, writes again, B hears it and A's tab gets nothing."""
    agent_a, agent_b = AgentFactory(), AgentFactory()
    contact = ContactFactory(assigned_agent=agent_b)
    InteractionFactory(contact=contact, agent=agent_a, state="done")

    def tab_of(agent):
        cookie = sign_in(agent.username, PASSWORD).cookies["sessionid"].value
        headers = [*headers_for("anonymous"), (b"cookie", f"sessionid={cookie}".encode())]
        return WebsocketCommunicator(application, "/ws/workspace/", headers=headers)

    def customer_writes_again():
        InteractionFactory(contact=contact)  # queued; nobody is Ready, so B is told rather than offered
        routing.route_queue()

    async def scenario():
        tab_a, tab_b = tab_of(agent_a), tab_of(agent_b)
        for tab in (tab_a, tab_b):
            assert (await tab.connect(timeout=5))[0]
            await tab.receive_json_from(timeout=5)  # hello
        await database_sync_to_async(customer_writes_again)()
        to_b = {(await tab_b.receive_json_from(timeout=5))["type"]}
        while not await tab_b.receive_nothing(timeout=0.5):
            to_b.add((await tab_b.receive_json_from())["type"])
        nothing_to_a = await tab_a.receive_nothing(timeout=0.5)
        for tab in (tab_a, tab_b):
            await tab.disconnect()
        return to_b, nothing_to_a

    to_b, nothing_to_a = async_to_sync(scenario)()
    assert to_b == {"notice.created"}, to_b
    assert nothing_to_a, "the agent who once worked the contact still hears about it"
