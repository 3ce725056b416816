import pytest
from django.db import IntegrityError, transaction

from interactions.models import Interaction, InteractionState, Message
from tests.factories import InboundDMFactory, InteractionFactory, XAccountFactory

pytestmark = pytest.mark.django_db


def test_the_same_x_event_is_stored_once_per_account():
    first = InboundDMFactory(external_id="1580000000000000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        InboundDMFactory(interaction=first.interaction, external_id="1580000000000000001")
    assert Message.objects.filter(external_id="1580000000000000001").count() == 1


def test_the_same_event_id_may_exist_on_another_account_or_kind():
    first = InboundDMFactory(external_id="1580000000000000002")
    InboundDMFactory(external_id="1580000000000000002")  # another interaction on another account
    InboundDMFactory(interaction=first.interaction, external_id="1580000000000000002", kind=Message.Kind.TWEET)
    assert Message.objects.filter(external_id="1580000000000000002").count() == 3


def test_inbound_messages_without_external_id_do_not_collide():
    interaction = InteractionFactory()
    InboundDMFactory(interaction=interaction, external_id=None)
    InboundDMFactory(interaction=interaction, external_id=None)
    assert interaction.messages.count() == 2


def test_a_double_clicked_send_cannot_create_two_outbound_messages():
    interaction = InteractionFactory()
    fields = {
        "interaction": interaction,
        "direction": "out",
        "kind": "dm",
        "delivery": "queued",
        "text": "Hi",
    }
    Message.objects.create(idempotency_key="form-7f3a", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(idempotency_key="form-7f3a", **fields)
    assert interaction.messages.count() == 1


def test_outbound_message_must_carry_a_delivery_state():
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(interaction=InteractionFactory(), direction="out", kind="dm", text="Hi")


def test_only_one_open_interaction_per_conversation_thread():
    account = XAccountFactory()
    InteractionFactory(x_account=account, thread_key="100-200")
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(x_account=account, thread_key="100-200")
    # Once the first one is done, the customer writing again opens a new interaction.
    Interaction.objects.filter(thread_key="100-200").update(state=InteractionState.DONE)
    InteractionFactory(x_account=account, thread_key="100-200")
    assert Interaction.objects.filter(thread_key="100-200").count() == 2
