"""The admin as a supervisor uses it: change lists of 1,000 rows in a constant number of queries, names rather
than ids, X secrets never shown, the budget per endpoint; and agents (not staff) kept out."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import Contact
from interactions.models import Interaction, Message
from tests.factories import PASSWORD, AgentFactory, XAccountFactory
from tests.helpers import sign_in
from workspace.agents.models import AgentProfile, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    return sign_in("sam", PASSWORD)


def make_rows(n: int) -> None:
    account, agent = XAccountFactory(), AgentFactory()
    start = Contact.objects.count()
    contacts = Contact.objects.bulk_create(
        [Contact(display_name=f"Customer {start + i}", assigned_agent=agent) for i in range(n)]
    )
    interactions = Interaction.objects.bulk_create(
        [
            Interaction(
                kind="chat",
                contact=c,
                x_account=account,
                agent=agent,
                state="active",
                thread_key=f"t-{c.pk}",
                queued_at=timezone.now(),
            )
            for c in contacts
        ]  # fmt: skip
    )
    Message.objects.bulk_create(
        [
            Message(
                interaction=i,
                x_account=account,
                direction="in",
                kind="dm",
                text="Where is my order?",
                external_id=f"m-{i.pk}",
            )
            for i in interactions
        ]  # fmt: skip
    )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/admin/contacts/contact/", "/admin/interactions/interaction/", "/admin/interactions/message/"]
)
def test_change_lists_of_a_thousand_rows_take_as_many_queries_as_of_five(client, url):
    make_rows(5)
    few = queries_for(client, url)
    make_rows(995)
    many = queries_for(client, url)
    assert many == few <= 12, f"{url}: {few} queries with 5 rows, {many} with 1,000"


def test_lists_show_names_not_ids(client):
    make_rows(3)
    page = client.get("/admin/interactions/message/").content.decode()
    assert "Chat with Customer" in page
    users = client.get("/admin/auth/user/?agent=yes").content.decode()
    assert "Capacity (chat / Twitter)" in users and "3 / 5" in users


def test_x_account_page_masks_secrets_and_shows_the_budget_per_endpoint(client):
    account = XAccountFactory(consumer_secret="s3cret-consumer", access_token="s3cret-token")
    page = client.get(f"/admin/social/xaccount/{account.pk}/change/").content.decode()
    assert "s3cret" not in page
    assert "Use per endpoint" in page and "dm_send" in page and "0 / 15" in page and "Resets in" in page
    assert 'name="poll_interval_seconds"' in page and 'name="mode"' in page and 'name="keywords"' in page


def test_ingest_cursors_are_shown_but_never_edited_by_hand(client):
    from social.models import IngestCursor

    account = XAccountFactory()
    IngestCursor.objects.create(account=account, stream="mentions", since_id="1861", resume_token="tok")
    page = client.get(f"/admin/social/xaccount/{account.pk}/change/").content.decode()
    assert "1861" in page and "tok" in page
    assert 'name="cursors-0-resume_token"' not in page and 'name="cursors-0-since_id"' not in page


def test_agents_edit_teams_skills_and_capacities_inline(client):
    agent = AgentFactory(username="ana")
    team = Team.objects.create(name="Care")
    page = client.get(f"/admin/auth/user/{agent.pk}/change/").content.decode()
    assert "Agent profile (teams, skills, capacity per channel)" in page
    assert 'name="agent_profile-0-chat_capacity"' in page and 'name="agent_profile-0-teams"' in page
    assert team.name in page
    assert AgentProfile.objects.filter(user=agent).exists()


def test_agents_who_are_not_staff_cannot_reach_the_admin_or_the_board():
    agent = AgentFactory()
    agent_client = sign_in(agent.username, PASSWORD)
    for url in ["/admin/", "/admin/interactions/interaction/", "/admin/board/", "/admin/board/queue/"]:
        response = agent_client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
    refused = agent_client.post("/admin/board/interactions/1/reassign/", {"agent": agent.pk})
    assert refused.status_code == 302


def test_messages_offers_and_presence_are_shown_but_never_edited_by_hand(client):
    """A hand edit would bypass the services: a sent message set back to `queued` would go to X a second time."""
    make_rows(1)
    message = Message.objects.get()
    message.direction, message.delivery, message.external_id = "out", "sent", "sent-1"
    message.save()
    page = client.get(f"/admin/interactions/message/{message.pk}/change/")
    assert page.status_code == 200 and "Where is my order?" in page.content.decode()
    assert 'name="delivery"' not in page.content.decode()  # shown, not a form field
    client.post(f"/admin/interactions/message/{message.pk}/change/", {"delivery": "queued", "text": "edited"})
    message.refresh_from_db()
    assert (message.delivery, message.text) == ("sent", "Where is my order?")
    for model in ("interactions/message", "interactions/offer", "workspace/channelpresence"):
        assert client.get(f"/admin/{model}/add/").status_code == 403
        assert f'href="/admin/{model}/add/"' not in client.get(f"/admin/{model}/").content.decode()
