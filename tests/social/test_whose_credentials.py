"""Poll start asks X whose the credentials are (GET /2/users/me, tweepy over real HTTP against the sandbox), once
per credentials: another X account's credentials are refused in words before any of its timeline is read, and
supervisors see why; the account's own are asked about once and polled as before."""

import pytest
import requests
from django.contrib.auth import get_user_model

from interactions.models import Message
from social import health, polling, services
from social.models import IngestCursor, XAccount
from tests.factories import PASSWORD, XAccountFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "These credentials belong to @TweepyDev, not @perchdemoair: Perch does not poll with them."


def users_me_calls(simulator) -> int:
    """How many GET /2/users/me the sandbox has seen, counted by a fault that never fires."""
    faults = requests.get(f"{simulator.api}/faults", timeout=10).json()["faults"]
    return next(f["seen"] for f in faults if f["path"] == "/2/users/me")


def test_another_x_accounts_credentials_are_refused_in_words_before_its_timeline_is_read(simulator):
    brand, tweepy, maya = (simulator.user("perchdemoair", "Perch Demo Air"), simulator.user("TweepyDev", "Tweepy"),
                           simulator.user("maya", "Maya Patel"))  # fmt: skip
    simulator.dm(maya, tweepy["id"], "a DM to TweepyDev, none of Perch's business")
    simulator.tweet(maya, "@TweepyDev a mention of TweepyDev")
    account = XAccountFactory(
        x_user_id=brand["id"], handle="perchdemoair", access_token=tweepy["access_token"],
        api_base_url=simulator.base, budget_overrides={"multiplier": 100},
    )  # fmt: skip

    report = polling.poll_account(account_id=account.pk)
    account.refresh_from_db()
    assert report.error == WRONG and (account.needs_reconnect, account.last_error) == (True, WRONG)
    assert not Message.objects.exists() and not IngestCursor.objects.exists()  # not one page of TweepyDev's
    assert account.verified_credentials == "" and account.pk not in polling.accounts_due()
    assert [h.status for h in health.accounts_health()] == ["needs_reconnect"]
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    supervisor = sign_in("sam", PASSWORD)
    assert WRONG in supervisor.get("/admin/board/health/").content.decode()
    assert WRONG in supervisor.get("/admin/social/xaccount/").content.decode()

    # The supervisor enters @perchdemoair's own credentials: X confirms them and polling resumes.
    XAccount.objects.filter(pk=account.pk).update(access_token=brand["access_token"])
    services.xaccount_reconnected(account_id=account.pk)
    simulator.dm(maya, brand["id"], "Hello Perch Demo Air")
    report = polling.poll_account(account_id=account.pk)
    assert (report.error, report.created) == ("", 1)
    assert Message.objects.get().text == "Hello Perch Demo Air"


def test_the_accounts_own_credentials_are_asked_about_once_and_again_only_when_they_change(simulator, brand):
    simulator.fault(method="GET", path="/2/users/me", status=500, skip=10**9, times=1)  # the call counter
    maya = simulator.user("maya", "Maya Patel")
    simulator.dm(maya, brand.x_user_id, "Where is my parcel?")

    assert polling.poll_account(account_id=brand.pk).created == 1
    assert polling.poll_account(account_id=brand.pk).created == 0
    assert users_me_calls(simulator) == 1  # not a call per poll
    fingerprint = XAccount.objects.get(pk=brand.pk).verified_credentials
    assert fingerprint and brand.access_token not in fingerprint

    reissued = simulator.user("acmecare", new_token=True)  # the supervisor entered a new token for the account
    XAccount.objects.filter(pk=brand.pk).update(access_token=reissued["access_token"])
    simulator.dm(maya, brand.x_user_id, "Any news?")
    report = polling.poll_account(account_id=brand.pk)
    assert (report.error, report.created) == ("", 1) and users_me_calls(simulator) == 2
    assert XAccount.objects.get(pk=brand.pk).verified_credentials not in ("", fingerprint)
