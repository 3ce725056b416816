"""The simulator takes the images X takes (up to 5 MB) and, when it refuses one, says why in X's own words — never a
bare "400" page (Django's 2.5 MB cap for a request body answered a phone photo that way)."""

import base64
import io
import os

import pytest
import requests
from PIL import Image

from social.sandbox.models import SandboxDMEvent, SandboxMedia
from social.sandbox.services import MAX_MEDIA_BYTES

pytestmark = pytest.mark.django_db(transaction=True)


def noisy_png(side: int) -> bytes:
    """A photo-sized PNG: noise does not compress, so it weighs about 3 × side² bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)).save(out, "PNG")
    return out.getvalue()


def dm_with(simulator, image: bytes):
    brand, maya = simulator.user("acmecare"), simulator.user("maya")
    body = {"sender_id": maya["id"], "recipient_id": brand["id"], "text": "my boarding pass",
            "image_base64": base64.b64encode(image).decode()}  # fmt: skip
    return requests.post(f"{simulator.api}/dm", json=body, timeout=30)


def test_a_three_megabyte_photo_goes_through_as_on_x(simulator):
    photo = noisy_png(1000)
    assert 2.5 * 1024 * 1024 < len(photo) < MAX_MEDIA_BYTES
    answer = dm_with(simulator, photo)
    assert answer.status_code == 200, answer.text[:200]
    event = SandboxDMEvent.objects.get(pk=answer.json()["dm_event_id"])
    assert bytes(SandboxMedia.objects.get(media_key=event.media_keys[0]).content) == photo


@pytest.mark.parametrize(
    "image,words",
    [
        (os.urandom(MAX_MEDIA_BYTES + 1), f"File size exceeds {MAX_MEDIA_BYTES} bytes."),
        (os.urandom(3 * MAX_MEDIA_BYTES), f"File size exceeds {MAX_MEDIA_BYTES} bytes."),  # refused before reading
        (b"\x89PNG\r\n\x1a\n not really a PNG", "media type unrecognized."),
    ],
    ids=["just-over-5-MB", "15-MB", "fake-png"],
)
def test_a_refused_upload_is_refused_with_x_s_own_words(simulator, image, words):
    answer = dm_with(simulator, image)
    assert answer.status_code == 400 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"detail": words}
    assert not SandboxDMEvent.objects.exists() and not SandboxMedia.objects.exists()
