"""An identity needs its external id: the database refuses one without it (0002 deleted those there were)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0002_delete_identities_without_id'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='contactidentity',
            constraint=models.CheckConstraint(condition=models.Q(('external_id', ''), _negated=True), name='identity_has_external_id', violation_error_message='An identity needs its X user id, email address or phone number.'),
        ),
    ]
