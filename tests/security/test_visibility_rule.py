"""One visibility rule for contacts (interactions.visibility.visible_contacts_q), and the interactions that follow it:
every page, partial, list and API endpoint gives the same answer for the same agent and contact.

How Ana stands to each contact below decides; every entry point must agree with the verdict."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from interactions.models import Offer
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InboundDMFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.api.tokens import api_token_create

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def _offered(contact, ana, *, minutes: int):
    interaction = InteractionFactory(contact=contact, state="offered")
    Offer.objects.create(interaction=interaction, agent=ana, expires_at=timezone.now() + timedelta(minutes=minutes))
    return interaction


# case: (what happened with the contact, may Ana see it?, whose contact it is). Ben is another agent.
CASES = {
    "assigned to Ana": (lambda c, ana, ben: InteractionFactory(contact=c, agent=ben, state="done"), True, "ana"),
    "unassigned, Ben worked it once": (lambda c, ana, ben: InteractionFactory(contact=c, agent=ben, state="done"),
                                       True, None),
    "unassigned, waiting in the queue": (lambda c, ana, ben: InteractionFactory(contact=c, state="queued"), True,
                                         None),
    "unassigned, Ben works it now": (lambda c, ana, ben: InteractionFactory(contact=c, agent=ben, state="active"),
                                     True, None),
    "unassigned, offered to Ben": (lambda c, ana, ben: _offered(c, ben, minutes=5), True, None),
    "unassigned, offered to Ana": (lambda c, ana, ben: _offered(c, ana, minutes=5), True, None),
    "Ben's, Ana works it now": (lambda c, ana, ben: InteractionFactory(contact=c, agent=ana, state="active"), True,
                                "ben"),
    "Ben's, Ana ended it, not yet done": (lambda c, ana, ben: InteractionFactory(contact=c, agent=ana, state="ended"),
                                          True, "ben"),
    "Ben's, offered to Ana": (lambda c, ana, ben: _offered(c, ana, minutes=5), True, "ben"),
    "Ben's, Ana's offer lapsed": (lambda c, ana, ben: _offered(c, ana, minutes=-1), False, "ben"),
    "Ben's, Ana worked it once (reassigned)": (lambda c, ana, ben: InteractionFactory(contact=c, agent=ana,
                                               state="done"), False, "ben"),
    "Ben's": (lambda c, ana, ben: InteractionFactory(contact=c, agent=ben, state="active"), False, "ben"),
}  # fmt: skip


def _in_results(response, pk) -> bool:
    assert response.status_code == 200, response.content[:200]
    return any(row["id"] == pk for row in response.json()["results"])


@pytest.mark.parametrize("case", CASES)
def test_every_entry_point_gives_the_same_answer(case):
    make, visible, owner = CASES[case]
    ana, ben = AgentFactory(username="ana"), AgentFactory(username="ben")
    contact = ContactFactory(display_name="Quentin Query", assigned_agent={"ana": ana, "ben": ben, None: None}[owner])
    interaction = make(contact, ana, ben)
    InboundDMFactory(interaction=interaction, text="parcel lost")
    web = sign_in(ana.username, PASSWORD)
    api = Client(headers={"Authorization": f"Bearer {api_token_create(user=ana)[1]}"})
    ok = 200 if visible else 404
    edit = {"display_name": "Quentin Query", "default_outbound_channel": "twitter", "notes": "edited"}
    got = {
        "Contact tab": web.get(f"/workspace/contacts/{contact.pk}/").status_code == ok,
        "Contact tab save": web.post(f"/workspace/contacts/{contact.pk}/", edit).status_code == ok,
        "Connect view": web.get(f"/workspace/connect/contacts/{contact.pk}/", headers=HX).status_code == ok,
        "Connect ?contact=": web.get(f"/workspace/connect/?contact={contact.pk}").status_code == ok,
        "Connect search": ("Quentin Query" in web.get("/workspace/connect/?q=Quentin").content.decode()) == visible,
        "transcript": web.get(f"/workspace/contacts/{contact.pk}/transcript/", headers=HX).status_code == ok,
        "interaction": web.get(f"/workspace/interactions/{interaction.pk}/", headers=HX).status_code == ok,
        "API contact": api.get(f"/api/v1/contacts/{contact.pk}/").status_code == ok,
        "API contacts": _in_results(api.get("/api/v1/contacts/"), contact.pk) == visible,
        "API contact search": _in_results(api.get("/api/v1/contacts/?q=parcel"), contact.pk) == visible,
        "API interaction": api.get(f"/api/v1/interactions/{interaction.pk}/").status_code == ok,
        "API messages": api.get(f"/api/v1/interactions/{interaction.pk}/messages/").status_code == ok,
        "API interactions": _in_results(api.get("/api/v1/interactions/"), interaction.pk) == visible,
        "API ?contact=": _in_results(api.get(f"/api/v1/interactions/?contact={contact.pk}"), interaction.pk) == visible,
    }
    wrong = [name for name, agrees in got.items() if not agrees]
    assert not wrong, f"{case}: these say {'404' if visible else 'visible'}, the rule says {ok}: {wrong}"
    contact.refresh_from_db()
    assert (contact.notes == "edited") == visible, "the Contact tab saved a contact the agent may not see"
