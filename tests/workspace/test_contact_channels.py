"""The Contact tab as a contact card: every channel of the contact, Add channel and Remove, the default outbound
channel among those that can send, refusals in words (422) and never a 500; someone else's contact is a 404. The
admin's identity inline and the API take the same channels."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactIdentity
from tests.factories import (
    PASSWORD,
    AgentFactory,
    ContactFactory,
    InboundDMFactory,
    InteractionFactory,
    TwitterIdentityFactory,
)
from tests.helpers import sign_in
from workspace.agents.models import AuditEntry
from workspace.api.tokens import api_token_create

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
UK = "+44 20 7946 0958"


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def maya(ana):
    """Maya wrote on X; Ana has her conversation open."""
    identity = TwitterIdentityFactory(external_id="1790000000000000101", handle="mayapatel",
                                      contact__display_name="Maya Patel", contact__assigned_agent=ana)  # fmt: skip
    InteractionFactory(agent=ana, contact=identity.contact, state="active", accepted_at=timezone.now())
    return identity.contact


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


def add(client, contact, channel: str, value: str, handle: str = ""):
    url = reverse("workspace:contact_identity_add", args=[contact.pk])
    return client.post(url, {"channel": channel, "value": value, "handle": handle}, headers=HX)


def save(client, contact, **fields):
    form = {"display_name": contact.display_name, "default_outbound_channel": "twitter", "notes": "", **fields}
    return client.post(reverse("workspace:contact_tab", args=[contact.pk]), form, headers=HX)


def text(response) -> str:
    return response.content.decode()


def rows(response) -> list[str]:
    """The card's channel rows as the agent reads them: label, value and badges, in order."""
    found = re.findall(r'<li class="channel-row[^"]*">(.*?)</li>', text(response), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).replace("Remove", "").split()) for row in found]


def test_the_tab_is_a_contact_card_first_then_edit_then_history(client, maya, ana):
    maya.is_vip, maya.notes = True, "Prefers DMs <b>after 6pm</b>"
    maya.save()
    tab = text(client.get(reverse("workspace:contact_tab", args=[maya.pk]), headers=HX))
    card, edit, history = tab.index('class="contact-card"'), tab.index("Edit contact"), tab.index('class="history"')
    assert card < edit < history
    assert "badge-vip" in tab and "Assigned to you" in tab
    assert "Prefers DMs &lt;b&gt;after 6pm&lt;/b&gt;" in tab  # notes are the customer's words: escaped
    assert rows(client.get(reverse("workspace:contact_tab", args=[maya.pk]), headers=HX)) == [
        "𝕏 X (Twitter) default @mayapatel 1790000000000000101"
    ]
    # The default outbound channel lists only the channels that can send.
    select = re.search(r'<select name="default_outbound_channel".*?</select>', tab, re.S).group(0)
    assert re.findall(r'<option value="(\w+)"', select) == ["twitter", "email"]


def test_an_email_and_a_phone_are_added_normalised_and_listed_with_what_they_can_do(client, maya):
    added = add(client, maya, "email", "  Maya.Patel@Example.COM ")
    assert added.status_code == 200 and "Channel added." in text(added)
    phone = add(client, maya, "sms", "+44 20 7946 0958")
    assert phone.status_code == 200
    whatsapp = add(client, maya, "whatsapp", "+1 (415) 555-2671")
    assert rows(whatsapp) == [
        "𝕏 X (Twitter) default @mayapatel 1790000000000000101",
        "✉ Email maya.patel@example.com",
        "✆ SMS not connected +44 20 7946 0958",
        "✆ WhatsApp not connected +1 415-555-2671",
    ]
    stored = set(ContactIdentity.objects.filter(contact=maya).values_list("channel", "external_id"))
    assert {("email", "maya.patel@example.com"), ("sms", "+442079460958"), ("whatsapp", "+14155552671")} <= stored
    audited = AuditEntry.objects.filter(object_type="contacts.Contact", object_id=str(maya.pk))
    assert audited.count() == 3


