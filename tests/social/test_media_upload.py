"""An agent's image goes to X through X's v2 media upload, on Perch's real sending path to the sandbox over HTTP:
small images in one shot, GIFs and bigger images in chunks (with X's processing polled), each with the
media_category of its use. X's failures on the way fail or retry the message as any X failure does, and nothing
is sent twice. The retired v1.1 upload answers with X's refusal."""

import io
import math
import os
from datetime import timedelta

import pytest
import requests
import time_machine
import tweepy
from PIL import Image

from interactions import outbox, services
from interactions.models import Message
from social import polling, sending
from social.integrations.x_client import CHUNK_BYTES, ONE_SHOT_MAX_BYTES, XClient, XError
from social.sandbox.models import SandboxMedia, SandboxUpload
from tests.factories import AgentFactory
from tests.social.conftest import png
from tests.social.test_sending import brand_dms_to, dm_conversation

pytestmark = pytest.mark.django_db(transaction=True)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 20)).save(out, "JPEG")
    return out.getvalue()


def animated_gif() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("P", (60, 40), 30 * n) for n in range(4)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    return out.getvalue()


def photo_over_the_one_shot_size() -> bytes:
    """A real photo-sized PNG: noise does not compress, so Perch's re-encoding keeps it over ONE_SHOT_MAX_BYTES."""
    out = io.BytesIO()
    Image.frombytes("RGB", (900, 900), os.urandom(3 * 900 * 900)).save(out, "PNG")
    assert ONE_SHOT_MAX_BYTES < len(out.getvalue()) < 5 * 1024 * 1024
    return out.getvalue()


def tweet_conversation(simulator, brand):
    """A customer tweets at the brand, Perch polls it, an agent accepts."""
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "@acmecare the strap on my bag broke, look")
    polling.poll_account(account_id=brand.pk)
    agent = AgentFactory()
    interaction = brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    return maya, tweet, agent, interaction


def sent_media(activity_items: list[dict]) -> SandboxMedia:
    """The one medium the sandbox attached to the brand's one DM or reply."""
    assert len(activity_items) == 1, activity_items
    keys = activity_items[0]["media_keys"]
    assert len(keys) == 1, "the image was not attached"
    return SandboxMedia.objects.get(media_key=keys[0])


def replies_to(simulator, maya, tweet) -> list[dict]:
    return [t for t in simulator.activity(maya)["replies"] if t["in_reply_to_tweet_id"] == tweet["id"]]


def send_gif_dm(simulator, brand, key="g1"):
    maya, agent, interaction = dm_conversation(simulator, brand)
    message = outbox.outbox_send_dm(
        interaction_id=interaction.pk, agent=agent, text="This is how to fold it", image=animated_gif(),
        idempotency_key=key,
    )  # fmt: skip
    message.refresh_from_db()
    return maya, agent, message


# --- One shot and chunked, with the right category ------------------------------------------------------------
def test_a_small_png_in_a_dm_goes_in_one_request_as_dm_image(simulator, brand):
    maya, agent, interaction = dm_conversation(simulator, brand)
    message = outbox.outbox_send_dm(
        interaction_id=interaction.pk, agent=agent, text="Your label", image=png(), idempotency_key="p1"
    )
    message.refresh_from_db()
    assert message.delivery == Message.Delivery.SENT
    media = sent_media(brand_dms_to(simulator, maya))
    assert (media.category, media.image_type, media.media_id) == ("dm_image", "png", message.x_media_id)
    assert not SandboxUpload.objects.exists()  # one POST /2/media/upload, no chunked session


def test_a_small_jpeg_in_a_reply_goes_in_one_request_as_tweet_image(simulator, brand):
    maya, tweet, agent, interaction = tweet_conversation(simulator, brand)
    reply = outbox.outbox_reply(
        interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet["id"], text="Sorry! Like this one?",
        image=jpeg(), idempotency_key="j1",
    )  # fmt: skip
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.SENT
    media = sent_media(replies_to(simulator, maya, tweet))
    assert (media.category, media.image_type) == ("tweet_image", "jpeg")
    assert not SandboxUpload.objects.exists()


