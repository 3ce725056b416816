"""A token X refuses: the account is marked and every connected supervisor hears of it live."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model

from social import polling
from tests.helpers import sign_in
from workspace.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def test_revoked_token_marks_the_account_and_alerts_supervisors_live(simulator, brand):
    get_user_model().objects.create_user("sam", password="correct-horse-battery", is_staff=True)
    cookie = sign_in("sam", "correct-horse-battery").cookies["sessionid"].value
    simulator.revoke(brand.x_user_id)

    async def scenario():
        headers = [
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ]
        communicator = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
        assert (await communicator.connect(timeout=5))[0]
        await communicator.receive_json_from(timeout=5)  # hello
        await database_sync_to_async(polling.poll_account)(account_id=brand.pk)
        alert = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return alert

    alert = async_to_sync(scenario)()
    assert alert["type"] == "account.needs_reconnect" and alert["account_id"] == brand.pk
    brand.refresh_from_db()
    assert brand.needs_reconnect
