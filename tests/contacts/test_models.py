import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contacts.models import ContactIdentity, IdentityChannel
from tests.factories import ContactFactory, TwitterIdentityFactory

pytestmark = pytest.mark.django_db


def test_one_x_user_cannot_belong_to_two_contacts():
    identity = TwitterIdentityFactory(external_id="1234567890123456789012")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactIdentity.objects.create(
            contact=ContactFactory(), channel=IdentityChannel.TWITTER, external_id=identity.external_id
        )
    assert ContactIdentity.objects.filter(external_id=identity.external_id).count() == 1


def test_same_external_id_on_another_channel_is_another_identity():
    identity = TwitterIdentityFactory(external_id="5551234")
    ContactIdentity.objects.create(contact=identity.contact, channel=IdentityChannel.SMS, external_id="5551234")
    assert identity.contact.identities.count() == 2


def test_x_ids_beyond_2_to_the_53_survive_the_round_trip():
    big = str(2**63 - 1)
    TwitterIdentityFactory(external_id=big)
    assert ContactIdentity.objects.get(external_id=big).external_id == "9223372036854775807"


@pytest.mark.parametrize("channel", IdentityChannel.values)
def test_an_identity_without_its_external_id_is_refused_by_the_database(channel):
    # Every such row of a channel would be one "person": the constraint holds on SQLite and PostgreSQL alike.
    contact = ContactFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactIdentity.objects.create(contact=contact, channel=channel, external_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactIdentity.objects.bulk_create([ContactIdentity(contact=contact, channel=channel, external_id="")])
    identity = ContactIdentity.objects.create(contact=contact, channel=channel, external_id="1900000000000000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactIdentity.objects.filter(pk=identity.pk).update(external_id="")
    assert list(ContactIdentity.objects.values_list("external_id", flat=True)) == ["1900000000000000001"]


def test_the_model_says_in_words_why_an_identity_without_its_id_is_refused():
    identity = ContactIdentity(contact=ContactFactory(), channel=IdentityChannel.TWITTER, external_id="")
    with pytest.raises(ValidationError, match="An identity needs its X user id"):
        identity.validate_constraints()
