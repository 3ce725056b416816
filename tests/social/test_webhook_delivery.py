"""Webhook mode end to end: Perch registers itself at the sandbox, which delivers signed X Activity API events to
it as X does."""

import time

import pytest

from interactions.models import Interaction, Message
from social import polling
from social.models import XWebhook
from tests.social.conftest import png, switch_to_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_dms_and_mentions_arrive_by_webhook_and_a_catch_up_poll_adds_nothing(simulator, brand, live_server_url):
    assert switch_to_webhook(brand, live_server_url).state == XWebhook.State.CONNECTED
    maya = simulator.user("maya", "Maya Patel")
    simulator.dm(maya, brand.x_user_id, "Pushed, not polled")
    simulator.tweet(maya, "@acmecare also public")

    assert wait_for(lambda: Message.objects.count() == 2), "the webhook deliveries were not stored"
    assert set(Interaction.objects.values_list("kind", flat=True)) == {"chat", "twitter"}
    assert polling.poll_account(account_id=brand.pk).error == "account receives events by webhook"
    report = polling.poll_account(account_id=brand.pk, force=True)  # the catch-up poll of a mode switch
    assert report.created == 0 and Message.objects.count() == 2


def test_deliveries_signed_with_another_secret_are_refused_and_logged_as_failed(simulator, brand, live_server_url):
    switch_to_webhook(brand, live_server_url)
    simulator.app("consumer-key", "an-attacker-guess")  # X now signs with a secret that is not the account's
    simulator.dm(simulator.user("mallory", "Mallory"), brand.x_user_id, "fake")
    assert wait_for(lambda: any(d["state"] == "failed" for d in simulator.deliveries()))
    (delivery,) = simulator.deliveries()
    assert (delivery["event_type"], delivery["status_code"]) == ("dm.received", 403)
    assert "Invalid signature" in delivery["error"]
    assert not Message.objects.exists()


def test_a_dm_with_an_image_arrives_by_webhook_with_its_image(simulator, brand, live_server_url):
    switch_to_webhook(brand, live_server_url)
    simulator.dm(simulator.user("maya", "Maya Patel"), brand.x_user_id, "Here is the broken handle", image=png())
    assert wait_for(lambda: Message.objects.filter(media__0__file__isnull=False).exists()), "no image was stored"
    message = Message.objects.get()
    assert message.text == "Here is the broken handle" and len(message.media) == 1


def test_a_reply_by_webhook_to_a_tweet_perch_never_saw_brings_its_parent(simulator, brand, live_server_url):
    maya, tom = simulator.user("maya", "Maya Patel"), simulator.user("tom", "Tom Becker")
    parent = simulator.tweet(maya, "Third delay this week on the 7:40 to Lisbon")  # no mention: Perch never sees it
    switch_to_webhook(brand, live_server_url)
    simulator.tweet(tom, "@acmecare same here, what is going on?", in_reply_to=parent["id"])

    assert wait_for(lambda: Message.objects.count() == 2), "the reply and its fetched parent were not stored"
    interaction = Interaction.objects.get()
    reply = interaction.messages.get(text="@maya @acmecare same here, what is going on?")  # X put Maya in front
    assert reply.display_text == "@acmecare same here, what is going on?"
    assert interaction.messages.get(external_id=reply.in_reply_to_external_id).text == parent["text"]
    assert interaction.contact.display_name == "Tom Becker"  # the one who wrote to the brand
