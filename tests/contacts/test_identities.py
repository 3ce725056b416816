"""A contact's addresses are checked and written one way on every channel (contacts.identities), and the services
that add, remove and pick them refuse in words: the Contact tab, the Connect view and the admin all go through here."""

import pytest
from django.test import override_settings

from contacts import identities
from contacts.errors import ContactError, IdentityTaken
from contacts.identities import IdentityError, normalise
from contacts.models import ContactIdentity
from contacts.services import (
    contact_identity_add,
    contact_identity_remove,
    contact_set_default_channel,
    contact_update,
)
from tests.factories import AgentFactory, ContactFactory, InboundDMFactory, TwitterIdentityFactory
from workspace.agents.models import AuditEntry

UK = "+44 20 7946 0958"
GOOD = [
    # channel, typed, stored external_id, stored handle
    ("email", "maya@example.com", "maya@example.com", ""),
    (
        "email",
        "  Maya.Patel+bags@Example.CO.UK ",
        "maya.patel+bags@example.co.uk",
        "",
    ),  # one mailbox, whatever the case
    ("email", "o'brien@mail.example.ie", "o'brien@mail.example.ie", ""),
    ("sms", "+44 20 7946 0958", "+442079460958", ""),  # United Kingdom
    ("sms", "(415) 555-2671", "+14155552671", ""),  # no country code: PERCH_PHONE_REGION (US)
    ("sms", "+1 202-555-0143", "+12025550143", ""),
    ("whatsapp", "+49 30 901820", "+4930901820", ""),  # Germany
    ("whatsapp", "+81 3-1234-5678", "+81312345678", ""),  # Japan
    ("sms", "+91 98765 43210", "+919876543210", ""),  # India
    ("sms", "+33 1 42 68 53 00", "+33142685300", ""),  # France
    ("twitter", "1790000000000000101", "1790000000000000101", ""),
    ("twitter", "12", "12", ""),
    ("chat", " visitor-8f3a ", "visitor-8f3a", ""),
    ("chat", "Maya at the kiosk", "Maya at the kiosk", ""),
]


@pytest.mark.parametrize(("channel", "typed", "external_id", "handle"), GOOD)
def test_good_addresses_are_stored_one_way(channel, typed, external_id, handle):
    assert normalise(channel=channel, value=typed) == identities.Address(channel, external_id, handle)


@pytest.mark.parametrize(
    ("value", "handle", "stored"),
    [
        ("1790000000000000101", "@mayapatel", "mayapatel"),
        ("1790000000000000101", "Maya_Patel_1", "Maya_Patel_1"),
        ("1790000000000000101", "", ""),
        ("9223372036854775807", "a", "a"),  # 19 digits: the largest 64-bit id
    ],
)
def test_an_x_account_is_its_user_id_with_the_handle_without_its_at(value, handle, stored):
    assert normalise(channel="twitter", value=value, handle=handle) == identities.Address("twitter", value, stored)


BAD = [
    # channel, typed, handle, what the agent reads
    ("email", "maya@", "", "“maya@” is not an email address."),
    ("email", "maya", "", "“maya” is not an email address."),
    ("email", "maya@@example.com", "", "is not an email address."),
    ("email", "maya @example.com", "", "is not an email address."),
    ("email", "", "", "Write the email address first."),
    ("email", "   ", "", "Write the email address first."),
    ("email", "maya\x00@example.com", "", "contains a NUL character (U+0000)"),
    (
        "sms",
        "+1 555",
        "",
        "“+1 555” is not a valid phone number: write it with its country code, e.g. +44 20 7946 0958.",
    ),
    ("sms", "555-1234", "", "is not a valid phone number"),  # a US number needs its area code
    ("sms", "call me", "", "“call me” is not a valid phone number"),
    ("whatsapp", "+44 20 7946", "", "is not a valid phone number"),
    ("whatsapp", "+999 1234 5678", "", "is not a valid phone number"),  # no such country code
    ("sms", "+44 20 7946\x000958", "", "contains a NUL character"),
    ("twitter", "@mayapatel", "", "Write the X user id of @mayapatel too"),
    ("twitter", "mayapatel", "", "Write the X user id of @mayapatel too"),
    ("twitter", "12345678901234567890", "", "is not an X user id: it is a number"),  # 20 digits: too big for X
    ("twitter", "-12", "", "is not an X user id"),
    ("twitter", "1790000000000000101", "maya patel", "“maya patel” is not an X handle"),
    ("twitter", "1790000000000000101", "a_handle_too_long", "is not an X handle"),  # 17 characters
    ("twitter", "1790000000000000101", "@may\x00a", "is not an X handle"),
    ("twitter", "", "mayapatel", "Write the X user id first."),
    ("chat", "", "", "Write the chat visitor id first."),
    ("chat", "two\nlines", "", "must be on one line"),
    ("fax", "+44 20 7946 0958", "", "Pick a channel: Chat, Email, SMS, WhatsApp, X (Twitter)."),
]


