import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from contacts.models import Contact
from interactions.models import CannedResponse
from social.models import XAccount
from tests.helpers import sign_in
from workspace.desk.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_its_printed_logins_work(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert f"password for all: {DEMO_PASSWORD}" in printed and "ana" in printed and "supervisor" in printed

    User = get_user_model()
    assert User.objects.filter(agent_profile__isnull=False).count() == 3
    assert User.objects.get(username="supervisor").is_staff
    assert XAccount.objects.count() == 1 and Contact.objects.count() == 3
    assert CannedResponse.objects.filter(team__name="Customer Care").count() == 3
    assert XAccount.objects.get().effective_api_base_url.endswith("/x-sandbox")

    assert sign_in("ana", DEMO_PASSWORD).get("/workspace/").status_code == 200
    assert sign_in("supervisor", DEMO_PASSWORD).get("/admin/").status_code == 200
