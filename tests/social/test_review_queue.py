"""The Review queue: a keyword routing rule flagged "unsummoned tweets → review" parks the tweets it matches that never
addressed the brand on the live board instead of offering them to agents; a supervisor releases one (routed as usual)
or closes it. Through the real path: the sandbox over HTTP, a poll, ingest, routing, the board's views. Issue 17."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from interactions import routing, services
from interactions.models import Interaction, Offer, RoutingRule
from social import polling
from tests.factories import PASSWORD, AgentFactory
from tests.helpers import sign_in
from workspace.agents.models import AuditEntry, ChannelPresence

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def supervisor():
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, first_name="Sam")
    return sign_in("sam", PASSWORD)


@pytest.fixture
def agent():
    """Ready on Twitter with room: anything routing may offer is offered to her at once."""
    ana = AgentFactory(first_name="Ana")
    ChannelPresence.objects.create(agent=ana, channel="twitter", ready=True, since=timezone.now())
    return ana


@pytest.fixture
def review_rule(brand):
    brand.keywords = "lost bag"
    brand.save(update_fields=["keywords"])
    return RoutingRule.objects.create(name="Keyword watch", keywords="lost bag", unsummoned_to_review=True)


def poll(brand):
    polling.poll_account(account_id=brand.pk, force=True)


def interaction_of(tweet: dict) -> Interaction:
    return Interaction.objects.get(messages__external_id=tweet["id"])


def offers_of(interaction: Interaction) -> list[int]:
    return list(Offer.objects.filter(interaction=interaction).values_list("agent_id", flat=True))


def board_queue(supervisor) -> str:
    return supervisor.get("/admin/board/queue/").content.decode()


def review_section(page: str) -> str:
    return page.split('aria-label="Review queue"')[1]


def test_an_unsummoned_keyword_tweet_waits_in_review_while_a_mention_goes_to_the_agent(
    simulator, brand, review_rule, agent, supervisor
):
    maya, tom = simulator.user("maya", "Maya Patel"), simulator.user("tom", "Tom Becker")
    keyword = simulator.tweet(maya, "Airline lost bag again, third time this year")
    mention = simulator.tweet(tom, "@acmecare you lost bag number two of mine")
    poll(brand)

    parked, summoned = interaction_of(keyword), interaction_of(mention)
    assert (parked.state, parked.review, parked.review_rule) == ("queued", "held", review_rule)
    assert offers_of(parked) == []
    assert (summoned.review, offers_of(summoned)) == ("", [agent.pk])  # the rule matched, but it summoned the brand
    assert routing.heal_stranded() == 0  # parked is not stranded: it waits for a supervisor, not an agent

    page = board_queue(supervisor)
    channels, review = page.split('aria-label="Review queue"')
    assert "Maya Patel" not in channels  # not in the Twitter queue, nor in its count
    assert "Maya Patel" in review and "Airline lost bag again" in review and "1 to decide" in review
    assert "Not addressed to @acmecare" in review and "rule “Keyword watch”" in review
    assert "Release to queue" in review and ">Close<" in review


def test_a_supervisor_releases_one_to_the_queue_and_it_is_routed_as_usual(simulator, brand, review_rule, agent,
                                                                          supervisor):  # fmt: skip
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "Airline lost bag again")
    poll(brand)
    parked = interaction_of(tweet)

    answer = supervisor.post(f"/admin/board/interactions/{parked.pk}/review/release/", **HTMX)
    assert answer.status_code == 200 and "released to the queue" in answer.content.decode()
    assert "board:refresh" in answer["HX-Trigger"]
    parked.refresh_from_db()
    assert (parked.state, parked.review, offers_of(parked)) == ("offered", "released", [agent.pk])
    assert AuditEntry.objects.get(verb="requeue").details == {"from": "review"}
    assert "Nothing in review." in review_section(board_queue(supervisor))

    # Released for good: back in the queue, the customer's next tweet re-prioritises it, and no rule parks it again.
    services.interaction_reject(interaction_id=parked.pk, agent=agent)
    simulator.tweet(maya, "Still no lost bag news", in_reply_to=tweet["id"])
    poll(brand)
    parked.refresh_from_db()
    assert (parked.state, parked.review) == ("queued", "released")
    assert "Nothing in review." in review_section(board_queue(supervisor))

    again = supervisor.post(f"/admin/board/interactions/{parked.pk}/review/release/", **HTMX)
    assert again.status_code == 422
    assert f"Cannot release interaction #{parked.pk}: it is not in review." in again.content.decode()


def test_a_supervisor_closes_one_and_nobody_is_offered_it(simulator, brand, review_rule, agent, supervisor):
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "Airline lost bag again")
    poll(brand)
    parked = interaction_of(tweet)

    answer = supervisor.post(f"/admin/board/interactions/{parked.pk}/review/close/", **HTMX)
    assert answer.status_code == 200 and "closed" in answer.content.decode()
    parked.refresh_from_db()
    assert (parked.state, parked.ended_by, offers_of(parked)) == ("ended", "supervisor", [])
    assert AuditEntry.objects.get(verb="force_end").details == {"from": "review"}
    routing.route_queue()
    assert offers_of(parked) == []
    refused = supervisor.post(f"/admin/board/interactions/{parked.pk}/review/close/", **HTMX)
    assert refused.status_code == 422 and "it is not in review" in refused.content.decode()


def test_the_board_decides_without_javascript_too(simulator, brand, review_rule, agent, supervisor):
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "Airline lost bag again")
    poll(brand)
    parked = interaction_of(tweet)
    answer = supervisor.post(f"/admin/board/interactions/{parked.pk}/review/release/")
    assert answer.status_code == 302 and answer["Location"] == "/admin/board/"
    assert "released to the queue" in supervisor.get("/admin/board/").content.decode()


def test_a_customer_who_then_mentions_the_brand_leaves_review_for_an_agent(simulator, brand, review_rule, agent):
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "Airline lost bag again")
    poll(brand)
    parked = interaction_of(tweet)
    assert parked.review == "held"

    simulator.tweet(maya, "@acmecare can you help with my lost bag?", in_reply_to=tweet["id"])
    poll(brand)
    parked.refresh_from_db()
    assert (parked.review, offers_of(parked)) == ("", [agent.pk])  # now a public reply is possible


def test_rules_without_the_flag_and_dms_are_never_parked(simulator, brand, agent):
    RoutingRule.objects.create(name="Bags", keywords="lost bag", priority_boost=5)
    brand.keywords = "lost bag"
    brand.save(update_fields=["keywords"])
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "Airline lost bag again")
    poll(brand)
    interaction = interaction_of(tweet)
    assert (interaction.review, interaction.priority, offers_of(interaction)) == ("", 5, [agent.pk])

    RoutingRule.objects.create(name="Keyword watch", keywords="lost bag", unsummoned_to_review=True)
    ChannelPresence.objects.create(agent=agent, channel="chat", ready=True, since=timezone.now())
    simulator.dm(maya, brand.x_user_id, "My lost bag, please")
    poll(brand)
    chat = Interaction.objects.get(kind="chat")
    assert (chat.review, offers_of(chat)) == ("", [agent.pk])
