"""Identities without their external id are deleted, before 0003 makes the database refuse them.

Until now a tweet X sent without its `author_id` was filed under an X identity whose id was '' — one made-up
customer for every such tweet, whoever wrote it. Such identities are deleted here; their contacts and everything
on them (conversations, notes, owner) are kept, because those conversations happened and agents may have answered
them, while the identity is the one false part: X never said who wrote those tweets, so nobody could give it a
better id by hand, and refusing to migrate would only stop the deploy on rows that cannot be fixed. Messages that
named the identity as their author keep their text and name no author identity (the field's SET_NULL). A contact
left without a name (it was named after the empty id) is called "Unknown X authors", which is what it is.

The constraint comes in a migration of its own: PostgreSQL does not alter a table in the transaction that has just
deleted rows other tables point at ("pending trigger events"), and each migration is its own transaction.
"""

from django.db import migrations

UNKNOWN_AUTHORS = "Unknown X authors"


def delete_identities_without_id(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    ContactIdentity = apps.get_model("contacts", "ContactIdentity")
    nameless = ContactIdentity.objects.filter(external_id="")
    contact_ids = list(nameless.values_list("contact_id", flat=True))
    nameless.delete()
    Contact.objects.filter(pk__in=contact_ids, display_name="").update(display_name=UNKNOWN_AUTHORS)


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0001_initial'),
        # Messages point at identities (author_identity, SET_NULL): the delete must know them to clear the link.
        ('interactions', '0009_message_hold_reason'),
    ]

    operations = [
        migrations.RunPython(delete_identities_without_id, migrations.RunPython.noop),
    ]