@pytest.mark.parametrize(("channel", "typed", "handle", "said"), BAD)
def test_bad_addresses_are_refused_in_words(channel, typed, handle, said):
    with pytest.raises(IdentityError) as refused:
        normalise(channel=channel, value=typed, handle=handle)
    assert said in str(refused.value)


@pytest.mark.parametrize("channel", ["email", "sms", "whatsapp", "twitter", "chat"])
def test_a_300_character_paste_is_refused_without_being_repeated_back(channel):
    with pytest.raises(IdentityError) as refused:
        normalise(channel=channel, value="x" * 300)
    assert "too long: at most 254 characters (it has 300)" in str(refused.value)
    assert len(str(refused.value)) < 120


def test_a_long_refused_value_is_quoted_cut_short():
    with pytest.raises(IdentityError) as refused:
        normalise(channel="email", value="m" * 200 + "@")
    assert str(refused.value) == f"“{'m' * 39}…” is not an email address."


@override_settings(PERCH_PHONE_REGION="GB")
def test_a_number_without_its_country_code_is_read_in_perch_phone_region():
    assert normalise(channel="sms", value="020 7946 0958").external_id == "+442079460958"
    with pytest.raises(IdentityError, match="is not a valid phone number"):
        normalise(channel="sms", value="(415) 555-2671")  # a US number, read as British


# --- The services -------------------------------------------------------------------------------------------


@pytest.fixture
def ana(db):
    return AgentFactory(first_name="Ana")


@pytest.fixture
def maya(db):
    return TwitterIdentityFactory(contact__display_name="Maya Patel", handle="mayapatel").contact


def test_an_added_address_is_stored_normalised_and_audited(ana, maya):
    identity = contact_identity_add(contact_id=maya.pk, actor=ana, channel="email", value="Maya@Example.COM")
    assert (identity.contact, identity.channel, identity.external_id) == (maya, "email", "maya@example.com")
    entry = AuditEntry.objects.get(object_type="contacts.Contact", object_id=str(maya.pk))
    assert (entry.actor, entry.verb, entry.details["changes"]) == (ana, "settings_change", "Added an identity (email).")
    assert "maya@" not in str(entry.details).lower()  # field names, never the customer's details


def test_an_email_address_differing_only_in_case_is_the_same_mailbox(ana, maya):
    """Found trying Perch: "Lucia@Example.com" was taken as a second address beside "lucia@example.com", so two
    contacts shared one customer's mailbox. Mail servers treat the mailbox part case-blind in practice, and so does
    every care tool: one address, one contact."""
    contact_identity_add(contact_id=maya.pk, actor=ana, channel="email", value="maya@example.com")
    tom = ContactFactory(display_name="Tom Becker")
    with pytest.raises(IdentityTaken):
        contact_identity_add(contact_id=tom.pk, actor=ana, channel="email", value="MAYA@Example.com")
    with pytest.raises(ContactError, match="Maya Patel already has this email address."):
        contact_identity_add(contact_id=maya.pk, actor=ana, channel="email", value="Maya@EXAMPLE.com")