@pytest.mark.parametrize(
    ("channel", "value", "said"),
    [
        ("email", "maya@", "“maya@” is not an email address."),
        (
            "sms",
            "+1 555",
            "“+1 555” is not a valid phone number: write it with its country code, e.g. +44 20 7946 0958.",
        ),
        ("email", "", "Write the email address first."),
        ("email", "maya\x00@example.com", "contains a NUL character"),
        ("email", "m" * 300, "The address is too long: at most 254 characters (it has 300)."),
        ("twitter", "@mayapatel2", "Write the X user id of @mayapatel2 too"),
        ("fax", "+44 20 7946 0958", "Pick the channel to add from the list."),
        ("", "maya@example.com", "Pick the channel to add."),
    ],
)
def test_an_invalid_address_is_refused_in_words_beside_the_form_with_what_was_typed(client, maya, channel, value, said):
    refused = add(client, maya, channel, value)
    assert refused.status_code == 422
    alert = re.search(r'<p class="alert alert-error" role="alert" id="add-refusal-\d+">(.*?)</p>', text(refused), re.S)
    assert alert and said in alert.group(1).replace("&#x27;", "'")
    assert '<details class="add-channel" open>' in text(refused)  # the form stays open on the refusal
    if value and "\x00" not in value and len(value) < 100:
        assert f'value="{value}"' in text(refused)  # given back to correct, not typed again
    assert not ContactIdentity.objects.filter(contact=maya).exclude(channel="twitter").exists()


def test_another_contacts_address_is_named_only_to_an_agent_who_may_see_that_contact(client, maya, ana):
    ben = AgentFactory(username="ben")
    tom = ContactFactory(display_name="Tom <Becker>", assigned_agent=ana)
    ContactIdentity.objects.create(contact=tom, channel="email", external_id="tom@example.com")
    hidden = ContactFactory(display_name="Secret Sam", assigned_agent=ben)  # Ben's: Ana may not see Sam
    ContactIdentity.objects.create(contact=hidden, channel="sms", external_id="+442079460958")

    visible = add(client, maya, "email", "tom@EXAMPLE.com")
    assert visible.status_code == 422
    assert "That email address already belongs to <bdi>Tom &lt;Becker&gt;</bdi>." in text(visible)
    invisible = add(client, maya, "sms", "+44 20 7946 0958")
    assert invisible.status_code == 422
    assert "That phone number already belongs to another contact." in text(invisible)
    assert "Secret Sam" not in text(invisible)
    again = add(client, maya, "twitter", "1790000000000000101")
    assert again.status_code == 422 and "<bdi>Maya Patel</bdi> already has this X account." in text(again)


def test_email_becomes_the_default_only_once_the_contact_has_an_email_address(client, maya):
    refused = save(client, maya, default_outbound_channel="email", notes="Asked for email")
    assert refused.status_code == 422
    assert "<bdi>Maya Patel</bdi> has no email address: add one first." in text(refused)
    assert '<details class="contact-edit" open>' in text(refused)  # the refusal is shown where the agent was
    maya.refresh_from_db()
    assert (maya.default_outbound_channel, maya.notes) == ("twitter", "")  # nothing of the refused save was kept

    add(client, maya, "email", "maya@example.com")
    saved = save(client, maya, default_outbound_channel="email", notes="Asked for email")
    assert saved.status_code == 200 and "Saved." in text(saved)
    maya.refresh_from_db()
    assert (maya.default_outbound_channel, maya.notes) == ("email", "Asked for email")
    assert rows(saved)[:2] == ["𝕏 X (Twitter) @mayapatel 1790000000000000101", "✉ Email default maya@example.com"]


