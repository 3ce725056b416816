"""Canned responses, private notes and labels: each agent gets only their own, and a note never leaves Perch."""

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from interactions.models import CannedResponse, InteractionNote, Label, Message
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.agents.models import Team

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def working(agent, **fields):
    """An active interaction of this agent with one inbound DM, its contact theirs (as accepting makes it)."""
    interaction = InteractionFactory(agent=agent, state="active", accepted_at=timezone.now(), **fields)
    Contact.objects.filter(pk=interaction.contact_id, assigned_agent__isnull=True).update(assigned_agent=agent)
    InboundDMFactory(interaction=interaction, text="Where is my bag?")
    return interaction


def test_an_agent_gets_their_own_and_their_teams_canned_responses_only():
    ana, ben = AgentFactory(first_name="Ana"), AgentFactory()
    care, billing = Team.objects.create(name="Care"), Team.objects.create(name="Billing")
    ana.agent_profile.teams.add(care)
    ben.agent_profile.teams.add(care, billing)
    CannedResponse.objects.create(title="Greeting", text="Hi {contact_name}, {agent_name} from {brand_handle} here.",
                                  team=care)  # fmt: skip
    CannedResponse.objects.create(title="Ana's sign-off", text="Cheers, Ana {unknown}", owner=ana)
    CannedResponse.objects.create(title="Ben's sign-off", text="Ben here", owner=ben)
    CannedResponse.objects.create(title="Refund policy", text="Refunds take 5 days", team=billing)
    CannedResponse.objects.create(title="Retired", text="Old", team=care, is_active=False)
    interaction = working(ana, contact=ContactFactory(display_name="Maya <b>Patel</b>"))

    client = sign_in(ana.username, PASSWORD)
    responses = client.get(reverse("workspace:canned_responses", args=[interaction.pk])).json()["responses"]
    handle = interaction.x_account.handle
    assert [(r["title"], r["text"]) for r in responses] == [
        ("Ana's sign-off", "Cheers, Ana {unknown}"),  # an unknown placeholder is left as written
        ("Greeting", f"Hi Maya <b>Patel</b>, Ana from @{handle} here."),  # JSON; the browser inserts it as text
    ]
    # Ben may not read responses filled in for Ana's conversation.
    ben_client = sign_in(ben.username, PASSWORD)
    assert ben_client.get(reverse("workspace:canned_responses", args=[interaction.pk])).status_code == 404


def test_a_canned_response_is_for_a_team_or_one_agent():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Pick either a team"):
        CannedResponse(title="Both", text="x", team=Team.objects.create(name="Care"), owner=AgentFactory()).full_clean()


def test_a_private_note_is_stored_shown_escaped_and_never_sent(django_assert_max_num_queries):
    ana, ben = AgentFactory(first_name="Ana"), AgentFactory()
    interaction = working(ana)
    client = sign_in(ana.username, PASSWORD)
    url = reverse("workspace:interaction_note", args=[interaction.pk])
    form = {"text": "Customer is a <script>alert(1)</script> VIP", "idempotency_key": "k1"}
    response = client.post(url, form, headers=HX)
    client.post(url, form, headers=HX)  # a double click stores one note

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "Private note" in html and "&lt;script&gt;alert(1)&lt;/script&gt; VIP" in html and "<script>alert" not in html
    )
    assert list(InteractionNote.objects.values_list("text", "author")) == [(form["text"], ana.pk)]
    assert not Message.objects.filter(direction="out").exists()  # no outbox row: nothing can go to X

    assert client.post(url, {"text": "  "}, headers=HX).status_code == 422
    assert sign_in(ben.username, PASSWORD).post(url, {"text": "mine now"}, headers=HX).status_code == 404
    assert InteractionNote.objects.count() == 1

    Label.objects.create(name="VIP")
    interaction.labels.add(Label.objects.create(name="Billing"))
    with django_assert_max_num_queries(9):  # 8, + the UPDATE marking it read as it opens (interactions.reading)
        view = client.get(reverse("workspace:interaction", args=[interaction.pk]), headers=HX)
    assert "Where is my bag?" in view.content.decode() and "not sent to the customer" in view.content.decode()


