"""Images an agent attaches, through the real Send view: polyglots are re-encoded to plain pixels, fakes, bombs and
huge files are refused with a sentence, and a file name like ../../evil never writes outside MEDIA_ROOT."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from interactions.models import InteractionState, Message
from tests.factories import AgentFactory, InteractionFactory

pytestmark = pytest.mark.django_db

SCRIPT = b"<script>alert('perch')</script>"


def png(size=(40, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def files_outside_media() -> set[Path]:
    media = Path(settings.MEDIA_ROOT).resolve()
    roots = {Path(settings.VAR_DIR).resolve(), Path(settings.BASE_DIR).resolve()}
    found = set()
    for root in roots:
        for path in root.rglob("evil*"):
            if media not in path.resolve().parents:
                found.add(path)
    return found


@pytest.fixture
def send():
    agent = AgentFactory()
    interaction = InteractionFactory(agent=agent, state=InteractionState.ACTIVE, accepted_at=timezone.now())
    client = Client()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")

    def post(name: str, data: bytes, content_type="image/png"):
        upload = SimpleUploadedFile(name, data, content_type=content_type)
        return client.post(f"/workspace/interactions/{interaction.pk}/send/",
                           {"text": "", "image": upload, "idempotency_key": name[-60:]})  # fmt: skip

    return post


def test_a_png_with_a_script_appended_is_re_encoded_and_a_path_in_its_name_is_ignored(send):
    before = files_outside_media()
    response = send("../../../evil.png", png() + SCRIPT)
    assert response.status_code == 200
    message = Message.objects.get(direction="out")
    stored = Path(message.attachment.path).resolve()
    assert Path(settings.MEDIA_ROOT).resolve() in stored.parents and "evil" not in stored.name
    assert SCRIPT not in stored.read_bytes()
    assert files_outside_media() == before


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("evil.png", b"<html>" + SCRIPT + b"</html>", "not an image"),  # HTML with an image's name
        ("evil.jpg", b"GIF89a" + SCRIPT, "not an image"),  # a GIF header, then script: no image in it
        ("evil.png", png((20000, 20000), mode="1"), "too large"),  # a decompression bomb: small file, 400 megapixels
        ("evil.png", b"\x89PNG" + b"\0" * (5 * 1024 * 1024 + 1), "over 5 MB"),
    ],
    ids=["html-as-png", "gif-polyglot", "bomb", "huge"],
)
def test_fakes_bombs_and_huge_files_are_refused_with_a_sentence(send, name, data, says):
    before = files_outside_media()
    response = send(name, data)
    assert response.status_code == 422
    assert says.lower() in response.content.decode().lower()
    assert not Message.objects.filter(direction="out").exists()
    assert files_outside_media() == before