def test_a_gif_in_a_dm_goes_in_chunks_as_dm_gif_and_waits_for_x_to_process_it(simulator, brand):
    maya, agent, message = send_gif_dm(simulator, brand)
    assert message.delivery == Message.Delivery.SENT, message.last_error
    media = sent_media(brand_dms_to(simulator, maya))
    assert (media.category, media.image_type, media.media_key) == ("dm_gif", "gif", f"16_{message.x_media_id}")
    upload = SandboxUpload.objects.get(media_id=message.x_media_id)
    # FINALIZE said pending; Perch asked STATUS (in_progress, then succeeded) before it sent the DM.
    assert (upload.processed, upload.state, upload.segments, upload.media_type) == (True, "succeeded", 1, "image/gif")
    # X's copy of the DM, read by the next poll, is this row's: the GIF is not stored a second time.
    polling.poll_account(account_id=brand.pk)
    outbound = Message.objects.filter(interaction=message.interaction, direction=Message.Direction.OUTBOUND)
    assert list(outbound.values_list("pk", "external_id")) == [(message.pk, message.external_id)]


def test_an_image_over_the_one_shot_size_in_a_reply_goes_in_chunks_as_tweet_image(simulator, brand):
    photo = photo_over_the_one_shot_size()
    maya, tweet, agent, interaction = tweet_conversation(simulator, brand)
    reply = outbox.outbox_reply(
        interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet["id"], text="Here is the repair guide",
        image=photo, idempotency_key="b1",
    )  # fmt: skip
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.SENT, reply.last_error
    media = sent_media(replies_to(simulator, maya, tweet))
    assert media.category == "tweet_image"
    sent_bytes = bytes(media.content)
    assert len(sent_bytes) > ONE_SHOT_MAX_BYTES and sent_bytes == reply.attachment.open("rb").read()
    upload = SandboxUpload.objects.get(media_id=reply.x_media_id)
    assert upload.segments == math.ceil(len(sent_bytes) / CHUNK_BYTES) and upload.state == "succeeded"


# --- The retired v1.1 upload -------------------------------------------------------------------------------------
def test_the_v1_1_upload_the_old_code_used_gets_x_s_refusal(simulator, brand):
    """What Perch's client did before (tweepy's API.simple_upload, the v1.1 upload host) answers as X does now."""
    from social.integrations.x_client import _mount, _translate

    auth = tweepy.OAuth1UserHandler(brand.consumer_key, brand.consumer_secret, brand.access_token, "secret")
    api = tweepy.API(auth, retry_count=0)
    _mount(api.session, simulator.base)
    with pytest.raises(tweepy.HTTPException) as refused:
        api.simple_upload("label.png", file=io.BytesIO(png()), media_category="dm_image")
    assert refused.value.response.status_code == 410 and refused.value.api_codes == [251]
    error = _translate(refused.value, "upload the image")
    assert isinstance(error, XError) and error.status == 410
    assert str(error) == "X refused to upload the image: This endpoint has been retired and should not be used. (410)"
    assert not SandboxMedia.objects.exists()


