"""Account health as supervisors see it: a revoked token shows "needs reconnect" on the board within one poll
and reaches their websocket; a usually busy account that falls silent raises an alert — not before."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.utils import timezone

from interactions.models import Message
from social import health, polling
from social.tasks import check_account_silence
from tests.factories import PASSWORD, InteractionFactory, XAccountFactory
from tests.helpers import sign_in
from workspace.asgi import application


def board_socket(client):
    headers = [
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    return WebsocketCommunicator(application, "/ws/board/", headers=headers)


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_shows_needs_reconnect_on_the_board_within_one_poll_and_alerts_live(simulator, brand):
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True)
    client = sign_in("sam", PASSWORD)
    polling.poll_account(account_id=brand.pk)
    before = client.get("/admin/board/health/").content.decode()
    assert "Healthy" in before and "Needs reconnect" not in before
    simulator.revoke(brand.x_user_id)

    async def scenario():
        board = board_socket(client)
        assert (await board.connect(timeout=5))[0]
        await board.receive_json_from(timeout=5)  # hello
        await database_sync_to_async(polling.poll_account)(account_id=brand.pk)  # one poll
        alert = await board.receive_json_from(timeout=5)
        await board.disconnect()
        return alert

    alert = async_to_sync(scenario)()
    assert alert["type"] == "account.needs_reconnect" and alert["account_id"] == brand.pk
    card = client.get("/admin/board/health/").content.decode()
    assert "Needs reconnect" in card and "Enter new credentials" in card
    assert "Needs reconnect" in client.get("/admin/").content.decode()  # on the admin index too


def busy_week(account, *, end, per_hour=10):
    """A week of customer DMs at `per_hour`, the last one at `end`."""
    interaction = InteractionFactory(x_account=account)
    count = int(7 * 24 * per_hour)
    Message.objects.bulk_create(
        Message(interaction=interaction, x_account=account, direction="in", kind="dm", text="hello",
                external_id=f"busy-{account.pk}-{n}", created_at=end - timedelta(hours=n / per_hour))
        for n in range(count)
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_silence_alert_fires_after_n_minutes_of_silence_on_a_busy_account_and_not_before():
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True)
    client = sign_in("sam", PASSWORD)
    last_event = timezone.now().replace(microsecond=0)
    busy, quiet = XAccountFactory(name="Busy Air"), XAccountFactory(name="Quiet Rail")
    busy_week(busy, end=last_event)
    busy_week(quiet, end=last_event - timedelta(hours=2), per_hour=0.2)  # 1 event every 5 h: never "busy"
    minutes = health.silence_minutes()

    async def scenario():
        board = board_socket(client)
        assert (await board.connect(timeout=5))[0]
        await board.receive_json_from(timeout=5)  # hello

        def at(delta):
            with time_machine.travel(last_event + delta, tick=False):
                return health.accounts_check_silence()

        early = await database_sync_to_async(at)(timedelta(minutes=minutes - 1))
        nothing_yet = await board.receive_nothing(timeout=0.3)
        due = await database_sync_to_async(at)(timedelta(minutes=minutes + 1))
        alert = await board.receive_json_from(timeout=5)
        again = await database_sync_to_async(at)(timedelta(minutes=minutes + 5))  # once per silence
        await board.disconnect()
        return early, nothing_yet, due, alert, again

    early, nothing_yet, due, alert, again = async_to_sync(scenario)()
    assert early == [] and nothing_yet
    assert due == [busy.pk] and again == []
    assert alert["type"] == "account.silent" and alert["account_id"] == busy.pk
    assert f"no events for {minutes} minutes while usually busy" in alert["message"]

    with time_machine.travel(last_event + timedelta(minutes=minutes + 2), tick=False):
        card = client.get("/admin/board/health/").content.decode()
    assert card.split('aria-label="Busy Air')[1].count(f"Silent for {minutes}+ min") == 1
    assert "Silent" not in card.split('aria-label="Quiet Rail')[1]

    # Events flow again: the flag clears at the next check (and a new silence would alert again).
    InteractionFactory(x_account=busy).messages.create(
        x_account=busy, direction="in", kind="dm", text="back", external_id="again", created_at=timezone.now()
    )
    check_account_silence()
    busy.refresh_from_db()
    assert busy.silent_since is None