def test_the_same_address_twice_is_refused_for_this_contact_and_for_another(ana, maya):
    contact_identity_add(contact_id=maya.pk, actor=ana, channel="sms", value="+44 20 7946 0958")
    with pytest.raises(ContactError, match="Maya Patel already has this phone number."):
        contact_identity_add(contact_id=maya.pk, actor=ana, channel="sms", value=" +44-20-7946-0958")
    tom = ContactFactory(display_name="Tom Becker")
    with pytest.raises(IdentityTaken) as taken:
        contact_identity_add(contact_id=tom.pk, actor=ana, channel="sms", value="+442079460958")
    assert str(taken.value) == "That phone number already belongs to another contact."
    assert taken.value.owner_id == maya.pk
    assert taken.value.naming("Maya Patel") == "That phone number already belongs to Maya Patel."
    # The same number on WhatsApp is another identity: unique per channel.
    contact_identity_add(contact_id=tom.pk, actor=ana, channel="whatsapp", value="+442079460958")


def test_the_default_channel_is_one_that_sends_and_that_the_contact_has(ana, maya):
    with pytest.raises(ContactError, match="^Maya Patel has no email address: add one first.$"):
        contact_set_default_channel(contact_id=maya.pk, actor=ana, channel="email")
    for channel, label in [("sms", "SMS"), ("whatsapp", "WhatsApp"), ("chat", "Chat")]:
        with pytest.raises(ContactError, match=f"^{label} is not connected: pick X or Email"):
            contact_set_default_channel(contact_id=maya.pk, actor=ana, channel=channel)
    with pytest.raises(ContactError, match="Pick X or Email"):
        contact_set_default_channel(contact_id=maya.pk, actor=ana, channel="fax")
    contact_identity_add(contact_id=maya.pk, actor=ana, channel="email", value="maya@example.com")
    assert (
        contact_set_default_channel(contact_id=maya.pk, actor=ana, channel="email").default_outbound_channel == "email"
    )
    maya.refresh_from_db()
    assert maya.default_outbound_channel == "email"
    by_email = ContactFactory(display_name="Tom Becker", default_outbound_channel="email")  # known by email only
    with pytest.raises(ContactError, match="^Tom Becker has no X account: add one first.$"):
        contact_set_default_channel(contact_id=by_email.pk, actor=ana, channel="twitter")


def test_a_refused_default_saves_nothing_of_the_edit(ana, maya):
    with pytest.raises(ContactError, match="has no email address"):
        edit = {"display_name": "Maya Okafor", "notes": "VIP", "default_outbound_channel": "email"}
        contact_update(contact_id=maya.pk, actor=ana, fields=edit)
    maya.refresh_from_db()
    assert (maya.display_name, maya.notes, maya.default_outbound_channel) == ("Maya Patel", "", "twitter")
    assert not AuditEntry.objects.exists()


def test_an_identity_that_wrote_messages_or_carries_the_default_stays(ana, maya):
    x_account = maya.identities.get()
    InboundDMFactory(interaction__contact=maya, author_identity=x_account)
    with pytest.raises(ContactError, match="^This X account wrote messages in Perch: it stays"):
        contact_identity_remove(identity_id=x_account.pk, actor=ana)
    email = contact_identity_add(contact_id=maya.pk, actor=ana, channel="email", value="maya@example.com")
    contact_set_default_channel(contact_id=maya.pk, actor=ana, channel="email")
    with pytest.raises(ContactError, match="^Email is Maya Patel’s default outbound channel: pick another default"):
        contact_identity_remove(identity_id=email.pk, actor=ana)
    contact_set_default_channel(contact_id=maya.pk, actor=ana, channel="twitter")
    contact_identity_remove(identity_id=email.pk, actor=ana)
    assert list(ContactIdentity.objects.filter(contact=maya)) == [x_account]
    with pytest.raises(ContactError, match="That channel was removed already."):
        contact_identity_remove(identity_id=email.pk, actor=ana)
    changes = list(AuditEntry.objects.order_by("pk").values_list("details__changes", flat=True))
    assert changes == ["Added an identity (email).", "Changed default_outbound_channel.",
                       "Changed default_outbound_channel.", "Removed an identity (email)."]  # fmt: skip
