"""“Lucía replied — Show” names the contact, everywhere (the in-page toast, the Notifications list, the desktop
notification), and goes away once that conversation is taken or handled: accepted (by anyone), reassigned, force-
ended or marked done. A notice that stays after the conversation is someone's sends the agent after nothing."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from interactions import routing
from interactions import services as interaction_services
from interactions.models import Label
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InteractionFactory, TwitterIdentityFactory
from tests.helpers import sign_in
from tests.workspace.test_live_pushes import tab_headers
from workspace.agents.models import AgentNotice
from workspace.asgi import application

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


def lucia_writes_again(owner):
    """Lucía, assigned to `owner`, writes while `owner` is Not Ready: the owner is told, not offered."""
    contact = TwitterIdentityFactory(
        contact=ContactFactory(display_name="Lucía Fernández", assigned_agent=owner), handle="luciaf"
    ).contact
    interaction = InteractionFactory(contact=contact)
    routing.route_queue()
    return interaction


def pending(agent):
    return AgentNotice.objects.filter(agent=agent, kind="contact_replied", cleared_at__isnull=True)


def offered_to(interaction, agent):
    return interaction_services.interaction_offer(interaction_id=interaction.pk, agent=agent)


def test_the_toast_and_the_notice_name_the_contact_and_show_them(client, ana):
    interaction = lucia_writes_again(ana)
    notice = pending(ana).get()
    assert notice.text == "Lucía Fernández replied."
    html = client.get(reverse("workspace:replied"), headers=HX).content.decode()
    assert "<bdi>Lucía Fernández</bdi> replied." in html
    assert "A contact" not in html and "Your contact" not in html
    assert f'data-contact-id="{interaction.contact_id}"' in html and f'data-notice-id="{notice.pk}"' in html
    assert 'data-notify-name="Lucía Fernández"' in html  # the desktop notification's words come from the server
    assert f'href="/workspace/connect/?contact={interaction.contact_id}" data-show-replied>Show</a>' in html
    notices = client.get(reverse("workspace:notices"), headers=HX).content.decode()
    assert "<bdi>Lucía Fernández</bdi> replied." in notices


def test_the_toast_lasts_the_sticky_wait_and_the_notice_stays_listed_until_the_conversation_is_taken(client, ana):
    lucia_writes_again(ana)
    AgentNotice.objects.update(created_at=timezone.now() - timedelta(seconds=301))  # STICKY_WAIT_SECONDS is 300
    assert "Lucía" not in client.get(reverse("workspace:replied"), headers=HX).content.decode()
    assert "Lucía Fernández</bdi> replied." in client.get(reverse("workspace:notices"), headers=HX).content.decode()


def test_accepting_the_conversation_clears_the_notice(client, ana):
    interaction = lucia_writes_again(ana)
    offered_to(interaction, ana)
    interaction_services.interaction_accept(interaction_id=interaction.pk, agent=ana)
    assert not pending(ana).exists()
    assert AgentNotice.objects.get(agent=ana).cleared_at is not None  # kept, as history, but no longer pending
    assert "Lucía" not in client.get(reverse("workspace:replied"), headers=HX).content.decode()
    assert "Lucía" not in client.get(reverse("workspace:notices"), headers=HX).content.decode()


def test_another_agent_taking_it_clears_the_owners_notice_too(ana):
    interaction = lucia_writes_again(ana)
    ben = AgentFactory(first_name="Ben")
    offered_to(interaction, ben)
    interaction_services.interaction_accept(interaction_id=interaction.pk, agent=ben)
    assert not pending(ana).exists()


def test_a_supervisor_reassigning_or_force_ending_it_clears_the_notice(ana):
    supervisor = get_user_model().objects.create_user("sam", is_staff=True)
    reassigned = lucia_writes_again(ana)
    interaction_services.interaction_reassign(interaction_id=reassigned.pk, to_agent=AgentFactory(), by=supervisor)
    assert not pending(ana).exists()

    again = InteractionFactory(contact=reassigned.contact)
    routing._tell_owner_if_away(again)
    assert pending(ana).count() == 1
    interaction_services.interaction_force_end(interaction_id=again.pk, by=supervisor)
    assert not pending(ana).exists()


def test_marking_the_conversation_done_clears_the_notice(client, ana):
    interaction = lucia_writes_again(ana)
    interaction.agent, interaction.state, interaction.accepted_at = ana, "ended", timezone.now()
    interaction.save()  # taken through a path that said nothing (a supervisor's fix in the database)
    assert pending(ana).count() == 1
    label = Label.objects.create(name="Resolved")
    url = reverse("workspace:interaction_done", args=[interaction.pk])
    assert client.post(url, {"disposition": label.pk}, headers=HX).status_code == 200
    assert not pending(ana).exists()


def test_a_notice_about_another_conversation_stays(ana):
    """Only the conversation taken clears: Lucía's tweet still waits while her DM is accepted."""
    dm = lucia_writes_again(ana)
    tweet = InteractionFactory(contact=dm.contact, kind="twitter")
    routing._tell_owner_if_away(tweet)
    offered_to(dm, ana)
    interaction_services.interaction_accept(interaction_id=dm.pk, agent=ana)
    assert list(pending(ana).values_list("interaction_id", flat=True)) == [tweet.pk]


def test_missed_offers_are_a_record_and_stay(ana):
    interaction = lucia_writes_again(ana)
    AgentNotice.objects.create(agent=ana, kind="offer_missed", contact=interaction.contact, interaction=interaction,
                               text="You missed a Chat offer from Lucía Fernández.")  # fmt: skip
    offered_to(interaction, ana)
    interaction_services.interaction_accept(interaction_id=interaction.pk, agent=ana)
    assert AgentNotice.objects.get(kind="offer_missed").cleared_at is None


@pytest.mark.django_db(transaction=True)
def test_the_agents_open_tabs_hear_that_the_notice_cleared():
    ana = AgentFactory(first_name="Ana")
    headers = tab_headers(sign_in(ana.username, PASSWORD))

    async def scenario():
        tab = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
        assert (await tab.connect(timeout=5))[0]
        await tab.receive_json_from(timeout=5)  # hello
        interaction = await database_sync_to_async(lucia_writes_again)(ana)
        heard = [(await tab.receive_json_from(timeout=5))["type"]]  # notice.created

        def take():
            offered_to(interaction, ana)
            interaction_services.interaction_accept(interaction_id=interaction.pk, agent=ana)

        await database_sync_to_async(take)()
        while not await tab.receive_nothing(timeout=1):
            event = await tab.receive_json_from()
            heard.append(event["type"])
            if event["type"] == "notices.cleared":
                assert event["interaction_id"] == interaction.pk and event["contact_id"] == interaction.contact_id
        await tab.disconnect()
        return heard

    heard = async_to_sync(scenario)()
    assert "notices.cleared" in heard, heard
