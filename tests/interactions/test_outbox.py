"""The outbox refuses what X would refuse, before anything is queued."""

import pytest
from django.utils import timezone

from interactions import outbox
from interactions.errors import NotYours
from interactions.models import Message
from tests.factories import AgentFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def working():
    agent = AgentFactory()
    return agent, InteractionFactory(agent=agent, state="active", accepted_at=timezone.now())


def test_a_fake_image_is_refused_and_nothing_is_queued(working):
    agent, interaction = working
    with pytest.raises(outbox.OutboxRefused, match="not an image"):
        outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="see attached",
                              image=b"MZ\x90\x00 an exe renamed photo.jpg", idempotency_key="i1")  # fmt: skip
    assert not Message.objects.filter(direction="out").exists()


def test_an_over_long_reply_is_refused_with_the_count(working):
    agent, _ = working
    tweet = InteractionFactory(agent=agent, state="active", accepted_at=timezone.now(), kind="twitter")
    tweet.messages.create(
        direction="in", kind="tweet", external_id="42", text="@acme help", author={"username": "maya"}
    )
    # Only the agent's text counts: X puts "@maya " in front itself, and that does not count towards 280.
    with pytest.raises(outbox.OutboxRefused, match=r"This reply is 285 characters; X allows 280\. Shorten it by 5\."):
        outbox.outbox_reply(interaction_id=tweet.pk, agent=agent, in_reply_to_tweet_id="42", text="x" * 285,
                            idempotency_key="r1")  # fmt: skip
    assert not Message.objects.filter(direction="out").exists()


def test_empty_messages_and_someone_elses_interaction_are_refused(working):
    agent, interaction = working
    with pytest.raises(outbox.OutboxRefused, match="Write something"):
        outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="   ", idempotency_key="e1")
    with pytest.raises(NotYours):
        outbox.outbox_send_dm(interaction_id=interaction.pk, agent=AgentFactory(), text="hi", idempotency_key="e2")
    assert not Message.objects.filter(direction="out").exists()
