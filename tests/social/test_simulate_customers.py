from io import StringIO

import pytest
from django.core.management import call_command

from interactions.models import Interaction
from social import polling

pytestmark = pytest.mark.django_db(transaction=True)


def test_simulated_traffic_is_bounded_and_becomes_work_in_perch(simulator, brand):
    out = StringIO()
    call_command("simulate_customers", "--rate", "20", "--duration", "1.5", "--base-url", simulator.base,
                 "--brand", "acmecare", "--seed", "7", stdout=out)  # fmt: skip
    summary = out.getvalue()
    assert "Sent to @acmecare:" in summary and "0 errors" in summary
    sent = sum(int(part.split()[0]) for part in summary.split(":")[1].split(",")[:4])
    assert 10 <= sent <= 31  # ~20/s for 1.5 s, never unbounded
    polling.poll_account(account_id=brand.pk)
    assert Interaction.objects.filter(x_account=brand).exists()
