"""The audit log: the services write it in their transaction; the admin shows it read-only and filtered."""

import pytest
from django.contrib.auth import get_user_model

from contacts import services as contact_services
from interactions import outbox, services
from interactions.models import Channel, Label, Message
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.agents.models import AuditEntry, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor():
    return get_user_model().objects.create_user(
        "sam", password=PASSWORD, is_staff=True, is_superuser=True, first_name="Sam"
    )


def test_the_agent_lifecycle_is_audited_with_who_did_it():
    ana = AgentFactory(first_name="Ana", last_name="Alvarez")
    chat = InteractionFactory(contact__display_name="Maya Patel")
    services.interaction_offer(interaction_id=chat.pk, agent=ana)
    services.interaction_reject(interaction_id=chat.pk, agent=ana)
    services.interaction_offer(interaction_id=chat.pk, agent=ana)
    services.interaction_accept(interaction_id=chat.pk, agent=ana)
    outbox.outbox_send_dm(interaction_id=chat.pk, agent=ana, text="On it!", idempotency_key="k1")
    outbox.outbox_send_dm(interaction_id=chat.pk, agent=ana, text="On it!", idempotency_key="k1")  # double-click
    tweet = InboundDMFactory(interaction__kind=Channel.TWITTER, kind=Message.Kind.TWEET).interaction
    tweet.x_account.access = "enterprise"  # only Enterprise access may like (social/access.py)
    tweet.x_account.save(update_fields=["access"])
    services.interaction_offer(interaction_id=tweet.pk, agent=ana)
    services.interaction_accept(interaction_id=tweet.pk, agent=ana)
    outbox.outbox_like(interaction_id=tweet.pk, agent=ana, tweet_id=tweet.messages.get().external_id,
                       idempotency_key="k2")  # fmt: skip
    services.interaction_end(interaction_id=chat.pk, agent=ana)
    services.interaction_mark_done(interaction_id=chat.pk, agent=ana, disposition=Label.objects.create(name="Solved"))

    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.verb for e in entries] == ["reject", "accept", "send", "accept", "like", "end", "mark_done"]
    assert {e.actor_label for e in entries} == {"Ana Alvarez"}
    assert entries[0].object_label == f"#{chat.pk} Chat with Maya Patel (queued)"
    assert entries[-1].details["disposition"] == "Solved"


def test_a_refused_move_leaves_no_audit_entry():
    chat = InteractionFactory()
    with pytest.raises(Exception, match="Cannot accept"):
        services.interaction_accept(interaction_id=chat.pk, agent=AgentFactory())
    assert not AuditEntry.objects.exists()


def test_merge_from_the_admin_is_audited(supervisor):
    keep, drop = ContactFactory(display_name="Keep Me"), ContactFactory(display_name="Drop Me")
    client = sign_in("sam", PASSWORD)
    client.post("/admin/contacts/contact/", {"action": "merge_contacts", "_selected_action": [keep.pk, drop.pk],
                                              "keep": keep.pk, "confirm": "1"})  # fmt: skip
    entry = AuditEntry.objects.get(verb="merge")
    assert (entry.actor, entry.object_label, entry.details["merged_name"]) == (supervisor, "Keep Me", "Drop Me")
    contact_services.contact_merge(target_id=keep.pk, source_id=ContactFactory().pk)  # by the system: no actor
    assert AuditEntry.objects.filter(verb="merge", actor=None).count() == 1


def test_settings_changed_in_the_admin_are_audited_without_secret_values(supervisor):
    client = sign_in("sam", PASSWORD)
    client.post("/admin/workspace/team/add/", {"name": "Billing", "offer_timeout_seconds": 30,
                                               "reoffer_cooldown_seconds": 60})  # fmt: skip
    team = Team.objects.get(name="Billing")
    client.post(f"/admin/workspace/team/{team.pk}/change/", {"name": "Billing", "offer_timeout_seconds": 45,
                                                             "reoffer_cooldown_seconds": 60})  # fmt: skip
    client.post("/admin/social/xaccount/add/", {
        "name": "Acme", "handle": "acme", "x_user_id": "42", "access": "pay_per_use",
        "move_to_dm_text": "We've sent you a DM", "mode": "polling", "poll_interval_seconds": 60,
        "budget_overrides": "{}", "consumer_key": "ck", "consumer_secret": "very-secret-value",
        "access_token": "tok", "access_token_secret": "tok-secret", "is_active": "on",
        "cursors-TOTAL_FORMS": 0, "cursors-INITIAL_FORMS": 0,
    })  # fmt: skip
    client.post(f"/admin/workspace/team/{team.pk}/delete/", {"post": "yes"})

    entries = list(AuditEntry.objects.order_by("id").values_list("verb", "object_type", "object_label"))
    assert entries == [
        ("settings_create", "workspace.Team", "Billing"),
        ("settings_change", "workspace.Team", "Billing"),
        ("settings_create", "social.XAccount", "Acme (@acme)"),
        ("settings_delete", "workspace.Team", "Billing"),
    ]
    change = AuditEntry.objects.get(verb="settings_change")
    assert change.details["changes"] == [{"changed": {"fields": ["Offer timeout seconds"]}}]
    assert "very-secret-value" not in str(list(AuditEntry.objects.values_list("details", flat=True)))


def test_the_audit_log_is_read_only_and_filterable_in_the_admin(supervisor):
    ana = AgentFactory(first_name="Ana")
    chat = InteractionFactory()
    services.interaction_offer(interaction_id=chat.pk, agent=ana)
    services.interaction_accept(interaction_id=chat.pk, agent=ana)
    services.interaction_requeue(interaction_id=chat.pk, by=supervisor)
    client = sign_in("sam", PASSWORD)

    page = client.get("/admin/workspace/auditentry/?verb__exact=requeue")
    assert [e.verb for e in page.context["cl"].result_list] == ["requeue"]
    assert "Sam" in page.content.decode() and f"#{chat.pk} Chat with" in page.content.decode()
    assert client.get("/admin/workspace/auditentry/add/").status_code == 403
    entry = AuditEntry.objects.first()
    detail = client.get(f"/admin/workspace/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content


def test_canned_responses_contacts_and_api_tokens_changed_in_the_admin_are_audited(supervisor):
    client = sign_in("sam", PASSWORD)
    team = Team.objects.create(name="Care")
    client.post("/admin/interactions/cannedresponse/add/", {"title": "Refund", "text": "Your refund is on its way.",
                                                            "team": team.pk})  # fmt: skip
    contact = ContactFactory(display_name="Maya Patel")
    client.post(f"/admin/contacts/contact/{contact.pk}/change/", {
        "display_name": "Maya P.", "notes": "", "default_outbound_channel": "twitter",
        "identities-TOTAL_FORMS": "0", "identities-INITIAL_FORMS": "0",
    })  # fmt: skip
    client.post("/admin/workspace/apitoken/add/", {"user": supervisor.pk, "name": "BI export"})
    audited = set(AuditEntry.objects.values_list("verb", "object_type"))
    assert {("settings_create", "interactions.CannedResponse"), ("settings_change", "contacts.Contact"),
            ("settings_create", "workspace.ApiToken")} <= audited  # fmt: skip
