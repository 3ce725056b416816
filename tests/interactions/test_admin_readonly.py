"""The interaction change page in the admin is read-only, as the README says: who has it, its state and priority move
only through the services (the actions, the live board, the workspace). No field is a form field, there is no Add
and no Delete, a forged POST changes nothing; the actions still run."""

import pytest
from django.contrib.auth import get_user_model

from interactions import services
from interactions.models import Interaction
from tests.factories import PASSWORD, AgentFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
URL = "/admin/interactions/interaction/"


@pytest.fixture
def supervisor():
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    return sign_in("sam", PASSWORD)


def active_with(agent) -> Interaction:
    interaction = InteractionFactory(priority=3)
    InboundDMFactory(interaction=interaction, text="Where is my <b>bag</b>?")
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    return services.interaction_accept(interaction_id=interaction.pk, agent=agent)


def test_the_change_page_shows_everything_and_edits_nothing(supervisor):
    interaction = active_with(AgentFactory(first_name="Ana"))
    page = supervisor.get(f"{URL}{interaction.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for field in ("kind", "contact", "priority", "state", "agent", "x_account", "labels", "sentiment"):
        assert f'name="{field}"' not in html, f"{field} is a form field"
    assert interaction.contact.display_name in html and "Where is my &lt;b&gt;bag&lt;/b&gt;?" in html  # shown
    assert "Transcript" in html
    assert f"{URL}{interaction.pk}/delete/" not in html and 'name="_save"' not in html
    assert f'href="{URL}add/"' not in supervisor.get(URL).content.decode()


def test_a_forged_change_delete_or_add_is_refused(supervisor):
    interaction = active_with(AgentFactory())
    other = InteractionFactory()
    forged = {"kind": "twitter", "contact": other.contact_id, "priority": "99", "state": "done", "_save": "Save"}
    assert supervisor.post(f"{URL}{interaction.pk}/change/", forged).status_code == 403
    interaction.refresh_from_db()
    assert (interaction.kind, interaction.contact_id, interaction.priority, interaction.state) == (
        "chat", interaction.contact_id, 3, "active",
    )  # fmt: skip
    assert supervisor.get(f"{URL}{interaction.pk}/delete/").status_code == 403
    assert supervisor.post(f"{URL}{interaction.pk}/delete/", {"post": "yes"}).status_code == 403
    assert supervisor.get(f"{URL}add/").status_code == 403
    assert supervisor.post(f"{URL}add/", forged).status_code == 403
    # Nor the change list's bulk delete: not an action here.
    answer = supervisor.post(URL, {"action": "delete_selected", "_selected_action": [interaction.pk], "post": "yes"})
    assert answer.status_code in (200, 302)
    assert Interaction.objects.filter(pk=interaction.pk).exists()


def test_the_actions_still_run_through_the_services(supervisor):
    ana, ben = AgentFactory(first_name="Ana"), AgentFactory(first_name="Ben")
    working, other = active_with(ana), active_with(ana)
    confirm = supervisor.post(URL, {"action": "reassign", "_selected_action": [working.pk]})
    assert confirm.status_code == 200 and b"Ben" in confirm.content
    supervisor.post(URL, {"action": "reassign", "_selected_action": [working.pk], "agent": ben.pk, "confirm": "1"})
    working.refresh_from_db()
    assert working.agent == ben
    supervisor.post(URL, {"action": "force_end", "_selected_action": [working.pk]})
    working.refresh_from_db()
    assert working.state == "ended"
    supervisor.post(URL, {"action": "requeue", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert (other.state, other.agent_id) == ("queued", None)
    listing = supervisor.get(URL).content.decode()
    assert 'value="reassign"' in listing and 'value="force_end"' in listing and 'value="requeue"' in listing
    assert 'value="delete_selected"' not in listing
