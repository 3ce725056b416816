"""`/workspace/messages/<id>/media/<n>/` serves images and nothing else: the type comes from the decoder (never from
the file's name), with nosniff, `inline` only for images, and a sandbox CSP so that even a file a browser chose to
render as a page could run nothing. A probe's `.html` and `.js` "images" were served as text/html and
text/javascript, same-origin: the page loaded the script past the CSP's script-src 'self'."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from interactions.models import InteractionState, Message
from tests.factories import AgentFactory, InboundDMFactory, InteractionFactory

pytestmark = pytest.mark.django_db
SCRIPT = b"<script src='/workspace/messages/1/media/1/'></script>"


def image(fmt: str, **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture
def agent_client():
    agent = AgentFactory()
    interaction = InteractionFactory(agent=agent, state=InteractionState.ACTIVE, accepted_at=timezone.now())
    client = Client()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")

    def stored(name: str, content: bytes) -> str:
        """A message whose one media item is this stored file, as rows stored before this fix may be."""
        path = default_storage.save(f"x-media/{name}", ContentFile(content))
        message = InboundDMFactory(interaction=interaction, media=[{"type": "photo", "file": path}])
        return f"/workspace/messages/{message.pk}/media/0/"

    client.stored, client.interaction = stored, interaction
    return client


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("GIF", "image/gif", "gif"),
     ("WEBP", "image/webp", "webp")],
)  # fmt: skip
def test_an_image_is_served_as_its_decoded_type_inline_with_nosniff_and_a_sandbox(agent_client, fmt, content_type,
                                                                                  extension):  # fmt: skip
    response = agent_client.get(agent_client.stored(f"photo.{extension}", image(fmt)))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="image.{extension}"'
    assert response["Content-Security-Policy"] == "sandbox"


def test_an_image_stored_under_an_html_name_is_served_as_the_image_it_is(agent_client):
    # A GIF whose comment is a page: a polyglot. Stored as .html before this fix, it was rendered as HTML.
    response = agent_client.get(agent_client.stored("polyglot.html", image("GIF", comment=b"<html>" + SCRIPT)))
    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Security-Policy"]) == ("image/gif", "sandbox")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<!doctype html><html>" + SCRIPT + b"</html>"),
        ("app.js", b"document.title = 'pwned'"),
        ("photo.png", b"<html>" + SCRIPT + b"</html>"),  # a page under an image's name
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("photo.bmp", image("BMP")),  # an image, but not one of the four Perch stores
        ("truncated.png", b"\x89PNG\r\n\x1a\n"),
    ],
    ids=["html", "js", "html-named-png", "svg", "bmp", "truncated"],
)
def test_a_stored_file_that_is_not_an_allowed_image_is_not_served_at_all(agent_client, name, content):
    response = agent_client.get(agent_client.stored(name, content))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")  # Django's own 404 page, not the file
    assert SCRIPT not in response.content and b"pwned" not in response.content


def test_an_agents_own_attachment_is_served_the_same_way(agent_client):
    upload = SimpleUploadedFile("label.png", image("PNG"), content_type="image/png")
    interaction = agent_client.interaction
    form = {"text": "Here is the label", "image": upload, "idempotency_key": "k-attach"}
    response = agent_client.post(f"/workspace/interactions/{interaction.pk}/send/", form)
    assert response.status_code == 200
    message = Message.objects.get(direction="out")
    served = agent_client.get(f"/workspace/messages/{message.pk}/media/0/")
    assert served.status_code == 200
    assert (served["Content-Type"], served["Content-Security-Policy"]) == ("image/png", "sandbox")
    assert served["Content-Disposition"] == 'inline; filename="image.png"'