# --- X failing on the way ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "skip,status,hold",
    [(1, 503, "backoff"), (2, 503, "backoff"), (1, 429, "rate_limit"), (2, 429, "rate_limit")],
    ids=["append-503", "finalize-503", "append-429", "finalize-429"],
)
def test_x_failing_an_append_or_finalize_holds_the_message_and_it_goes_once_later(simulator, brand, skip, status, hold):
    maya, agent, interaction = dm_conversation(simulator, brand)
    # POST /2/media/upload/… of a one-segment GIF: initialize, append, finalize; `skip` lets the first ones through.
    simulator.fault(method="POST", path="/2/media/upload/", status=status, skip=skip, times=1)
    message = outbox.outbox_send_dm(
        interaction_id=interaction.pk, agent=agent, text="Folding, step by step", image=animated_gif(),
        idempotency_key="f1",
    )  # fmt: skip
    message.refresh_from_db()
    assert (message.delivery, message.hold_reason, message.x_media_id) == ("queued", hold, "")
    if status == 503:
        assert message.last_error == "X had a server error while trying to upload the image (503)."
    assert brand_dms_to(simulator, maya) == []
    with time_machine.travel(message.send_after + timedelta(seconds=1), tick=False):
        assert message.pk in list(sending.dispatchable())
        assert sending.send(message_id=message.pk) == sending.Outcome.SENT
    message.refresh_from_db()
    sent = brand_dms_to(simulator, maya)
    assert len(sent) == 1 and sent[0]["id"] == message.external_id and message.attempts == 2
    assert sent_media(sent).category == "dm_gif"
    assert SandboxMedia.objects.count() == 1  # the upload X refused half-way was never a medium


def test_a_failed_upload_retried_without_a_fault_does_not_send_the_dm_twice(simulator, brand):
    """A 5xx on the DM itself after the upload: the retry reuses the uploaded image and asks X first."""
    maya, agent, interaction = dm_conversation(simulator, brand)
    simulator.fault(method="POST", path="/2/dm_conversations/with/", status=500, times=1)
    message = outbox.outbox_send_dm(
        interaction_id=interaction.pk, agent=agent, text="Label attached", image=png(), idempotency_key="r1"
    )
    message.refresh_from_db()
    assert (message.delivery, message.hold_reason) == ("queued", "backoff") and message.x_media_id
    uploaded = message.x_media_id
    with time_machine.travel(message.send_after + timedelta(seconds=1), tick=False):
        assert sending.send(message_id=message.pk) == sending.Outcome.SENT
    message.refresh_from_db()
    assert message.x_media_id == uploaded and SandboxMedia.objects.count() == 1  # uploaded once
    assert len(brand_dms_to(simulator, maya)) == 1


def test_x_failing_to_process_the_gif_fails_the_message_with_words_for_the_agent(simulator, brand):
    answer = requests.post(f"{simulator.api}/media_processing", json={"outcome": "failed"}, timeout=10)
    assert answer.status_code == 200, answer.text
    maya, agent, message = send_gif_dm(simulator, brand)
    assert message.delivery == Message.Delivery.FAILED
    assert message.last_error == "X could not process the image (its processing failed): attach another image."
    assert brand_dms_to(simulator, maya) == [] and message.x_media_id == ""
    assert SandboxUpload.objects.get().state == "failed" and not SandboxMedia.objects.exists()


# --- The client's own guarantees -----------------------------------------------------------------------------
def test_an_upload_answers_a_media_id_x_accepts_in_a_dm_only_once(simulator, brand):
    """X's rule for DM media (not `shared`): one DM. Perch never shares: each DM image is uploaded for its DM."""
    maya = simulator.user("maya", "Maya Patel")
    client = XClient.for_account(brand)
    media_id = client.upload_media(content=png(), media_type="image/png", category="dm_image")
    client.send_dm(participant_id=maya["id"], text="one", media_id=media_id)
    with pytest.raises(XError, match="Your media IDs are invalid"):
        client.send_dm(participant_id=maya["id"], text="two", media_id=media_id)
    assert [dm["text"] for dm in brand_dms_to(simulator, maya)] == ["one"]


def test_the_budget_counts_each_upload_call(simulator, brand):
    from social import budget

    XClient.for_account(brand).upload_media(content=animated_gif(), media_type="image/gif", category="tweet_gif")
    used = {(u.endpoint, u.window_seconds): u.used for u in budget.usage(brand)}
    assert used[("media_initialize", 900)] == used[("media_append", 900)] == used[("media_finalize", 900)] == 1
    assert used[("media_status", 900)] == 2 and used[("media_upload", 900)] == 0
