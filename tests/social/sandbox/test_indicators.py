"""The sandbox's customer types and reads: dm.indicate_typing and dm.read payloads in the shapes of the inferred
examples (tests/social/fixtures/README.md), and the simulator's typing and read actions with clear 400s."""

from datetime import UTC, datetime

import pytest
import requests

from social.integrations.x_indicators import ReadEvent, TypingEvent, parse_indications
from social.sandbox.indicators import read_payload, typing_payload
from social.sandbox.services import sandbox_dm_send, sandbox_user_ensure
from tests.social.sandbox.conftest import assert_same_keys, example

NOT_MADE = {  # user fields of X's example the sandbox does not keep
    f"users.{user_id}.data.{name}"
    for user_id in ("3001969357", "3284025577", "199566737")
    for name in ("created_at", "location", "description", "url", "protected", "verified")
}
AT = datetime(2026, 12, 1, 12, 0, 0, 250000, tzinfo=UTC)
ORIGIN = "http://127.0.0.1:8000"


def documented(name: str) -> dict:
    return example(name)["data"]["payload"]


@pytest.mark.django_db
def test_the_sandbox_payloads_have_the_shape_of_the_inferred_examples_and_perch_reads_them():
    brand = sandbox_user_ensure(user_id="3001969357", username="furiouscamper", name="Jordan Brinks")
    typist = sandbox_user_ensure(user_id="3284025577", username="bogusbogart", name="Bogus Bogart")
    reader = sandbox_user_ensure(user_id="199566737", username="LeBraat", name="Le Braat")

    typing = typing_payload(sender=typist, recipient=brand, at=AT, origin=ORIGIN)
    assert_same_keys(typing, documented("xaa_dm_indicate_typing_inferred.json"), ignore=NOT_MADE)
    assert typing["users"]["3284025577"]["data"]["profile_image_url"] == f"{ORIGIN}/x-sandbox/avatars/bogusbogart"
    assert parse_indications("dm.indicate_typing", typing).events == [
        TypingEvent(sender_id="3284025577", recipient_id="3001969357", created_at=AT.replace(microsecond=250000))
    ]
    read = read_payload(sender=reader, recipient=brand, last_read_event_id="963085315333238788", at=AT, origin=ORIGIN)
    assert_same_keys(read, documented("xaa_dm_read_inferred.json"), ignore=NOT_MADE)
    assert parse_indications("dm.read", read).events == [
        ReadEvent(sender_id="199566737", recipient_id="3001969357", last_read_event_id="963085315333238788",
                  created_at=AT)
    ]  # fmt: skip


def call(simulator, path: str, body=None, method="POST"):
    return requests.request(method, f"{simulator.api}/{path}", json=body, timeout=10)


@pytest.mark.django_db(transaction=True)
def test_the_simulators_typing_and_read_refuse_what_cannot_be_in_words(simulator):
    brand, maya = simulator.user("acmecare", "Acme Care"), simulator.user("maya", "Maya Patel")
    omar = simulator.user("omar", "Omar")
    to_omar = simulator.dm(brand, omar["id"], "Hello Omar")["dm_event_id"]
    refusals = [
        ("typing", {"sender_id": maya["id"]}, "The field 'recipient_id' is required."),
        ("typing", {"sender_id": "1", "recipient_id": brand["id"]}, "There is no sandbox user 1."),
        ("typing", {"sender_id": maya["id"], "recipient_id": maya["id"]}, "does not type a direct message to"),
        ("read", {"sender_id": maya["id"], "recipient_id": brand["id"]}, "@acmecare has sent @maya no direct message"),
        ("read", {"sender_id": maya["id"], "recipient_id": brand["id"], "last_read_event_id": to_omar},
         f"DM {to_omar} is not part of the conversation of @maya and @acmecare."),
        ("read", {"sender_id": maya["id"], "recipient_id": maya["id"]}, "no conversation with themselves"),
    ]  # fmt: skip
    for path, body, words in refusals:
        response = call(simulator, path, body)
        assert response.status_code == 400 and words in response.json()["detail"], (path, body, response.text)
    assert call(simulator, "typing", method="GET").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_the_simulator_delivers_typing_and_read_to_the_brands_webhook(simulator, brand, live_server_url):
    """Against the contract: webhooks.deliver(user_ids, event_type, build) sends to every webhook subscribed to that
    event type; Perch's webhook view hands the payload to social.ingest.indicators.receive."""
    from interactions.models import Interaction, Message
    from tests import live_server
    from tests.social.conftest import switch_to_webhook

    switch_to_webhook(brand, live_server_url)
    maya = simulator.user("maya", "Maya Patel")
    simulator.dm(maya, brand.x_user_id, "Where is my bag?")
    live_server.wait_until_quiet(live_server_url)  # the delivery is sent from a thread after the sandbox's commit
    interaction = Interaction.objects.get(contact__display_name="Maya Patel")
    answered = sandbox_dm_send(
        sender=sandbox_user_ensure(user_id=brand.x_user_id, username="acmecare", name="Acme Care"),
        recipient=sandbox_user_ensure(user_id=maya["id"], username="maya", name="Maya Patel"),
        text="On its way",
    )
    Message.objects.create(interaction=interaction, x_account=brand, kind="dm", direction="out", delivery="sent",
                           external_id=answered.pk, text="On its way")  # fmt: skip
    assert call(simulator, "typing", {"sender_id": maya["id"], "recipient_id": brand.x_user_id}).status_code == 200
    read = call(simulator, "read", {"sender_id": maya["id"], "recipient_id": brand.x_user_id}).json()
    assert read["last_read_event_id"] == answered.pk
    live_server.wait_until_quiet(live_server_url)
    assert Message.objects.get(external_id=answered.pk).seen_at is not None
