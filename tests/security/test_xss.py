"""Customer text is data, never markup: names, handles, tweet and DM text, image alt text and file names carrying
script payloads render inert on every workspace page and partial, in the supervisor's admin, and in what a push
makes the page fetch (offers, the interaction list, the contact-replied notice)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from contacts.models import ContactIdentity, IdentityChannel
from interactions.models import Channel, InteractionState, Message, Offer
from social.models import RejectedEvent
from tests.factories import AgentFactory, ContactFactory, InboundDMFactory, InteractionFactory, UserFactory
from workspace.agents.models import AgentNotice

pytestmark = pytest.mark.django_db

PAYLOADS = ['<script>alert("perch")</script>', "<img src=x onerror=alert(1)>", '"><svg onload=alert(2)>']
P = "".join(PAYLOADS)


@pytest.fixture
def hostile():
    agent = AgentFactory()
    supervisor = UserFactory(is_staff=True, is_superuser=True)
    contact = ContactFactory(display_name=f"Eve {P}", notes=f"note {P}", assigned_agent=agent)
    identity = ContactIdentity.objects.create(contact=contact, channel=IdentityChannel.TWITTER,
                                              external_id="1900000000000000999", handle=f"eve{P}"[:100],
                                              display_name=P)  # fmt: skip
    chat = InteractionFactory(contact=contact, agent=agent, state=InteractionState.ACTIVE, accepted_at=timezone.now())
    name = default_storage.save(f"x-media/{PAYLOADS[1]}.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    InboundDMFactory(interaction=chat, text=f"dm {P}", author_identity=identity,
                     media=[{"file": name, "alt_text": P, "url": "javascript:alert(3)", "media_key": P}])  # fmt: skip
    tweets = InteractionFactory(contact=contact, kind=Channel.TWITTER, x_account=chat.x_account,
                                state=InteractionState.OFFERED)  # fmt: skip
    Message.objects.create(interaction=tweets, x_account=chat.x_account, direction="in", kind="tweet",
                           text=f"@acme tweet {P}", external_id="1600000000000000001",
                           author={"id": "1", "username": P, "name": P, "profile_image_url": "javascript:alert(4)"},
                           author_identity=identity)  # fmt: skip
    Message.objects.create(interaction=tweets, x_account=chat.x_account, direction="in", kind="tweet",
                           text=f"reply {P}", external_id="1600000000000000002",
                           in_reply_to_external_id="1600000000000000001", author={"name": P})  # fmt: skip
    Offer.objects.create(interaction=tweets, agent=agent, state=Offer.State.OFFERED,
                         expires_at=timezone.now() + timedelta(minutes=5))  # fmt: skip
    RejectedEvent.objects.create(account=chat.x_account, stream="dm_events", payload={"text": P}, error=P[:300])
    return {"agent": agent, "supervisor": supervisor, "contact": contact, "chat": chat, "tweets": tweets}


def assert_inert(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    for payload in PAYLOADS:
        assert payload not in body, f"{url} renders {payload!r} unescaped"
    assert 'href="javascript:' not in body and 'src="javascript:' not in body, url  # X's media URL is never a link
    return body


def test_payloads_render_inert_on_every_workspace_page(hostile):
    client = Client()
    client.force_login(hostile["agent"], backend="django.contrib.auth.backends.ModelBackend")
    chat, tweets, contact = hostile["chat"], hostile["tweets"], hostile["contact"]
    home = assert_inert(client, "/workspace/")
    assert "&lt;script&gt;" in home  # the name is there, as text
    for url in ["/workspace/offers/", "/workspace/interactions/", f"/workspace/interactions/{chat.pk}/",
                f"/workspace/interactions/{chat.pk}/conversation/", f"/workspace/contacts/{contact.pk}/",
                f"/workspace/contacts/{contact.pk}/?part=history", f"/workspace/contacts/{contact.pk}/transcript/",
                "/workspace/connect/", f"/workspace/connect/?q={contact.display_name[:8]}",
                f"/workspace/connect/?contact={contact.pk}"]:  # fmt: skip
        assert_inert(client, url)
    AgentNotice.objects.create(agent=hostile["agent"], kind="contact_replied", contact=contact, text=f"{P} replied.")
    as_the_page = Client(headers={"HX-Request": "true"})  # the partials the Connect view loads
    as_the_page.force_login(hostile["agent"], backend="django.contrib.auth.backends.ModelBackend")
    for url in [f"/workspace/connect/contacts/{contact.pk}/", f"/workspace/connect/contacts/{contact.pk}/transcript/",
                "/workspace/connect/notices/", "/workspace/connect/replied/"]:  # fmt: skip
        assert_inert(as_the_page, url)
    offers = assert_inert(client, "/workspace/offers/")
    assert "tweet &lt;script&gt;" in offers  # the first words of the offer, escaped
    # The twitter interaction, once accepted: the tweet tree with the authors' names.
    tweets.agent, tweets.state = hostile["agent"], InteractionState.ACTIVE
    tweets.save()
    for url in [f"/workspace/interactions/{tweets.pk}/", f"/workspace/interactions/{tweets.pk}/conversation/"]:
        assert_inert(client, url)


def test_payloads_render_inert_in_the_admin(hostile):
    client = Client()
    client.force_login(hostile["supervisor"], backend="django.contrib.auth.backends.ModelBackend")
    chat, contact = hostile["chat"], hostile["contact"]
    message = chat.messages.first()
    rejected = RejectedEvent.objects.get()
    for url in ["/admin/contacts/contact/", f"/admin/contacts/contact/{contact.pk}/change/",
                "/admin/contacts/contactidentity/", "/admin/interactions/interaction/",
                f"/admin/interactions/interaction/{chat.pk}/change/", "/admin/interactions/message/",
                f"/admin/interactions/message/{message.pk}/change/", "/admin/interactions/offer/",
                "/admin/social/rejectedevent/", f"/admin/social/rejectedevent/{rejected.pk}/change/",
                "/admin/board/", "/admin/workspace/auditentry/", "/admin/reports/"]:  # fmt: skip
        assert_inert(client, url)
