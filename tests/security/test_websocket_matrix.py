"""Every websocket route × role: anonymous and other people's roles are refused, deny by default. A route added
without a row here fails the suite, as URLs do in test_authorization_matrix.py."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from tests.factories import PASSWORD, AgentFactory, UserFactory
from tests.helpers import sign_in
from workspace.asgi import application
from workspace.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ("anonymous", "signed_in_not_agent", "agent", "supervisor")
# route: does each role of ROLES get a socket?
WS_MATRIX = {
    "ws/workspace/": (False, False, True, True),
    "ws/board/": (False, False, False, True),
}


def test_every_websocket_route_has_a_row():
    routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    assert routes == set(WS_MATRIX), f"websocket routes and WS_MATRIX differ: {routes ^ set(WS_MATRIX)}"


def headers_for(role: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://127.0.0.1")]
    user = {"signed_in_not_agent": UserFactory, "agent": AgentFactory,
            "supervisor": lambda: UserFactory(is_staff=True)}.get(role)  # fmt: skip
    if user:
        session = sign_in(user().username, PASSWORD).cookies["sessionid"].value
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return headers


@pytest.mark.parametrize("route", sorted(WS_MATRIX))
def test_each_role_gets_a_socket_only_where_the_matrix_says(route):
    async def connects(headers) -> bool:
        communicator = WebsocketCommunicator(application, f"/{route}", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    got = tuple(async_to_sync(connects)(headers_for(role)) for role in ROLES)
    assert got == WS_MATRIX[route], f"{route}: {dict(zip(ROLES, got, strict=True))}"
