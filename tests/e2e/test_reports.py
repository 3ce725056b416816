"""A supervisor in real Chromium: the reports page with a week of work, filters, charts and the CSV download."""

import datetime as dt
import random

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interactions.models import Channel, Interaction, InteractionState, Message, Offer
from tests.factories import PASSWORD, AgentFactory, InboundDMFactory, InteractionFactory, UserFactory, XAccountFactory
from workspace.agents.models import Team

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def a_week_of_work():
    """A week of DMs and tweets with replies, offers and sentiment, from a fixed seed."""
    rng = random.Random(7)
    care = Team.objects.create(name="Care")
    accounts = [XAccountFactory(name="Acme Support", team=care), XAccountFactory(name="Acme Billing")]
    agents = [AgentFactory(username=name, first_name=name.title()) for name in ("ana", "ben", "chloe")]
    today = timezone.localdate()
    for days_ago in range(6, -1, -1):
        day = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(8)))
        for _ in range(rng.randint(4, 11)):
            opened = day + dt.timedelta(minutes=rng.randint(0, 600))
            agent = rng.choice(agents)
            interaction = InteractionFactory(
                kind=rng.choice([Channel.CHAT, Channel.TWITTER]), x_account=rng.choice(accounts),
                sentiment=rng.choice([-0.8, -0.6, 0.0, 0.1, 0.0, 0.5, 0.7]),
            )  # fmt: skip
            waited = dt.timedelta(seconds=rng.randint(10, 90))
            replied = waited + dt.timedelta(seconds=rng.randint(20, 120))
            handled = dt.timedelta(minutes=rng.randint(3, 18))
            for minute in range(rng.randint(1, 4)):
                InboundDMFactory(interaction=interaction, created_at=opened + dt.timedelta(minutes=minute * 2))
                if minute and rng.random() < 0.4:
                    continue  # one answer for two questions
                Message.objects.create(
                    interaction=interaction, x_account=interaction.x_account, direction="out",
                    kind=Message.Kind.DM, author_agent=agent, text="On it", delivery="sent",
                    created_at=opened + replied + dt.timedelta(minutes=minute * 2),
                )  # fmt: skip
            if rng.random() < 0.3:
                Offer.objects.create(
                    interaction=interaction, agent=rng.choice(agents), expires_at=opened,
                    state=rng.choice([Offer.State.REJECTED, Offer.State.EXPIRED]),
                )  # fmt: skip
            Interaction.objects.filter(pk=interaction.pk).update(
                agent=agent, state=InteractionState.DONE, opened_at=opened, queued_at=opened,
                accepted_at=opened + waited, ended_at=opened + waited + handled,
                done_at=opened + waited + handled + dt.timedelta(minutes=1),
            )  # fmt: skip
    return agents


def test_a_supervisor_reads_the_weeks_report_and_downloads_the_csv(live_server_url, page, screenshot):
    a_week_of_work()
    UserFactory(username="sam", first_name="Sam", is_staff=True, is_superuser=True)
    page.goto(f"{live_server_url}/admin/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    screenshot("admin-index-with-reports")
    page.get_by_role("region", name="Supervising").get_by_role("link", name="Reports", exact=True).click()

    expect(page.get_by_role("heading", name="Messages per day")).to_be_visible()
    opened = page.locator('[data-figure="interactions_opened"] .report-card-value')
    total = int(opened.inner_text())
    assert total > 20
    expect(page.locator('[data-figure="first_response_seconds"] .report-card-value')).to_contain_text("min")
    expect(page.get_by_role("img", name="Messages in and out per day")).to_be_visible()
    expect(page.get_by_role("img", name="Sentiment mix")).to_be_visible()
    screenshot("reports")

    page.get_by_label("Channel").select_option("twitter")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**channel=twitter**")
    assert 0 < int(opened.inner_text()) < total

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("perch-report-")
    content = open(download.value.path(), encoding="utf-8").read()
    assert content.startswith("figure,value,unit") and "Interactions opened," in content
