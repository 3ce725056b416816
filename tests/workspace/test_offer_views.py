"""Accept / Reject and the interaction view: only for the agent concerned, with flat query counts."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from interactions import routing, services
from interactions.models import Interaction, Offer
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.agents.models import ChannelPresence

pytestmark = pytest.mark.django_db


def offered(agent) -> Offer:
    ChannelPresence.objects.update_or_create(
        agent=agent, channel="chat", defaults={"ready": True, "since": timezone.now()}
    )
    interaction = InboundDMFactory(text="<script>alert('x')</script> my parcel").interaction
    routing.route_queue()
    return Offer.objects.get(interaction=interaction, agent=agent)


def test_accept_opens_the_interaction_and_another_agent_cannot(django_assert_max_num_queries):
    ana, ben = AgentFactory(), AgentFactory()
    offer = offered(ana)
    as_ben = sign_in(ben.username, PASSWORD)
    assert as_ben.post(f"/workspace/offers/{offer.pk}/accept/", headers={"HX-Request": "true"}).status_code == 404

    as_ana = sign_in(ana.username, PASSWORD)
    toasts = as_ana.get("/workspace/offers/").content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; my parcel" in toasts and "<script>alert" not in toasts
    response = as_ana.post(f"/workspace/offers/{offer.pk}/accept/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "perch:interactions.changed" in response["HX-Trigger"]
    assert Interaction.objects.get(pk=offer.interaction_id).state == "active"
    with django_assert_max_num_queries(9):  # 8, + the UPDATE marking it read as it opens (interactions.reading)
        view = as_ana.get(f"/workspace/interactions/{offer.interaction_id}/", headers={"HX-Request": "true"})
    assert "my parcel" in view.content.decode()
    # Accepting made the new customer Ana's contact: Ben, who could see them in the shared pool, no longer can.
    assert as_ben.get(f"/workspace/interactions/{offer.interaction_id}/").status_code == 404


def test_accepting_an_expired_offer_says_so():
    ana = AgentFactory()
    offer = offered(ana)
    with time_machine.travel(offer.expires_at + timedelta(seconds=1)):
        assert services.offers_expire_overdue() == 1  # beat's sweep, or the offer's own timer
    response = sign_in(ana.username, PASSWORD).post(
        f"/workspace/offers/{offer.pk}/accept/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 409 and "That offer ran out before your Accept arrived" in response.content.decode()


def test_accept_after_reject_says_the_agent_rejected_it():
    """A second click on a toast already rejected (the shift test's step 70 once): refused in words, not with the
    state machine's "it is queued"."""
    ana = AgentFactory()
    offer = offered(ana)
    client = sign_in(ana.username, PASSWORD)
    assert client.post(f"/workspace/offers/{offer.pk}/reject/", headers={"HX-Request": "true"}).status_code == 200
    response = client.post(f"/workspace/offers/{offer.pk}/accept/", headers={"HX-Request": "true"})
    assert response.status_code == 409 and "You rejected that offer" in response.content.decode()


def test_reject_hands_it_on():
    ana, ben = AgentFactory(), AgentFactory()
    ChannelPresence.objects.create(agent=ben, channel="chat", ready=True, since=timezone.now())
    offer = offered(ana)
    client = sign_in(ana.username, PASSWORD)
    assert client.post(f"/workspace/offers/{offer.pk}/reject/", headers={"HX-Request": "true"}).status_code == 200
    routing.route_queue()
    assert Offer.objects.get(pk=offer.pk).state == "rejected"
    assert Offer.objects.get(interaction_id=offer.interaction_id, state="offered").agent == ben


def test_the_home_page_costs_the_same_with_many_interactions(django_assert_max_num_queries):
    ana = AgentFactory()
    for _ in range(30):
        InteractionFactory(agent=ana, state="active", accepted_at=timezone.now())
    client = sign_in(ana.username, PASSWORD)
    with django_assert_max_num_queries(8):
        assert client.get("/workspace/").status_code == 200


def test_an_agent_sees_interactions_of_contacts_assigned_to_them_only():
    ana, ben = AgentFactory(), AgentFactory()
    theirs = InteractionFactory(contact=ContactFactory(assigned_agent=ana))
    assert sign_in(ana.username, PASSWORD).get(f"/workspace/interactions/{theirs.pk}/").status_code == 200
    assert sign_in(ben.username, PASSWORD).get(f"/workspace/interactions/{theirs.pk}/").status_code == 404


def test_sentiment_override_retry_and_images_are_the_agents_own():
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    ana, ben = AgentFactory(), AgentFactory()
    interaction = InteractionFactory(agent=ana, state="active", accepted_at=timezone.now(), sentiment=0.0,
                                     contact__assigned_agent=ana)  # fmt: skip
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    name = default_storage.save("x-media/test/photo.png", ContentFile(out.getvalue()))
    photo = InboundDMFactory(interaction=interaction, media=[{"media_key": "3_1", "file": name}])
    failed = interaction.messages.create(direction="out", kind="dm", delivery="failed", text="Hi", author_agent=ana,
                                         last_error="X refused to send the direct message: blocked (403)")  # fmt: skip
    as_ana, as_ben = sign_in(ana.username, PASSWORD), sign_in(ben.username, PASSWORD)

    view = as_ana.get(f"/workspace/interactions/{interaction.pk}/").content.decode()
    assert "blocked (403)" in view and "Retry" in view
    assert as_ana.get(f"/workspace/messages/{photo.pk}/media/0/").status_code == 200
    assert as_ben.get(f"/workspace/messages/{photo.pk}/media/0/").status_code == 404

    assert (
        as_ben.post(f"/workspace/interactions/{interaction.pk}/sentiment/", {"sentiment": "negative"}).status_code
        == 404
    )
    as_ana.post(f"/workspace/interactions/{interaction.pk}/sentiment/", {"sentiment": "negative"})
    interaction.refresh_from_db()
    assert interaction.sentiment < -0.5 and interaction.sentiment_overridden

    assert as_ben.post(f"/workspace/messages/{failed.pk}/retry/").status_code == 404
    # (This test's transaction never commits, so the send it queues is not dispatched: the row is what we check.)
    assert as_ana.post(f"/workspace/messages/{failed.pk}/retry/").status_code == 302
    failed.refresh_from_db()
    assert failed.delivery == "queued" and failed.last_error == ""


def test_the_contact_tab_shows_and_saves_the_contact_for_its_agent_only():
    from tests.factories import TwitterIdentityFactory

    ana, ben = AgentFactory(), AgentFactory()
    identity = TwitterIdentityFactory(handle="mayapatel", contact__display_name="Maya <Patel>",
                                      contact__assigned_agent=ana)  # fmt: skip
    InteractionFactory(agent=ana, contact=identity.contact, state="active", accepted_at=timezone.now())
    as_ana = sign_in(ana.username, PASSWORD)
    tab = as_ana.get(f"/workspace/contacts/{identity.contact_id}/").content.decode()
    assert "@mayapatel" in tab and "Maya &lt;Patel&gt;" in tab and "1 message" not in tab and "0 messages" in tab
    assert sign_in(ben.username, PASSWORD).get(f"/workspace/contacts/{identity.contact_id}/").status_code == 404

    edit = {"display_name": "Maya Patel", "default_outbound_channel": "twitter", "notes": "Prefers DMs"}
    saved = as_ana.post(f"/workspace/contacts/{identity.contact_id}/", edit)
    assert saved.status_code == 200 and "Saved." in saved.content.decode()
    identity.contact.refresh_from_db()
    assert (identity.contact.display_name, identity.contact.notes) == ("Maya Patel", "Prefers DMs")
    refused = as_ana.post(
        f"/workspace/contacts/{identity.contact_id}/", {"display_name": "", "default_outbound_channel": "fax"}
    )
    assert refused.status_code == 422


def test_the_contact_history_refreshes_alone_with_new_messages_and_keeps_to_its_agent():
    ana, ben = AgentFactory(), AgentFactory()
    interaction = InteractionFactory(agent=ana, state="active", accepted_at=timezone.now(), contact__assigned_agent=ana)
    as_ana = sign_in(ana.username, PASSWORD)
    url = f"/workspace/contacts/{interaction.contact_id}/?part=history"
    assert "Active · 0 messages" in as_ana.get(url).content.decode()

    InboundDMFactory(interaction=interaction, text="Are you there?")
    history = as_ana.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Active · 1 message" in history and "Save contact" not in history  # the form (and its edits) stays
    assert 'hx-trigger="perch:message.created from:body' in history  # and it keeps refreshing itself
    assert sign_in(ben.username, PASSWORD).get(url).status_code == 404


def test_the_contact_tab_adds_the_contacts_x_account_as_a_channel_with_clear_errors():
    from contacts.models import ContactIdentity
    from tests.factories import TwitterIdentityFactory

    ana = AgentFactory()
    contact = ContactFactory(display_name="Maya (by email)")
    InteractionFactory(agent=ana, contact=contact, state="active", accepted_at=timezone.now())
    TwitterIdentityFactory(external_id="1790000000000000999", handle="someoneelse")
    as_ana = sign_in(ana.username, PASSWORD)
    url = f"/workspace/contacts/{contact.pk}/identities/"

    refused = as_ana.post(url, {"channel": "twitter", "value": "maya", "handle": ""})
    assert refused.status_code == 422 and "Write the X user id of @maya too" in refused.content.decode()
    taken = as_ana.post(url, {"channel": "twitter", "value": "1790000000000000999"})
    assert taken.status_code == 422 and "That X account already belongs to" in taken.content.decode()
    assert not ContactIdentity.objects.filter(contact=contact).exists()

    added = as_ana.post(url, {"channel": "twitter", "value": "1790000000000000101", "handle": "@mayapatel"})
    assert added.status_code == 200 and "Channel added." in added.content.decode()
    # The card lists it at once.
    assert '<bdi class="channel-value" title="@mayapatel">@mayapatel</bdi>' in added.content.decode()
    identity = ContactIdentity.objects.get(contact=contact)
    assert (identity.channel, identity.external_id, identity.handle) == ("twitter", "1790000000000000101", "mayapatel")
    InboundDMFactory(interaction=InteractionFactory(contact=contact), author_identity=identity)
    kept = as_ana.post(f"{url}{identity.pk}/remove/")
    assert kept.status_code == 422 and "wrote messages in Perch" in kept.content.decode()
