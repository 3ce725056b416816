"""Who an X user is: contacts.services refuses an X identity without its user id, in words, before the database
would (every event filed under an empty id would be one made-up customer)."""

import pytest

from contacts.errors import ContactError
from contacts.models import Contact, ContactIdentity
from contacts.services import contact_identify_x_user, contact_identity_add, contacts_identify_x_users
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NOBODY = "An X identity needs the X user id: without it Perch cannot tell who the customer is."


def test_identifying_an_x_user_without_an_id_is_refused_in_words():
    with pytest.raises(ValueError, match=NOBODY):
        contact_identify_x_user(x_user_id="", username="maya", name="Maya Patel")
    with pytest.raises(ValueError, match=NOBODY):
        contacts_identify_x_users(people=[
            {"x_user_id": "1900000000000000001", "username": "maya", "name": "Maya Patel", "avatar_url": ""},
            {"x_user_id": "", "username": "", "name": "", "avatar_url": ""},
        ])  # fmt: skip
    assert not Contact.objects.exists() and not ContactIdentity.objects.exists()


def test_an_x_account_added_without_its_id_is_refused_in_words():
    contact = ContactFactory()
    with pytest.raises(ContactError, match="Write the X user id first."):
        contact_identity_add(contact_id=contact.pk, actor=None, channel="twitter", value="", handle="maya")
    with pytest.raises(ContactError, match="Write the X user id of @maya too"):
        contact_identity_add(contact_id=contact.pk, actor=None, channel="twitter", value="@maya")
    assert not contact.identities.exists()


def test_an_x_user_with_an_id_is_identified_as_before():
    identity = contact_identify_x_user(x_user_id="1900000000000000001", username="maya", name="Maya Patel")
    assert (identity.external_id, identity.handle, identity.contact.display_name) == (
        "1900000000000000001", "maya", "Maya Patel")  # fmt: skip
