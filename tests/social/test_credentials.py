import pytest
from django.db import connection

from social.models import XAccount
from tests.factories import XAccountFactory

pytestmark = pytest.mark.django_db


def test_x_tokens_are_encrypted_at_rest_and_readable_in_code():
    account = XAccountFactory(access_token="99-plain-access-token", access_token_secret="plain-secret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, access_token_secret FROM social_xaccount WHERE id = %s", [account.pk])
        stored_token, stored_secret = cursor.fetchone()
    assert "plain" not in stored_token and "plain" not in stored_secret
    fresh = XAccount.objects.get(pk=account.pk)
    assert (fresh.access_token, fresh.access_token_secret) == ("99-plain-access-token", "plain-secret")


def test_a_rotated_key_still_reads_old_tokens(settings):
    account = XAccountFactory(consumer_secret="before-rotation")
    settings.FIELD_ENCRYPTION_KEY = f"a-brand-new-key,{settings.FIELD_ENCRYPTION_KEY}"
    assert XAccount.objects.get(pk=account.pk).consumer_secret == "before-rotation"
