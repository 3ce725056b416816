import pytest
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