@pytest.mark.parametrize(
    ("channel", "said"),
    [
        ("sms", "SMS is not connected: pick X or Email as the default channel."),
        ("whatsapp", "WhatsApp is not connected: pick X or Email as the default channel."),
        ("chat", "Chat is not connected: pick X or Email as the default channel."),
        ("fax", "Pick X or Email as the default outbound channel."),
        ("", "Pick X or Email as the default outbound channel."),
        ("email\x00", "Pick X or Email as the default outbound channel."),
    ],
)
def test_a_default_channel_that_cannot_send_is_refused_in_words(client, maya, channel, said):
    add(client, maya, "sms", "+44 20 7946 0958")  # having the number does not make SMS send
    refused = save(client, maya, default_outbound_channel=channel)
    assert refused.status_code == 422 and said in text(refused)
    maya.refresh_from_db()
    assert maya.default_outbound_channel == "twitter"


def test_remove_takes_a_channel_away_unless_messages_came_from_it_or_it_is_the_default(client, maya):
    add(client, maya, "email", "maya@example.com")
    email = ContactIdentity.objects.get(contact=maya, channel="email")
    x_account = ContactIdentity.objects.get(contact=maya, channel="twitter")
    InboundDMFactory(interaction=maya.interactions.get(), author_identity=x_account)
    url = reverse("workspace:contact_identity_remove", args=[maya.pk, x_account.pk])

    kept = client.post(url, headers=HX)
    assert kept.status_code == 422
    assert "This X account wrote messages in Perch: it stays, so its conversations keep their author." in text(kept)
    save(client, maya, default_outbound_channel="email")
    refused = client.post(reverse("workspace:contact_identity_remove", args=[maya.pk, email.pk]), headers=HX)
    assert refused.status_code == 422
    assert "Email is <bdi>Maya Patel</bdi>’s default outbound channel: pick another default first." in text(refused)
    save(client, maya, default_outbound_channel="twitter")
    removed = client.post(reverse("workspace:contact_identity_remove", args=[maya.pk, email.pk]), headers=HX)
    assert removed.status_code == 200 and rows(removed) == ["𝕏 X (Twitter) default @mayapatel 1790000000000000101"]
    gone = client.post(reverse("workspace:contact_identity_remove", args=[maya.pk, email.pk]), headers=HX)
    assert gone.status_code == 404


def test_another_agents_contact_and_its_channels_are_404_whatever_is_posted(maya, ana):
    ben = AgentFactory(username="ben")
    as_ben = sign_in(ben.username, PASSWORD)
    identity = maya.identities.get()
    assert as_ben.get(reverse("workspace:contact_tab", args=[maya.pk])).status_code == 404
    assert add(as_ben, maya, "email", "ben@example.com").status_code == 404
    assert add(as_ben, maya, "email", "maya@").status_code == 404  # deny first: no refusal that tells it exists
    remove = reverse("workspace:contact_identity_remove", args=[maya.pk, identity.pk])
    assert as_ben.post(remove).status_code == 404
    assert save(as_ben, maya, default_outbound_channel="email").status_code == 404
    # An identity of another contact, through a contact Ana may see, is no way in either.
    bens = TwitterIdentityFactory(contact__assigned_agent=ben)
    ana_client = sign_in(ana.username, PASSWORD)
    sneaky = reverse("workspace:contact_identity_remove", args=[maya.pk, bens.pk])
    assert ana_client.post(sneaky).status_code == 404
    assert ContactIdentity.objects.filter(pk__in=[identity.pk, bens.pk]).count() == 2
    assert not ContactIdentity.objects.filter(external_id="ben@example.com").exists()


