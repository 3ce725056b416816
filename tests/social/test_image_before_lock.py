"""An agent's image is prepared (decoded, checked, re-encoded) before the send takes any lock: the probe's animated
GIF was re-encoded after `select_for_update` on the interaction and held it, and on SQLite the whole database,
for about 50 s ("database is locked" for webhooks and DMs meanwhile). Runs on SQLite and on PostgreSQL."""

import io
import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from PIL import Image

from interactions import outbox
from interactions.models import Interaction, Message
from tests.factories import AgentFactory, InteractionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def big_png() -> bytes:
    """36 megapixels that compress to 120 KB: within every limit, and a second or two of re-encoding."""
    gradient = Image.linear_gradient("L").resize((6000, 6000))
    out = io.BytesIO()
    Image.merge("RGB", (gradient, gradient.rotate(90), gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT))).save(
        out, "PNG"
    )
    return out.getvalue()


class Send(threading.Thread):
    """The agent's Send in its own thread (its own database connection), as in a web process."""

    def __init__(self, interaction, agent, image: bytes):
        super().__init__(daemon=True)
        self.interaction, self.agent, self.image = interaction, agent, image
        self.outcome: object = None

    def run(self):
        try:
            self.outcome = outbox.outbox_send_dm(interaction_id=self.interaction.pk, agent=self.agent, text="label",
                                                 image=self.image, idempotency_key="lock-order")  # fmt: skip
        except Exception as exc:  # noqa: BLE001  (the test reads what happened)
            self.outcome = exc
        finally:
            connection.close()


def short_lock_wait(milliseconds: int) -> str:
    """This connection gives up on a lock after `milliseconds`; returns the statement that restores the default."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET lock_timeout = '{milliseconds}ms'")
            return "RESET lock_timeout"
        cursor.execute(f"PRAGMA busy_timeout = {milliseconds}")
        return "PRAGMA busy_timeout = 20000"


@pytest.fixture
def working():
    agent = AgentFactory()
    return agent, InteractionFactory(agent=agent, state="active", accepted_at=timezone.now())


def test_a_refused_image_is_refused_while_someone_else_holds_the_interaction(working):
    agent, interaction = working
    send = Send(interaction, agent, b"MZ\x90\x00 an exe renamed photo.jpg")
    with transaction.atomic():  # another request holds the interaction (and, on SQLite, the database's write lock)
        Interaction.objects.select_for_update().get(pk=interaction.pk)
        send.start()
        send.join(timeout=10)
        waited = send.is_alive()
    send.join()
    assert not waited, "the image was looked at only after the send got the interaction's lock"
    assert isinstance(send.outcome, outbox.OutboxRefused) and "not an image" in str(send.outcome)


def test_the_interaction_can_be_written_while_a_big_image_is_prepared(working):
    agent, interaction = working
    image = big_png()
    restore = short_lock_wait(300)
    send = Send(interaction, agent, image)
    blocked, writes = [], 0
    try:
        send.start()
        while send.is_alive():
            try:
                with connection.cursor() as cursor:  # what a webhook or a routing move does meanwhile
                    cursor.execute("UPDATE interactions_interaction SET priority = priority WHERE id = %s",
                                   [interaction.pk])  # fmt: skip
                writes += 1
            except OperationalError as exc:
                blocked.append(str(exc).strip())
    finally:
        send.join()
        with connection.cursor() as cursor:
            cursor.execute(restore)
    assert isinstance(send.outcome, Message), send.outcome
    assert writes and not blocked, f"{len(blocked)} writes waited over 300 ms for the send's lock: {blocked[:1]}"
