"""The world every security probe runs in: agent A works an interaction (with an image, an offer and a failed
reply) of a contact assigned to A; agent B is another agent; the supervisor is staff. A also worked a conversation
with a contact a supervisor has since reassigned to B (the "reassigned" ids)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from contacts.models import ContactIdentity
from interactions.models import InteractionState, Message, Offer
from tests.factories import AgentFactory, InboundDMFactory, InteractionFactory, UserFactory
from tests.social.conftest import png


@pytest.fixture
def world():
    agent_a, agent_b = AgentFactory(username="agent_a"), AgentFactory(username="agent_b")
    supervisor = UserFactory(username="supervisor", is_staff=True, is_superuser=True)
    interaction = InteractionFactory(agent=agent_a, state=InteractionState.ACTIVE, accepted_at=timezone.now())
    interaction.contact.assigned_agent = agent_a
    interaction.contact.save()
    email = ContactIdentity.objects.create(contact=interaction.contact, channel="email", external_id="a@example.com")
    name = default_storage.save("x-media/matrix.png", ContentFile(png()))  # a real image: nothing else is served
    image = InboundDMFactory(interaction=interaction, media=[{"type": "photo", "file": name}])
    failed = Message.objects.create(
        interaction=interaction, x_account=interaction.x_account, direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.DM, text="sorry!", delivery=Message.Delivery.FAILED, idempotency_key="matrix-failed",
    )  # fmt: skip
    queued = InteractionFactory(x_account=interaction.x_account, state=InteractionState.OFFERED)
    offer = Offer.objects.create(
        interaction=queued, agent=agent_a, state=Offer.State.OFFERED, expires_at=timezone.now() + timedelta(minutes=5)
    )
    # A worked this contact once; a supervisor then reassigned the contact to B: it is B's now, not A's.
    past = InteractionFactory(agent=agent_a, x_account=interaction.x_account, state=InteractionState.DONE,
                              contact__display_name="Rita Reassigned", done_at=timezone.now())  # fmt: skip
    past_message = InboundDMFactory(interaction=past, text="Where is my refund?", media=[{"file": name}])
    past.contact.assigned_agent = agent_b
    past.contact.save()
    reassigned_ids = {"contact_id": past.contact_id, "interaction_id": past.pk, "message_id": past_message.pk}
    ids = {
        "offer_id": offer.pk, "contact_id": interaction.contact_id, "interaction_id": interaction.pk,
        "message_id": image.pk, "index": 0, "account_id": interaction.x_account_id, "username": "nobody",
        "user_id": "1", "id": supervisor.pk, "tweet_id": "1", "participant_id": "1", "media_key": "3_1",
        "name": "default.png", "identity_id": email.pk,
    }  # fmt: skip
    retry_ids = {**ids, "message_id": failed.pk}
    return {"users": {"agent_a": agent_a, "agent_b": agent_b, "supervisor": supervisor}, "ids": ids,
            "retry_ids": retry_ids, "reassigned_ids": reassigned_ids}  # fmt: skip


from tests.social.conftest import brand, simulator  # noqa: E402, F401  (the sandbox fixtures, reused)