def test_every_post_wants_its_csrf_token(maya, ana):
    strict = sign_in(ana.username, PASSWORD, enforce_csrf_checks=True)
    identity = maya.identities.get()
    for url in (reverse("workspace:contact_identity_add", args=[maya.pk]),
                reverse("workspace:contact_identity_remove", args=[maya.pk, identity.pk]),
                reverse("workspace:contact_tab", args=[maya.pk])):  # fmt: skip
        assert strict.post(url, {"channel": "email", "value": "maya@example.com"}).status_code == 403
    headers = {**HX, "X-CSRFToken": strict.cookies["csrftoken"].value}
    url = reverse("workspace:contact_identity_add", args=[maya.pk])
    ok = strict.post(url, {"channel": "email", "value": "maya@example.com"}, headers=headers)
    assert ok.status_code == 200
    assert ContactIdentity.objects.filter(contact=maya).count() == 2


def test_a_get_on_the_channel_urls_is_refused(client, maya):
    assert client.get(reverse("workspace:contact_identity_add", args=[maya.pk])).status_code == 405


def test_history_rows_open_their_interaction_in_the_centre(client, maya):
    done = InteractionFactory(contact=maya, state="done", done_at=timezone.now())
    history = text(client.get(reverse("workspace:contact_tab", args=[maya.pk]) + "?part=history", headers=HX))
    url = reverse("workspace:interaction", args=[done.pk])
    assert f'<a class="history-row" href="{url}"\n           hx-get="{url}" hx-target="#centre"' in history
    assert 'hx-push-url="true"' in history
    assert client.get(url, headers=HX).status_code == 200  # and the agent may open it


def test_the_api_serializes_every_channel_and_the_document_lists_them(maya, ana):
    for channel, value in [("email", "maya@example.com"), ("sms", "+442079460958"), ("whatsapp", "+14155552671"),
                           ("chat", "visitor-1")]:  # fmt: skip
        ContactIdentity.objects.create(contact=maya, channel=channel, external_id=value)
    maya.default_outbound_channel = "email"
    maya.save()
    api = Client(headers={"Authorization": f"Bearer {api_token_create(user=ana)[1]}"})
    body = api.get(f"/api/v1/contacts/{maya.pk}/").json()
    assert body["default_outbound_channel"] == "email"
    assert sorted(i["channel"] for i in body["identities"]) == ["chat", "email", "sms", "twitter", "whatsapp"]
    schema = Client().get("/api/openapi.json").json()["components"]["schemas"]["Contact"]["properties"]
    listed = schema["identities"]["items"]["properties"]["channel"]["enum"]
    assert set(listed) == {"chat", "email", "sms", "twitter", "whatsapp"}
    assert set(schema["default_outbound_channel"]["enum"]) == set(listed)


def test_the_admins_identity_inline_checks_and_normalises_as_the_tab_does():
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    admin = sign_in("sam", PASSWORD)
    contact = ContactFactory(display_name="Maya Patel")
    url = f"/admin/contacts/contact/{contact.pk}/change/"

    def post(channel, external_id):
        return admin.post(url, {
            "display_name": "Maya Patel", "notes": "", "default_outbound_channel": "twitter",
            "identities-TOTAL_FORMS": "1", "identities-INITIAL_FORMS": "0",
            "identities-0-channel": channel, "identities-0-external_id": external_id, "identities-0-handle": "",
            "identities-0-display_name": "",
        })  # fmt: skip

    refused = post("sms", "+1 555")
    assert refused.status_code == 200  # the change page again, with the error beside the field
    assert "“+1 555” is not a valid phone number: write it with its country code" in text(refused)
    assert post("email", "maya@").status_code == 200 and not contact.identities.exists()
    assert post("sms", "+44 20 7946 0958").status_code == 302
    assert list(contact.identities.values_list("channel", "external_id")) == [("sms", "+442079460958")]
    standalone = admin.post("/admin/contacts/contactidentity/add/", {
        "contact": contact.pk, "channel": "email", "external_id": "Maya@Example.COM", "handle": "", "display_name": "",
    })  # fmt: skip
    assert standalone.status_code == 302
    assert contact.identities.filter(channel="email").get().external_id == "maya@example.com"
