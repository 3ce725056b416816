"""A Send or a private note the server refuses is said once, in the composer: the answer swaps only the composer's
error line, so the header, the transcript and whatever the agent typed or attached stay as they were."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, AgentFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


@pytest.fixture
def chat(ana):
    interaction = InteractionFactory(agent=ana, state="active", accepted_at=timezone.now())
    InboundDMFactory(interaction=interaction, text="Where is my bag?")
    return interaction


def assert_said_once_in_the_composer(response, interaction, words: str):
    assert response.status_code == 422
    error_line = f"#composer-error-{interaction.pk}"
    assert (response["HX-Retarget"], response["HX-Reselect"], response["HX-Reswap"]) == (
        error_line, error_line, "outerHTML"
    )  # fmt: skip
    html = response.content.decode()
    assert html.count(words) == 1
    line = html.split(f'id="composer-error-{interaction.pk}"', 1)[1].split("</p>", 1)[0]
    assert words in line  # the one place it is said is the composer's error line


@pytest.mark.parametrize(
    ("posted", "words"),
    [
        ({"text": "x" * 10_001}, "This message is 10,001 characters; X allows 10,000 in a DM."),
        ({"text": "   "}, "Write something or attach an image before sending."),
        ({"text": "hi", "idempotency_key": "k" * 65}, "This form is out of date"),
    ],
)
def test_a_refused_send_is_said_once_in_the_composer(client, chat, posted, words):
    url = reverse("workspace:interaction_send", args=[chat.pk])
    assert_said_once_in_the_composer(client.post(url, posted, headers=HX), chat, words)
    assert not chat.messages.filter(direction="out").exists()


def test_a_refused_image_is_said_once_in_the_composer(client, chat):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("label.png", b"not a png at all", content_type="image/png")
    url = reverse("workspace:interaction_send", args=[chat.pk])
    response = client.post(url, {"text": "see attached", "image": fake}, headers=HX)
    assert_said_once_in_the_composer(response, chat, "This file is not an image Perch can read")


def test_a_refused_note_is_said_once_in_the_composer(client, chat):
    url = reverse("workspace:interaction_note", args=[chat.pk])
    assert_said_once_in_the_composer(
        client.post(url, {"text": ""}, headers=HX), chat, "Write the note before adding it."
    )


def test_without_htmx_the_refusal_is_a_whole_page_with_the_error_in_the_composer(client, chat):
    response = client.post(reverse("workspace:interaction_send", args=[chat.pk]), {"text": "x" * 10_001})
    assert response.status_code == 422 and "HX-Retarget" not in response
    html = response.content.decode()
    assert html.count("This message is 10,001 characters") == 1 and "My interactions" in html
    assert "x" * 10_001 in html  # the draft, given back
