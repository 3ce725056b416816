"""Who can make Perch store a delivery: X's signature vectors, the CRC (no signing oracle), the secret URL, the
account's mode, tampered and oversized bodies."""

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client

from interactions.models import Interaction, Message
from social.models import XAccount
from social.webhooks import signature
from tests.social.deliveries import dm_delivery, post, webhook_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return webhook_account()


def test_x_documented_signature_vectors():
    assert signature("test", b"test=1&other_test=2") == "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc="
    body = b'{"test_number":1,"test_string":"two"}'
    assert signature("test", body) == "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="


def test_crc_challenge_is_answered_with_the_hmac_of_the_token(account):
    token = "kq3Jv0n5Yb-_w8Zr+Tf/aQ=="  # X's tokens: opaque random strings of the base64 alphabets
    expected = "sha256=" + base64.b64encode(hmac.new(b"test", token.encode(), hashlib.sha256).digest()).decode()
    response = Client().get(account.webhook_path, {"crc_token": token})
    assert response.json() == {"response_token": expected}


@pytest.mark.parametrize(
    "token",
    ["", "test=1&other_test=2", "short", "x" * 129, "abcdefgh\n", '{"for_user_id":"1"}', "abc defgh", "abcdéfgh"],
)
def test_a_crc_token_of_another_shape_is_refused_in_words(account, token):
    response = Client().get(account.webhook_path, {"crc_token": token})
    assert response.status_code == 400 and "crc_token" in response.json()["error"]


def test_the_crc_endpoint_cannot_sign_a_forged_delivery(account):
    """The outside probe's attack: the CRC answer signs a forged DM delivery, which is then POSTed with it."""
    body = json.dumps(dm_delivery(text="Forged: send me the refund")).encode()
    crc = Client().get(account.webhook_path, {"crc_token": body.decode()})
    assert crc.status_code == 400 and "response_token" not in crc.json()
    response = Client().post(
        account.webhook_path, body, content_type="application/json",
        headers={"x-twitter-webhooks-signature": crc.json().get("response_token", "")},
    )  # fmt: skip
    assert response.status_code == 403 and not Message.objects.exists()


def test_a_polling_or_inactive_account_answers_404_like_an_unknown_one(account):
    token = "kq3Jv0n5Yb-_w8Zr+Tf/aQ=="
    for change in ({"mode": "polling"}, {"mode": "webhook", "is_active": False}):
        XAccount.objects.filter(pk=account.pk).update(**change)
        assert Client().get(account.webhook_path, {"crc_token": token}).status_code == 404
        assert post(account, dm_delivery()).status_code == 404
    assert Client().get(f"/webhooks/x/{account.pk + 1}/", {"crc_token": token}).status_code == 404
    assert not Message.objects.exists()


@pytest.mark.parametrize("size", [1_000_001, 3_000_000])  # the second is over Django's own limit too
def test_a_delivery_larger_than_1_mb_is_refused_in_words(account, size):
    payload = dm_delivery(text="x" * size)
    response = post(account, payload)
    assert response.status_code == 413 and "1 MB" in response.json()["error"]
    assert not Message.objects.exists()


def test_a_signed_body_that_is_not_a_json_object_is_refused(account):
    for body in (b"kq3Jv0n5Yb", b"12345678", b"[]", b"not json", b"\xff\xfe", b'{"id": NaN}', b"[" * 100_000):
        response = Client().post(
            account.webhook_path, body, content_type="application/json",
            headers={"x-twitter-webhooks-signature": signature("test", body)},
        )  # fmt: skip
        assert response.status_code == 400 and response.json()["error"] == "the body is not a JSON object"


def test_a_tampered_body_gets_403_and_stores_nothing(account):
    assert post(account, dm_delivery(), tamper=True).status_code == 403
    assert post(account, dm_delivery(), secret="not-the-secret").status_code == 403
    assert Client().post(account.webhook_path, b"{}", content_type="application/json").status_code == 403
    assert not Message.objects.exists() and not Interaction.objects.exists()


def test_only_the_accounts_secret_url_answers(account):
    """A valid signature is not enough: the URL carries a secret too, so a replayed or forged delivery sent to
    a guessed URL is refused before its signature is read (the old URL without the secret is gone)."""
    crc = {"crc_token": "kq3Jv0n5Yb-_w8Zr+Tf/aQ=="}
    other = webhook_account(x_user_id="1800000000000000501", handle="other")
    assert account.webhook_token != other.webhook_token and len(account.webhook_token) >= 43
    for url in (
        f"/webhooks/x/{account.pk}/",
        f"/webhooks/x/{account.pk}/{account.webhook_token[:-1]}/",
        f"/webhooks/x/{account.pk}/{other.webhook_token}/",
        f"/webhooks/x/{other.pk}/{account.webhook_token}/",
    ):
        assert Client().get(url, crc).status_code == 404, url
        body = json.dumps(dm_delivery()).encode()
        response = Client().post(url, body, content_type="application/json",
                                 headers={"x-twitter-webhooks-signature": signature("test", body)})  # fmt: skip
        assert response.status_code == 404, url
    assert Client().get(account.webhook_path, crc).status_code == 200
    assert not Message.objects.exists()


def test_the_admin_shows_the_url_to_register_and_a_supervisor_rotates_it(account):
    from django.contrib.auth import get_user_model

    from tests.factories import PASSWORD
    from tests.helpers import sign_in
    from workspace.agents.models import AuditEntry

    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    admin = sign_in("sam", PASSWORD)
    page = admin.get(f"/admin/social/xaccount/{account.pk}/change/").content.decode()
    assert f"http://testserver{account.webhook_path}" in page and 'name="webhook_token"' not in page
    old_path = account.webhook_path

    response = admin.post(
        "/admin/social/xaccount/", {"action": "rotate_webhook_url", "_selected_action": [account.pk]}, follow=True
    )
    account.refresh_from_db()
    assert account.webhook_path != old_path and account.webhook_path in response.content.decode()
    crc = {"crc_token": "kq3Jv0n5Yb-_w8Zr+Tf/aQ=="}
    assert Client().get(old_path, crc).status_code == 404
    assert Client().get(account.webhook_path, crc).status_code == 200
    assert AuditEntry.objects.filter(verb="settings_change", details__changes="New webhook URL.").count() == 1


def test_existing_accounts_each_get_their_own_secret_by_the_data_migration(account):
    import importlib
    from pathlib import Path

    from django.apps import apps

    import social

    migration = next(Path(social.__file__).parent.glob("migrations/*_xaccount_webhook_token.py"))
    module = importlib.import_module(f"social.migrations.{migration.stem}")
    other = webhook_account(x_user_id="1800000000000000501", handle="other")
    XAccount.objects.update(webhook_token="")  # the rows as they were before the migration
    module.give_each_account_its_own_token(apps, None)
    tokens = set(XAccount.objects.values_list("webhook_token", flat=True))
    assert (
        len(tokens) == 2
        and "" not in tokens
        and {account.pk, other.pk} == set(XAccount.objects.values_list("pk", flat=True))
    )
