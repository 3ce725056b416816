"""A contact renamed in the Contact tab is renamed at once wherever the page shows their name: the centre header
(and the article's accessible name, which follows the heading), My interactions and the Connect view. The
save answers with the new name as an out-of-band swap into every element that shows it."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, AgentFactory, ContactFactory, InteractionFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


@pytest.fixture
def interaction(ana):
    contact = ContactFactory(display_name="Lucia", assigned_agent=ana)
    return InteractionFactory(agent=ana, contact=contact, state="active", accepted_at=timezone.now())


def rename(client, contact, name: str):
    form = {"display_name": name, "default_outbound_channel": "twitter", "notes": ""}
    return client.post(reverse("workspace:contact_tab", args=[contact.pk]), form, headers=HX)


def test_the_save_swaps_the_new_name_into_every_place_that_shows_it(client, interaction):
    contact = interaction.contact
    response = rename(client, contact, "Lucía <Fernández>")
    assert response.status_code == 200
    html = response.content.decode()
    oob = re.findall(rf'<bdi hx-swap-oob="innerHTML:\.contact-name-{contact.pk}">([^<]*)</bdi>', html)
    assert oob == ["Lucía &lt;Fernández&gt;"]  # escaped like any customer text


def test_a_refused_save_swaps_nothing(client, interaction):
    response = rename(client, interaction.contact, "")
    assert response.status_code == 422 and "hx-swap-oob" not in response.content.decode()


def test_the_places_that_show_the_name_carry_the_contacts_class(client, interaction):
    contact = interaction.contact
    name = f'class="[^"]*contact-name-{contact.pk}[^"]*">Lucia</bdi>'
    article = client.get(reverse("workspace:interaction", args=[interaction.pk]), headers=HX).content.decode()
    assert re.search(rf'<h1 id="interaction-title-{interaction.pk}">.*?<bdi {name}', article, re.S)
    # The article is named by its heading, so screen readers hear the new name too.
    assert f'aria-labelledby="interaction-title-{interaction.pk}"' in article
    assert "Interaction with </span>" in article
    listing = client.get(reverse("workspace:interaction_list"), headers=HX).content.decode()
    assert re.search(rf"<bdi {name}", listing)
    connect = client.get(reverse("workspace:connect") + f"?contact={contact.pk}")
    assert len(re.findall(rf"<bdi {name}", connect.content.decode())) == 3  # Assigned Contacts, heading, contact card
