"""Polling X end to end: tweepy over real HTTP against the sandbox on a live server, `poll_x --once`."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command

from interactions.models import Channel, Interaction, InteractionState, Message
from social import polling
from social.integrations.x_client import XRateLimited
from social.models import IngestCursor, RejectedEvent, XAccount
from tests.social.conftest import png

pytestmark = pytest.mark.django_db(transaction=True)


def poll_once(account) -> str:
    from io import StringIO

    out = StringIO()
    call_command("poll_x", "--account", str(account.pk), "--once", stdout=out, stderr=out)
    return out.getvalue()


def test_a_dm_with_an_image_becomes_one_queued_chat_interaction_and_is_stored_once(simulator, brand):
    maya = simulator.user("maya", "Maya Patel")
    simulator.dm(maya, brand.x_user_id, "My parcel arrived broken, see photo", image=png())

    assert "1 new" in poll_once(brand)
    interaction = Interaction.objects.get()
    assert (interaction.kind, interaction.state) == (Channel.CHAT, InteractionState.QUEUED)
    assert interaction.contact.display_name == "Maya Patel"
    message = interaction.messages.get()
    assert message.text == "My parcel arrived broken, see photo"
    stored = message.media[0]["file"]
    with default_storage.open(stored) as image:
        assert image.read().startswith(b"\x89PNG")

    assert "0 new" in poll_once(brand)  # a second poll adds nothing
    simulator.dm(maya, brand.x_user_id, "Hello? Anyone?")
    poll_once(brand)
    assert Interaction.objects.count() == 1
    assert list(interaction.messages.values_list("text", flat=True))[-1] == "Hello? Anyone?"


def test_a_thread_with_two_branches_retweets_and_brand_tweets(simulator, brand):
    maya, tom = simulator.user("maya", "Maya Patel"), simulator.user("tom", "Tom Becker")
    root = simulator.tweet(maya, "@acmecare my order never arrived")
    brand_user = {"id": brand.x_user_id}
    answer = simulator.tweet(brand_user, "@maya sorry about that! Which order?", in_reply_to=root["id"])
    simulator.tweet(maya, "@acmecare order 1234", in_reply_to=answer["id"])
    simulator.tweet(maya, "@acmecare and also my refund from May", in_reply_to=answer["id"])
    simulator.retweet(tom, root["id"])
    simulator.tweet(brand_user, "@acmecare new timetable is out")

    poll_once(brand)
    branches = Interaction.objects.filter(kind=Channel.TWITTER).order_by("id")
    assert branches.count() == 2
    assert {b.contact.display_name for b in branches} == {"Maya Patel"}
    first = list(branches[0].messages.values_list("text", flat=True))
    assert first == [
        "@acmecare my order never arrived",
        "@maya sorry about that! Which order?",  # the unseen parent, fetched from X
        "@acmecare order 1234",
    ]
    assert list(branches[1].messages.values_list("text", flat=True)) == ["@acmecare and also my refund from May"]
    assert not Message.objects.filter(text__startswith="RT ").exists()
    assert not Message.objects.filter(text="@acmecare new timetable is out").exists()


def test_250_dms_over_three_pages_once_even_with_a_429_mid_pagination(simulator, brand):
    customers = [simulator.user(f"customer{i}") for i in range(5)]
    for n in range(250):
        simulator.dm(customers[n % 5], brand.x_user_id, f"message {n}")
    simulator.fault(method="GET", path="/2/dm_events", status=429, skip=1, times=1)

    with pytest.raises(XRateLimited):
        polling.poll_account(account_id=brand.pk)
    cursor = IngestCursor.objects.get(account=brand, stream="dm_events")
    assert cursor.resume_token and not cursor.since_id  # page 1 stored, the run not finished
    assert Message.objects.count() == 100
    assert XAccount.objects.get(pk=brand.pk).rate_limited_until is not None

    # X said "nothing remaining until reset": Perch does not call again before then.
    until = XAccount.objects.get(pk=brand.pk).rate_limited_until
    with pytest.raises(XRateLimited, match="budget"):
        polling.poll_account(account_id=brand.pk)
    with time_machine.travel(until + timedelta(seconds=1)):
        report = polling.poll_account(account_id=brand.pk)
    assert (report.created, report.duplicates) == (150, 0)
    assert Message.objects.count() == 250
    assert sorted(int(t.split()[1]) for t in Message.objects.values_list("text", flat=True)) == list(range(250))
    assert Interaction.objects.count() == 5
    with time_machine.travel(until + timedelta(seconds=2)):
        assert polling.poll_account(account_id=brand.pk).created == 0
    assert not RejectedEvent.objects.exists()


def test_a_revoked_token_marks_the_account_and_stops_polling(simulator, brand):
    simulator.revoke(brand.x_user_id)
    output = poll_once(brand)
    brand.refresh_from_db()
    assert brand.needs_reconnect and "needs reconnecting" in brand.last_error
    assert "needs reconnecting" in output
    assert polling.poll_account(account_id=brand.pk).error == "account inactive or needs reconnecting"
    assert brand.pk not in polling.accounts_due()


def test_keyword_monitoring_turns_matching_public_tweets_into_work_once(simulator, brand):
    maya, tom = simulator.user("maya", "Maya Patel"), simulator.user("tom", "Tom Becker")
    complaint = simulator.tweet(maya, "Still waiting for my REFUND from Acme, three weeks now")
    simulator.tweet(tom, "lost bag at the airport again, thanks Acme")
    simulator.tweet(tom, "great weather for a refund-free day")  # a term inside another word is still X's match
    simulator.retweet(tom, complaint["id"])
    simulator.tweet({"id": brand.x_user_id}, "Refund requests: see our help page")  # the brand's own
    simulator.tweet(maya, "nothing to see here")

    poll_once(brand)
    assert not Interaction.objects.exists()  # no keywords: only DMs and mentions are read

    XAccount.objects.filter(pk=brand.pk).update(keywords='refund, "lost bag" ,')
    brand.refresh_from_db()
    assert polling.keyword_query(brand) == '(refund OR "lost bag") -is:retweet -from:acmecare'
    poll_once(brand)
    texts = sorted(Message.objects.filter(direction="in").values_list("text", flat=True))
    assert texts == [
        "Still waiting for my REFUND from Acme, three weeks now",
        "great weather for a refund-free day",
        "lost bag at the airport again, thanks Acme",
    ]
    work = set(Interaction.objects.values_list("kind", "state"))
    assert work == {(Channel.TWITTER, InteractionState.QUEUED)}
    cursor = IngestCursor.objects.get(account=brand, stream=IngestCursor.Stream.SEARCH)
    assert cursor.since_id == max((m.external_id for m in Message.objects.all()), key=int)

    poll_once(brand)  # nothing new: nothing twice
    assert Message.objects.count() == 3
    simulator.tweet(maya, "@acmecare where is my refund?")  # a mention that is also a keyword match
    poll_once(brand)
    assert Message.objects.filter(text="@acmecare where is my refund?").count() == 1


def test_a_webhook_account_still_polls_its_keyword_search_and_only_that(simulator, brand):
    """X's Activity API delivers what names the account (DMs, mentions, replies), never a keyword match: a webhook
    account with keywords is still due for its search, and its DMs wait for the webhook (or a catch-up poll)."""
    from social.sandbox.models import SandboxRateWindow

    maya = simulator.user("maya", "Maya Patel")
    simulator.tweet(maya, "Still waiting for my refund, three weeks now")
    simulator.dm(maya, brand.x_user_id, "and nobody answers my DMs")
    XAccount.objects.filter(pk=brand.pk).update(mode=XAccount.Mode.WEBHOOK, keywords="")
    assert brand.pk not in polling.accounts_due()  # nothing to poll: the webhook brings the rest
    XAccount.objects.filter(pk=brand.pk).update(keywords="refund")
    assert brand.pk in polling.accounts_due()

    report = polling.poll_account(account_id=brand.pk)
    assert report.error == "" and report.created
    assert list(Message.objects.values_list("text", flat=True)) == ["Still waiting for my refund, three weeks now"]
    called = set(SandboxRateWindow.objects.values_list("key", flat=True))
    assert any("search" in key for key in called) and not any("dm_events" in key for key in called), called

    polling.poll_account(account_id=brand.pk, force=True)  # a catch-up reads the DMs too
    assert Message.objects.filter(text="and nobody answers my DMs").exists()
