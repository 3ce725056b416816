"""Typing and Seen pushes through the real stack (a delivery's transaction → after commit → Redis channel layer →
/ws/workspace/): each reaches the sockets it is for and no other."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.utils import timezone

from interactions.models import Message
from social.ingest.indicators import receive
from social.ingest.threads import dm_thread_key
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InteractionFactory, XAccountFactory
from tests.helpers import sign_in
from workspace.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)
BRAND, MAYA = "1800000000000000500", "1900000000000000001"


def tab_headers(user):
    client = sign_in(user.username, PASSWORD)
    return [
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]


@database_sync_to_async
def deliver(account, event_type, event):
    key = {"dm.read": "direct_message_mark_read_events", "dm.indicate_typing": "direct_message_indicate_typing_events"}
    with transaction.atomic():  # as the webhook view: pushes go once the delivery is stored
        return receive(account=account, event_type=event_type, payload={key[event_type]: [event]}, includes={})


def test_typing_reaches_who_may_watch_without_a_sequence_number_and_seen_reaches_the_agent():
    holder, owner, stranger = AgentFactory(), AgentFactory(), AgentFactory()
    account = XAccountFactory(x_user_id=BRAND)
    interaction = InteractionFactory(
        x_account=account, contact=ContactFactory(assigned_agent=owner), thread_key=dm_thread_key(BRAND, MAYA),
        state="active", agent=holder,
    )  # fmt: skip
    answer = Message.objects.create(
        interaction=interaction, x_account=account, kind="dm", direction="out", external_id="1000000000000000200",
        delivery="sent", sent_at=timezone.now(), author_agent=holder, text="Your bag is on its way",
    )  # fmt: skip
    headers = {agent.pk: tab_headers(agent) for agent in (holder, owner, stranger)}
    who = {"sender_id": MAYA, "target": {"recipient_id": BRAND}, "created_timestamp": "1764000000000"}

    async def scenario():
        tabs = {pk: WebsocketCommunicator(application, "/ws/workspace/", headers=h) for pk, h in headers.items()}
        hellos = {}
        for pk, tab in tabs.items():
            assert (await tab.connect(timeout=5))[0]
            hellos[pk] = await tab.receive_json_from(timeout=5)
        await deliver(account, "dm.indicate_typing", who)
        typing = {pk: await tabs[pk].receive_json_from(timeout=5) for pk in (holder.pk, owner.pk)}
        stranger_heard = not await tabs[stranger.pk].receive_nothing(timeout=0.5)
        await deliver(account, "dm.read", {**who, "last_read_event_id": answer.external_id})
        seen = await tabs[holder.pk].receive_json_from(timeout=5)
        others = [not await tabs[pk].receive_nothing(timeout=0.5) for pk in (owner.pk, stranger.pk)]
        for tab in tabs.values():
            await tab.disconnect()
        return hellos, typing, stranger_heard, seen, others

    hellos, typing, stranger_heard, seen, others = async_to_sync(scenario)()
    assert typing == {
        holder.pk: {"type": "contact.typing", "interaction_id": interaction.pk},  # no seq: missing one is no gap
        owner.pk: {"type": "contact.typing", "interaction_id": interaction.pk},  # the contact's agent may watch
    }
    assert not stranger_heard, "a typing push reached an agent who may not see the conversation"
    assert seen == {
        "type": "message.seen", "interaction_id": interaction.pk, "message_id": answer.pk,
        "seq": hellos[holder.pk]["seq"] + 1,  # a fact the page must not miss: numbered like every change
    }  # fmt: skip
    assert others == [False, False]  # Seen goes where delivery changes go: the interaction's agent
