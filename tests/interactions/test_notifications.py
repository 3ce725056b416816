"""Notification templates: supervisors prepare them, an agent sends one to a contact from the Connect view, its
placeholders filled, on the template's channel or the contact's default one: an X DM through the sandbox, or an email
through the demo's real SMTP server. Another team's template is refused, never sent."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from contacts.models import ContactIdentity
from interactions import outreach
from interactions.canned import placeholders_fill
from interactions.errors import InteractionError, NotYours
from interactions.models import Message, NotificationTemplate
from tests.factories import PASSWORD, AgentFactory, ContactFactory, TwitterIdentityFactory, XAccountFactory
from tests.helpers import sign_in
from workspace.agents.models import Team

REFUND = "Hi {contact_name}, your refund is on its way. — {agent_name}, {brand_handle} {not_a_placeholder}"


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


def template(**fields) -> NotificationTemplate:
    return NotificationTemplate.objects.create(**{"name": "Refund processed", "text": REFUND, **fields})


def email_contact(name="Lucía Gómez", default="email"):
    contact = ContactFactory(display_name=name, default_outbound_channel=default)
    ContactIdentity.objects.create(contact=contact, channel="email", external_id="lucia@example.com")
    return contact


def notify(contact, agent, chosen, key="n1") -> Message:
    return outreach.contact_notify(contact_id=contact.pk, agent=agent, template_id=chosen.pk, idempotency_key=key)


@pytest.mark.django_db
def test_placeholders_are_filled_and_anything_else_is_left_as_written(ana):
    contact = ContactFactory(display_name="Lucía Gómez")
    assert placeholders_fill(REFUND, contact=contact, agent=ana, brand_handle="perchdemoair") == (
        "Hi Lucía Gómez, your refund is on its way. — Ana, @perchdemoair {not_a_placeholder}"
    )
    assert placeholders_fill("{brand_handle}!", contact=contact, agent=ana, brand_handle="") == "!"


@pytest.mark.django_db
def test_an_agent_may_send_everyones_templates_and_their_teams_only(ana):
    billing, care = Team.objects.create(name="Billing"), Team.objects.create(name="Customer Care")
    ana.agent_profile.teams.add(care)
    everyone, ours = template(name="Everyone"), template(name="Ours", team=care)
    theirs = template(name="Theirs", team=billing)
    template(name="Switched off", is_active=False)
    assert list(outreach.notification_templates_for(agent=ana)) == [everyone, ours]

    contact = email_contact()
    with pytest.raises(NotYours, match=f"Notification #{theirs.pk} is not one you may send."):
        notify(contact, ana, theirs)
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_template_for_someone_elses_contact_is_refused(ana):
    contact = email_contact()
    contact.assigned_agent = AgentFactory()
    contact.save()
    with pytest.raises(NotYours):
        notify(contact, ana, template())
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_by_email_for_an_email_default_contact_with_subject_and_text_filled(
    ana, demo_mailbox, django_capture_on_commit_callbacks
):
    lucia = email_contact()
    chosen = template(subject="Your refund, {contact_name}")
    with django_capture_on_commit_callbacks(execute=True):
        message = notify(lucia, ana, chosen)
        again = notify(lucia, ana, chosen)  # a double-click
    message.refresh_from_db()
    assert again.pk == message.pk and message.kind == "email" and message.delivery == "sent"
    [received] = demo_mailbox.emails()
    assert received["to"] == "lucia@example.com" and received["subject"] == "Your refund, Lucía Gómez"
    assert received["text"].strip() == "Hi Lucía Gómez, your refund is on its way. — Ana,  {not_a_placeholder}"


@pytest.mark.django_db
def test_without_a_subject_the_email_is_titled_with_the_templates_name(ana, demo_mailbox):
    message = notify(email_contact(), ana, template(name="We miss you"))
    assert message.subject == "We miss you"


@pytest.mark.django_db
def test_an_email_template_goes_by_email_whatever_the_default_channel(ana):
    contact = email_contact(default="twitter")
    message = notify(contact, ana, template(channel=NotificationTemplate.Channel.EMAIL))
    assert message.kind == "email" and message.interaction.kind == "email"


@pytest.mark.django_db
@pytest.mark.parametrize(("channel", "name"), [("sms", "SMS"), ("whatsapp", "WhatsApp")])
def test_sms_and_whatsapp_defaults_are_not_connected(ana, channel, name):
    with pytest.raises(InteractionError, match=f"{name} is not connected"):
        notify(email_contact(default=channel), ana, template())
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_the_contacts_transcript_shows_the_email_with_its_subject(
    ana, demo_mailbox, django_capture_on_commit_callbacks
):
    lucia = email_contact()
    with django_capture_on_commit_callbacks(execute=True):
        notify(lucia, ana, template(subject="Your refund <b>today</b>"))
    page = sign_in(ana.username, PASSWORD).get(
        reverse("workspace:contact_transcript", args=[lucia.pk]), headers={"HX-Request": "true"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Your refund &lt;b&gt;today&lt;/b&gt;" in html and "<b>today" not in html
    assert "Email ·" in html and "Sent" in html and "Seen" not in html


@pytest.mark.django_db(transaction=True)
def test_by_x_dm_through_the_sandbox_for_an_x_default_contact(ana, simulator, brand):
    """The DM goes the X way (services.interaction_write_async: the outbox, X's budget, the sandbox over HTTP)."""
    maya_at_x = simulator.user("mayapatel", "Maya Patel")
    maya = TwitterIdentityFactory(
        contact=ContactFactory(display_name="Maya Patel"), external_id=maya_at_x["id"], handle="mayapatel"
    ).contact
    message = notify(maya, ana, template())
    message.refresh_from_db()
    assert (message.kind, message.delivery, message.interaction.kind) == ("dm", "sent", "chat")
    [dm] = [d for d in simulator.activity(maya_at_x)["dms"] if d["sender_id"] == brand.x_user_id]
    assert dm["text"] == "Hi Maya Patel, your refund is on its way. — Ana, @acmecare {not_a_placeholder}"
    assert dm["id"] == message.external_id


@pytest.mark.django_db
def test_an_x_template_for_a_contact_without_x_is_refused_in_words(ana):
    XAccountFactory()
    with pytest.raises(InteractionError, match="Lucía Gómez has no X identity"):
        notify(email_contact(), ana, template(channel=NotificationTemplate.Channel.TWITTER))


@pytest.mark.django_db
def test_supervisors_manage_templates_in_the_admin_and_an_unknown_placeholder_is_refused(client):
    client.force_login(get_user_model().objects.create_user("sam", is_staff=True, is_superuser=True))
    template(name="Refund processed", channel=NotificationTemplate.Channel.EMAIL)
    listing = client.get(reverse("admin:interactions_notificationtemplate_changelist"), {"q": "refund"})
    assert listing.status_code == 200 and "Refund processed" in listing.content.decode()
    form = client.get(reverse("admin:interactions_notificationtemplate_add")).content.decode()
    assert "{contact_name}" in form and "{agent_name}" in form and "{brand_handle}" in form

    add = client.post(reverse("admin:interactions_notificationtemplate_add"),
                      {"name": "Bag found", "channel": "", "subject": "", "text": "Hi {customer_name}!"})  # fmt: skip
    assert add.status_code == 200 and "Unknown placeholder {customer_name}" in add.content.decode()
    assert not NotificationTemplate.objects.filter(name="Bag found").exists()
    # Found trying Perch: a doubled or unclosed brace was saved and reached the customer as "Hi {Maya Patel}".
    for text in ("Hi {{contact_name}}, hello", "Hi {contact_name, hello", "Hi contact_name}"):
        add = client.post(reverse("admin:interactions_notificationtemplate_add"),
                          {"name": "Bag found", "channel": "", "subject": "", "text": text})  # fmt: skip
        assert add.status_code == 200 and "A brace that is not part of a placeholder" in add.content.decode(), text
    assert not NotificationTemplate.objects.filter(name="Bag found").exists()
    client.post(
        reverse("admin:interactions_notificationtemplate_add"),
        {"name": "Bag found", "channel": "", "subject": "", "text": "Hi {contact_name}!", "is_active": "on"},
    )
    assert NotificationTemplate.objects.get(name="Bag found").text == "Hi {contact_name}!"


@pytest.mark.django_db
def test_the_demo_seeds_templates_and_lucia_takes_email(ana):
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    assert set(NotificationTemplate.objects.values_list("name", flat=True)) == {"Refund processed", "We miss you"}
    lucia = ContactIdentity.objects.get(channel="email", external_id="lucia@example.com").contact
    assert (lucia.display_name, lucia.default_outbound_channel) == ("Lucía Gómez", "email")
