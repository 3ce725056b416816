from django.db import migrations, models

import social.models


def give_each_account_its_own_token(apps, schema_editor):
    XAccount = apps.get_model("social", "XAccount")
    for account in XAccount.objects.filter(webhook_token=""):
        account.webhook_token = social.models.new_webhook_token()
        account.save(update_fields=["webhook_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("social", "0006_xaccount_keywords"),
    ]

    # Added empty first: a callable default would be evaluated once and give every existing account the same token.
    operations = [
        migrations.AddField(
            model_name="xaccount",
            name="webhook_token",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(give_each_account_its_own_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="xaccount",
            name="webhook_token",
            field=models.CharField(default=social.models.new_webhook_token, editable=False, max_length=64),
        ),
    ]
