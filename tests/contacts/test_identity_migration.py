"""contacts 0002 and 0003 on a database with the made-up identity: it is deleted, its contact and messages kept."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


def migrate_contacts_to(name: str):
    """Every app at its newest migration but contacts at `name`; the models as they are then."""
    executor = MigrationExecutor(connection)
    targets = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "contacts"] + [("contacts", name)]
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_deletes_identities_without_an_id_and_keeps_their_contacts_and_messages():
    apps = migrate_contacts_to("0001_initial")
    Contact, ContactIdentity = apps.get_model("contacts", "Contact"), apps.get_model("contacts", "ContactIdentity")
    XAccount, Interaction = apps.get_model("social", "XAccount"), apps.get_model("interactions", "Interaction")
    Message = apps.get_model("interactions", "Message")
    try:
        merged = Contact.objects.create(display_name="")  # what ingest named the contact of the empty id
        made_up = ContactIdentity.objects.create(contact=merged, channel="twitter", external_id="")
        maya = Contact.objects.create(display_name="Maya Patel")
        ContactIdentity.objects.create(contact=maya, channel="twitter", external_id="1900000000000000001")
        account = XAccount.objects.create(name="Acme", handle="acme", x_user_id="1800000000000000500",
                                          consumer_key="k", consumer_secret="s", access_token="t",
                                          access_token_secret="s", webhook_token="w")  # fmt: skip
        interaction = Interaction.objects.create(
            x_account=account,
            contact=merged,
            kind="twitter",
            thread_key="3000000000000000001",
            queued_at=timezone.now(),
        )
        message = Message.objects.create(interaction=interaction, x_account=account, direction="in", kind="tweet",
                                         external_id="3000000000000000001", text="@acme where is my refund?",
                                         author_identity=made_up, created_at=timezone.now())  # fmt: skip
    finally:
        apps = migrate_contacts_to("0003_identity_has_external_id")
    Contact, ContactIdentity = apps.get_model("contacts", "Contact"), apps.get_model("contacts", "ContactIdentity")
    Message = apps.get_model("interactions", "Message")
    assert list(ContactIdentity.objects.values_list("external_id", flat=True)) == ["1900000000000000001"]
    assert Contact.objects.get(pk=merged.pk).display_name == "Unknown X authors"
    assert Contact.objects.get(pk=maya.pk).display_name == "Maya Patel"
    kept = Message.objects.get(pk=message.pk)
    assert (kept.author_identity_id, kept.interaction_id, kept.text) == (None, interaction.pk, message.text)
