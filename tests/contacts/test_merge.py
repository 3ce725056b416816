import pytest
from django.contrib.auth import get_user_model

from contacts import services
from contacts.models import Contact, ContactIdentity, IdentityChannel
from tests.factories import AgentFactory, InteractionFactory, TwitterIdentityFactory
from tests.helpers import sign_in
from workspace.agents.models import AgentNotice

pytestmark = pytest.mark.django_db


def test_merge_moves_identities_interactions_notes_and_owner():
    owner = AgentFactory()
    x_identity = TwitterIdentityFactory(contact__display_name="Maya on X", contact__notes="Prefers DMs")
    target = x_identity.contact
    source = Contact.objects.create(display_name="maya@example.com", notes="Called about invoice", is_vip=True,
                                    assigned_agent=owner)  # fmt: skip
    ContactIdentity.objects.create(contact=source, channel=IdentityChannel.EMAIL, external_id="maya@example.com")
    InteractionFactory(contact=source)
    InteractionFactory(contact=target)
    notice = AgentNotice.objects.create(agent=owner, kind="contact_replied", contact=source, text="Maya replied.")

    merged = services.contact_merge(target_id=target.pk, source_id=source.pk)

    assert not Contact.objects.filter(pk=source.pk).exists()
    assert merged.identities.count() == 2 and merged.interactions.count() == 2
    assert merged.notes == "Prefers DMs\n\nCalled about invoice"
    assert merged.is_vip and merged.assigned_agent == owner
    assert AgentNotice.objects.get(pk=notice.pk).contact == merged  # the agent's notice is kept, on the merged contact


def test_a_contact_cannot_be_merged_into_itself():
    contact = TwitterIdentityFactory().contact
    with pytest.raises(ValueError, match="into itself"):
        services.contact_merge(target_id=contact.pk, source_id=contact.pk)


def test_admin_merge_action_asks_for_confirmation_then_merges():
    get_user_model().objects.create_superuser("boss", password="correct-horse-battery")
    client = sign_in("boss", "correct-horse-battery")
    a, b = TwitterIdentityFactory(contact__display_name="Keep Me").contact, TwitterIdentityFactory().contact
    url = "/admin/contacts/contact/"
    form = {"action": "merge_contacts", "_selected_action": [a.pk, b.pk]}
    confirmation = client.post(url, form)
    assert confirmation.status_code == 200 and "Merge two contacts" in confirmation.content.decode()
    assert Contact.objects.count() == 2  # nothing happens before confirmation

    done = client.post(url, {**form, "confirm": "yes", "keep": a.pk}, follow=True)
    assert "was merged into <bdi>Keep Me</bdi>" in done.content.decode()
    assert list(Contact.objects.values_list("pk", flat=True)) == [a.pk]
    assert a.identities.count() == 2