def test_labels_are_tagged_and_untagged_by_the_interactions_agent_only():
    ana, ben = AgentFactory(), AgentFactory()
    interaction = working(ana)
    vip, retired = Label.objects.create(name="VIP"), Label.objects.create(name="Retired", is_active=False)
    client = sign_in(ana.username, PASSWORD)
    url = reverse("workspace:interaction_labels", args=[interaction.pk])

    tagged = client.post(url, {"label": vip.pk, "tagged": "1"}, headers=HX)
    assert tagged.status_code == 200 and 'aria-pressed="true"' in tagged.content.decode()
    assert list(interaction.labels.all()) == [vip]
    assert client.post(url, {"label": vip.pk, "tagged": "1"}, headers=HX).status_code == 200  # twice: still one
    assert interaction.labels.count() == 1
    assert sign_in(ben.username, PASSWORD).post(url, {"label": vip.pk, "tagged": "0"}, headers=HX).status_code == 404
    assert list(interaction.labels.all()) == [vip]
    refused = client.post(url, {"label": retired.pk, "tagged": "1"}, headers=HX)
    assert refused.status_code == 422 and "does not exist" in refused.content.decode()
    picked_nothing = client.post(url, {"label": "x"}, headers=HX)  # refused in the label bar, which htmx swaps
    assert picked_nothing.status_code == 422 and "Pick a label from the menu." in picked_nothing.content.decode()

    assert client.post(url, {"label": vip.pk, "tagged": "0"}, headers=HX).status_code == 200
    assert not interaction.labels.exists()
    interaction.__class__.objects.filter(pk=interaction.pk).update(state="done")
    assert client.post(url, {"label": vip.pk, "tagged": "1"}, headers=HX).status_code == 422


def test_label_and_note_posts_need_the_csrf_token():
    ana = AgentFactory()
    interaction = working(ana)
    client = sign_in(ana.username, PASSWORD, enforce_csrf_checks=True)
    label = Label.objects.create(name="VIP")
    assert (
        client.post(reverse("workspace:interaction_labels", args=[interaction.pk]), {"label": label.pk}).status_code
        == 403
    )
    assert client.post(reverse("workspace:interaction_note", args=[interaction.pk]), {"text": "x"}).status_code == 403
    assert not InteractionNote.objects.exists() and not interaction.labels.exists()


def test_supervisors_manage_canned_responses_in_the_admin():
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("sam", "sam@example.com", PASSWORD)
    client = sign_in("sam", PASSWORD)
    care = Team.objects.create(name="Care")
    CannedResponse.objects.create(title="Greeting", text="Hi", team=care)
    listing = client.get("/admin/interactions/cannedresponse/")
    assert listing.status_code == 200 and "Team Care" in listing.content.decode()
    both = client.post("/admin/interactions/cannedresponse/add/", {
        "title": "Both", "text": "x", "team": care.pk, "owner": AgentFactory().pk, "is_active": "on",
    })  # fmt: skip
    assert both.status_code == 200 and "Pick either a team" in both.content.decode()
    assert not CannedResponse.objects.filter(title="Both").exists()
    interaction = working(AgentFactory())
    assert client.get(f"/admin/interactions/interaction/{interaction.pk}/change/").status_code == 200


def test_notes_on_a_tweet_thread_show_below_the_tree():
    ana = AgentFactory()
    interaction = InteractionFactory(agent=ana, state="active", kind="twitter", accepted_at=timezone.now())
    InboundDMFactory(interaction=interaction, kind="tweet", text="@acme where is my bag?")
    client = sign_in(ana.username, PASSWORD)
    response = client.post(reverse("workspace:interaction_note", args=[interaction.pk]), {"text": "Lost in Lisbon"})
    html = response.content.decode()
    assert 'aria-label="Tweet thread"' in html and 'aria-label="Private notes"' in html
    assert html.index("where is my bag?") < html.index("Lost in Lisbon")
    assert not Message.objects.filter(direction="out").exists()
