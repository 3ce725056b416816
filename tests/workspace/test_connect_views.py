"""The Connect view (/workspace/connect/): who sees which contact, search, the transcript of all interactions in
reading order (paginated, constant queries), Write a message, Reply and Like on a tweet, notifications, the X icon,
and the old Communication tab's addresses; bad input is refused in words, never a 500."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactIdentity
from interactions import routing
from interactions import services as interaction_services
from interactions.errors import InteractionError
from interactions.models import Interaction, Message, NotificationTemplate
from tests.factories import (
    PASSWORD,
    AgentFactory,
    ContactFactory,
    InboundDMFactory,
    InteractionFactory,
    TwitterIdentityFactory,
    XAccountFactory,
)
from tests.helpers import sign_in
from workspace.agents.models import AgentNotice, Team

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
NUL = "\x00"


@pytest.fixture
def ana():
    return AgentFactory(username="ana", first_name="Ana")


@pytest.fixture
def client(ana):
    return sign_in(ana.username, PASSWORD)


def x_contact(name="Maya Patel", handle="mayapatel", **fields):
    return TwitterIdentityFactory(contact=ContactFactory(display_name=name, **fields), handle=handle).contact


def connect(contact=None, **query) -> str:
    url = reverse("workspace:connect")
    if contact is not None:
        query["contact"] = contact.pk
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def with_history(contact, count: int, account=None):
    """`count` messages with the contact over ten interactions, half inbound DMs, half outbound tweets."""
    account = account or XAccountFactory()
    start = timezone.now() - timedelta(days=30)
    interactions = [
        InteractionFactory(contact=contact, x_account=account, kind="chat" if i % 2 else "twitter", state="done")
        for i in range(10)
    ]
    Message.objects.bulk_create(
        Message(
            interaction=interactions[i % 10], x_account=account, kind="dm" if i % 2 else "tweet",
            direction="in" if i % 2 else "out", delivery="" if i % 2 else "sent", text=f"message {i}",
            external_id=f"{contact.pk}-{i}", created_at=start + timedelta(minutes=i),
        )
        for i in range(count)
    )  # fmt: skip
    return interactions


def a_tweet(contact, agent=None, state="done", summoned=True, account=None):
    """A tweet of the contact's, in a Twitter interaction in `state`."""
    interaction = InteractionFactory(contact=contact, kind="twitter", state=state, agent=agent,
                                     x_account=account or XAccountFactory())  # fmt: skip
    return Message.objects.create(
        interaction=interaction, x_account=interaction.x_account, direction="in", kind="tweet", summoned=summoned,
        text="@acme my bag is lost", external_id="1800000000000000001", author={"username": "mayapatel"},
        author_identity=contact.identities.first(),
    )  # fmt: skip


# --- The page ---------------------------------------------------------------------------------------------
def test_the_page_has_the_top_bar_with_connect_current_and_the_three_columns(client, ana):
    maya = x_contact(assigned_agent=ana)
    InboundDMFactory(interaction=InteractionFactory(contact=maya, state="done"), text="Where is my bag?")
    html = client.get(connect(maya)).content.decode()
    assert 'href="/workspace/connect/" aria-current="page">Connect</a>' in html
    assert 'href="/workspace/">Workspace</a>' in html
    assert 'ws-connect="/ws/workspace/"' in html and 'id="presence"' in html  # live, with the Ready toggles
    assert 'aria-label="Contacts"' in html and 'placeholder="Name, @handle, X id or message"' in html
    assert 'aria-label="Communication with Maya Patel"' in html and "Where is my bag?" in html
    assert 'aria-label="Contact information"' in html and 'aria-controls="connect-card" aria-expanded="true"' in html
    assert "Private DM on X" in html and 'name="image"' in html and "data-emoji-for" in html
    assert f'data-contact-id="{maya.pk}"\n       hx-get' in html and 'aria-current="true"' in html  # the open one
    home = client.get(reverse("workspace:home")).content.decode()
    assert 'href="/workspace/" aria-current="page">Workspace</a>' in home
    assert 'class="tab tab-link" href="/workspace/connect/"' in home and "tab-communication" not in home


def test_only_agents_get_the_page(client, ana, django_user_model):
    anonymous = client.__class__()
    assert anonymous.get(connect()).status_code == 302  # to the login
    django_user_model.objects.create_user("visitor", password=PASSWORD)
    assert sign_in("visitor", PASSWORD).get(connect()).status_code == 403


def test_the_lists_show_assigned_and_unassigned_contacts_and_never_another_agents(client, ana):
    mine = x_contact("Maya Patel", assigned_agent=ana)
    free = x_contact("Tom Becker", "tombecker")
    theirs = x_contact("Lena Ortiz", "lenaortiz", assigned_agent=AgentFactory())
    html = client.get(connect()).content.decode()
    assigned, unassigned = html.split(">Unassigned contacts<")
    assert "Maya Patel" in assigned and "Tom Becker" not in assigned and "@mayapatel</bdi> · X" in assigned
    assert "Tom Becker" in unassigned and "Maya Patel" not in unassigned
    assert "Lena Ortiz" not in html
    tweet = a_tweet(theirs)
    for url in (
        connect(theirs),
        reverse("workspace:connect_contact", args=[theirs.pk]),
        reverse("workspace:connect_transcript", args=[theirs.pk]),
        reverse("workspace:contact_transcript", args=[theirs.pk]),
    ):
        assert client.get(url, headers=HX).status_code == 404
        assert client.get(url).status_code == 404
    for name in ("connect_write", "connect_like", "connect_notify", "contact_chat"):
        form = {"text": "hi", "tweet": tweet.pk, "template": "1"}
        assert client.post(reverse(f"workspace:{name}", args=[theirs.pk]), form).status_code == 404
    # Someone else's tweet through a contact Ana may see: not found either.
    response = client.post(reverse("workspace:connect_like", args=[mine.pk]), {"tweet": tweet.pk}, headers=HX)
    assert response.status_code == 404
    assert not Message.objects.filter(direction="out").exists()
    for visible in (mine, free):
        assert client.get(reverse("workspace:connect_contact", args=[visible.pk]), headers=HX).status_code == 200


def test_the_contact_of_a_conversation_the_agent_works_is_visible_even_when_assigned_elsewhere(client, ana):
    contact = x_contact(assigned_agent=AgentFactory())
    url = reverse("workspace:connect_contact", args=[contact.pk])
    assert client.get(url, headers=HX).status_code == 404
    InteractionFactory(contact=contact, agent=ana, state="active")
    response = client.get(url, headers=HX)
    assert response.status_code == 200 and response["HX-Push-Url"] == connect(contact)  # a reload keeps it open


def test_search_finds_contacts_by_name_handle_x_id_and_message_text(client, ana):
    maya = x_contact("Maya Patel", "mayapatel")
    InboundDMFactory(interaction=InteractionFactory(contact=maya), text="My suitcase went to Lisbon")
    x_contact("Lena Ortiz", "lenaortiz", assigned_agent=AgentFactory())  # another agent's: never found
    x_id = maya.identities.get().external_id
    for query in ("maya", "@MayaPat", x_id, "lisbon"):
        html = client.get(reverse("workspace:connect"), {"q": query}, headers=HX).content.decode()
        results = html.split('aria-label="Search results"')[1].split("</ul>")[0]
        assert "Maya Patel" in results, query
    html = client.get(reverse("workspace:connect"), {"q": "lena"}, headers=HX).content.decode()
    assert "No contact matches" in html and "Lena Ortiz" not in html
    page = client.get(reverse("workspace:connect"), {"q": "lisbon"}).content.decode()  # a real page too
    assert 'value="lisbon"' in page and "Maya Patel" in page.split('aria-label="Search results"')[1]


# --- The transcript ---------------------------------------------------------------------------------------
def older_link(html: str) -> str:
    return (
        next(link for link in html.split('hx-get="') if "before=" in link.split('"')[0])
        .split('"')[0]
        .replace("&amp;", "&")
    )


def test_the_transcript_reads_oldest_first_and_older_pages_go_above(client, ana):
    contact = x_contact(assigned_agent=ana)
    with_history(contact, 75)
    url = reverse("workspace:connect_transcript", args=[contact.pk])
    first = client.get(url, headers=HX).content.decode()
    assert first.index("message 73") < first.index("message 74")  # reading order: the latest at the bottom
    assert "message 45" in first and "message 44" not in first  # a page of 30
    assert first.index(">Older</a>") < first.index("message 45")  # "Older" is above
    assert first.count('class="sequence sequence-') >= 10 and "Tweets" in first and "bubble inbound" in first
    second = client.get(older_link(first), headers=HX).content.decode()
    assert "message 44" in second and "message 15" in second and "message 45" not in second
    assert second.index("message 15") < second.index("message 44")
    third = client.get(older_link(second), headers=HX).content.decode()
    assert "message 0" in third and "Older" not in third
    assert client.get(url).status_code == 302  # a plain request: the page


def test_tweets_offer_reply_and_like_as_the_accounts_access_allows(client, ana):
    from social.models import XAccount

    maya = x_contact(assigned_agent=ana)
    tweet = a_tweet(maya, summoned=False)
    url = reverse("workspace:connect_transcript", args=[maya.pk])
    html = client.get(url, headers=HX).content.decode()  # self-serve: no Like, and the unsummoned tweet: Reply by DM
    assert "No Like on this account" in html and ">Like</button>" not in html
    assert f'data-connect-dm="{tweet.pk}"' in html and ">Reply by DM</button>" in html
    assert "data-connect-reply" not in html and "Not addressed to @" in html
    XAccount.objects.update(access=XAccount.Access.ENTERPRISE)
    html = client.get(url, headers=HX).content.decode()
    assert ">Like</button>" in html and f'data-connect-reply="{tweet.pk}"' in html and "No Like" not in html


@pytest.mark.parametrize(("name", "pinned"), [("connect", 18), ("connect_contact", 11), ("connect_transcript", 7)])
def test_query_counts_do_not_grow_with_the_history(client, ana, name, pinned, django_assert_max_num_queries):
    small = x_contact("Small History", assigned_agent=ana)
    large = x_contact("Large History", "large", assigned_agent=ana)
    account = XAccountFactory()
    with_history(small, 10, account)
    with_history(large, 1000, account)
    AgentNotice.objects.create(agent=ana, kind="contact_replied", contact=large, text="Large History replied.")
    NotificationTemplate.objects.create(name="Refund sent", text="Hi {contact_name}, your refund is on its way.")

    def url(contact):
        if name == "connect":
            return connect(contact, q="history")
        return reverse(f"workspace:{name}", args=[contact.pk])

    def count(contact) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(contact), headers={} if name == "connect" else HX).status_code == 200
        return len(captured)

    count(small)  # warm the session
    assert count(small) == count(large)  # 10 or 1,000 messages of history: the same queries
    with django_assert_max_num_queries(pinned):
        client.get(url(large), headers={} if name == "connect" else HX)


# --- Writing: a message, a reply, a Like, a notification, the X icon -----------------------------------------
def test_write_a_message_goes_through_the_outbox_once_and_keeps_the_agent_free(client, ana):
    contact = x_contact(assigned_agent=ana)
    InteractionFactory(contact=contact, state="done")
    url = reverse("workspace:connect_write", args=[contact.pk])
    for _ in range(2):  # a double-clicked Send
        response = client.post(url, {"text": "Your bag is on its way 🧳", "idempotency_key": "k-1"}, headers=HX)
        assert response.status_code == 200
    dm = Message.objects.get(direction="out")
    assert (dm.kind, dm.text, dm.delivery, dm.author_agent) == ("dm", "Your bag is on its way 🧳", "queued", ana)
    assert dm.interaction.agent == ana and dm.interaction.state == "done"  # no live chat taken on
    html = response.content.decode()
    assert "Added to the outbox" in html and "Your bag is on its way" in html  # the transcript, out of band
    assert f'id="connect-transcript-{contact.pk}"' in html and 'hx-swap-oob="innerHTML"' in html
    assert not client.get(reverse("workspace:interaction_list")).content.decode().count("Maya Patel")


def test_write_a_message_refuses_bad_input_beside_send_and_keeps_the_draft(client, ana):
    contact = x_contact(assigned_agent=ana)
    InteractionFactory(contact=contact, state="done")
    url = reverse("workspace:connect_write", args=[contact.pk])
    response = client.post(url, {"text": "  "}, headers=HX)
    assert response.status_code == 422 and "Write something" in response.content.decode()
    assert response["HX-Retarget"] == response["HX-Reselect"] == f"#connect-error-{contact.pk}"
    response = client.post(url, {"text": f"a{NUL}b"}, headers=HX)
    assert response.status_code == 422 and "NUL character" in response.content.decode()
    nobody = ContactFactory(display_name="No Handle", assigned_agent=ana)
    response = client.post(reverse("workspace:connect_write", args=[nobody.pk]), {"text": "hi"})
    assert response.status_code == 422 and "has no X identity" in response.content.decode()  # the whole page
    assert ">hi</textarea>" in response.content.decode()
    assert not Message.objects.filter(direction="out").exists() and not Interaction.objects.filter(agent=ana).exists()


def test_the_composer_says_where_the_text_goes(client, ana):
    contact = x_contact(assigned_agent=ana)
    ContactIdentity.objects.create(contact=contact, channel="email", external_id="maya@example.com")
    html = client.get(reverse("workspace:connect_contact", args=[contact.pk]), headers=HX).content.decode()
    assert "Private DM on X" in html and ">@mayapatel</bdi>" in html
    contact.default_outbound_channel = "email"
    contact.save()
    html = client.get(reverse("workspace:connect_contact", args=[contact.pk]), headers=HX).content.decode()
    assert "Email to maya@example.com" in html
    contact.default_outbound_channel = "sms"
    contact.save()
    html = client.get(reverse("workspace:connect_contact", args=[contact.pk]), headers=HX).content.decode()
    assert "SMS is not connected" in html


def test_reply_on_a_done_tweet_queues_a_public_reply_in_a_new_done_interaction(client, ana):
    maya = x_contact(assigned_agent=ana)
    tweet = a_tweet(maya)
    form = {"text": "We found it!", "mode": "reply", "tweet": tweet.pk, "idempotency_key": "r-1"}
    response = client.post(reverse("workspace:connect_write", args=[maya.pk]), form, headers=HX)
    assert response.status_code == 200
    reply = Message.objects.get(direction="out")
    assert (reply.kind, reply.in_reply_to_external_id, reply.interaction.state) == ("tweet", tweet.external_id, "done")
    assert reply.interaction_id != tweet.interaction_id and reply.interaction.agent == ana


def test_reply_by_dm_writes_a_dm_to_the_contact(client, ana):
    maya = x_contact(assigned_agent=ana)
    tweet = a_tweet(maya, summoned=False)
    form = {"text": "Sorry about your bag", "mode": "dm", "tweet": tweet.pk, "idempotency_key": "d-1"}
    assert client.post(reverse("workspace:connect_write", args=[maya.pk]), form, headers=HX).status_code == 200
    dm = Message.objects.get(direction="out")
    assert (dm.kind, dm.interaction.kind) == ("dm", "chat")


def test_like_and_reply_refusals_are_said_beside_send(client, ana):
    maya = x_contact()
    tweet = a_tweet(maya, summoned=False)
    like = client.post(reverse("workspace:connect_like", args=[maya.pk]), {"tweet": tweet.pk}, headers=HX)
    assert like.status_code == 422 and "removed likes from self-serve access" in like.content.decode()
    assert like["HX-Retarget"] == f"#connect-error-{maya.pk}"
    form = {"text": "Hi", "mode": "reply", "tweet": tweet.pk}
    reply = client.post(reverse("workspace:connect_write", args=[maya.pk]), form, headers=HX)
    assert reply.status_code == 422 and "Reply by DM instead" in reply.content.decode()
    Message.objects.filter(pk=tweet.pk).update(summoned=True)
    Interaction.objects.filter(pk=tweet.interaction_id).update(state="active", agent=AgentFactory(first_name="Ben"))
    reply = client.post(reverse("workspace:connect_write", args=[maya.pk]), form, headers=HX)
    assert reply.status_code == 422 and "Ben is working this conversation" in reply.content.decode()
    html = client.get(reverse("workspace:connect_transcript", args=[maya.pk]), headers=HX).content.decode()
    assert "Ben is working this conversation" in html and "data-connect-reply" not in html  # said before a click
    assert not Message.objects.filter(direction="out").exists()


@pytest.mark.parametrize("tweet", ["", "abc", NUL, "-1", "99999999999999999999999"])
def test_a_broken_tweet_is_refused_in_words(client, ana, tweet):
    maya = x_contact(assigned_agent=ana)
    for url, form in ((reverse("workspace:connect_like", args=[maya.pk]), {"tweet": tweet}),
                      (reverse("workspace:connect_write", args=[maya.pk]), {"text": "Hi", "mode": "reply",
                                                                            "tweet": tweet})):  # fmt: skip
        response = client.post(url, form, headers=HX)
        assert response.status_code == 422 and "not one Perch showed you" in response.content.decode()
    response = client.post(reverse("workspace:connect_write", args=[maya.pk]), {"text": "Hi", "mode": "shout"})
    assert response.status_code == 422


def test_the_notification_picker_previews_the_agents_templates(client, ana):
    maya = x_contact(assigned_agent=ana)
    InteractionFactory(contact=maya, x_account=XAccountFactory(handle="acmecare"), state="done")
    NotificationTemplate.objects.create(name="Refund sent", text="Hi {contact_name}, {agent_name} of {brand_handle}.")
    other_team = NotificationTemplate.objects.create(name="Theirs", text="x", team=Team.objects.create(name="VIP"))
    html = client.get(reverse("workspace:connect_contact", args=[maya.pk]), headers=HX).content.decode()
    assert ">Refund sent</option>" in html and 'data-preview="Hi Maya Patel, Ana of @acmecare."' in html
    assert "Theirs" not in html
    url = reverse("workspace:connect_notify", args=[maya.pk])
    for template in (other_team.pk, "abc", NUL, ""):
        response = client.post(url, {"template": template}, headers=HX)
        assert response.status_code == 422 and "Pick a notification from the list" in response.content.decode()
        assert response["HX-Retarget"] == f"#notify-error-{maya.pk}"


def test_the_x_icon_opens_a_new_chat_interaction_of_the_agent_in_the_workspace(client, ana):
    contact = x_contact(assigned_agent=ana)
    InteractionFactory(contact=contact, state="done")
    response = client.post(reverse("workspace:contact_chat", args=[contact.pk]), headers=HX)
    chat = Interaction.objects.get(agent=ana)
    assert (chat.kind, chat.state, chat.contact) == ("chat", "active", contact)
    assert response["HX-Redirect"] == reverse("workspace:interaction", args=[chat.pk])
    again = interaction_services.interaction_start_chat(contact_id=contact.pk, agent=ana)
    assert again.pk == chat.pk  # the agent's open chat, not a second one


def test_the_x_icon_refuses_when_another_agent_holds_the_conversation(client, ana):
    contact = x_contact()
    _waiting_chat(contact, state="active", agent=AgentFactory(first_name="Ben"))
    response = client.post(reverse("workspace:contact_chat", args=[contact.pk]), headers=HX)
    assert response.status_code == 409 and "is working a conversation with Maya Patel" in response.content.decode()
    assert response["HX-Retarget"] == f"#connect-error-{contact.pk}"
    with pytest.raises(InteractionError, match="no X identity"):
        interaction_services.interaction_start_chat(contact_id=ContactFactory().pk, agent=ana)


def _waiting_chat(contact, **fields):
    account = XAccountFactory()
    x_id = contact.identities.get().external_id
    thread = "-".join(sorted([x_id, account.x_user_id], key=int))
    return InteractionFactory(contact=contact, x_account=account, thread_key=thread, **fields)


def test_answering_a_contact_who_waits_in_the_queue_takes_their_conversation(client, ana):
    contact = x_contact(assigned_agent=ana)
    waiting = _waiting_chat(contact)  # queued: Ana is Not Ready, the contact wrote again
    InboundDMFactory(interaction=waiting, text="Any news?")
    response = client.post(reverse("workspace:connect_write", args=[contact.pk]), {"text": "Yes! Found it."},
                           headers=HX)  # fmt: skip
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert (waiting.state, waiting.agent) == ("active", ana)  # offered to Ana and accepted: the usual moves
    assert list(waiting.messages.values_list("text", flat=True)) == ["Any news?", "Yes! Found it."]
    assert waiting.offers.get().state == "accepted"


def test_a_conversation_offered_to_another_agent_is_not_taken(client, ana):
    contact = x_contact()
    waiting = _waiting_chat(contact)
    interaction_services.interaction_offer(interaction_id=waiting.pk, agent=AgentFactory(first_name="Ben"))
    response = client.post(reverse("workspace:connect_write", args=[contact.pk]), {"text": "Hello"}, headers=HX)
    assert response.status_code == 422 and "being offered to" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == "offered" and not Message.objects.filter(direction="out").exists()


def test_a_failed_async_dm_shows_why_and_can_be_retried_from_the_transcript(client, ana):
    contact = x_contact(assigned_agent=ana)
    interaction = InteractionFactory(contact=contact, state="done", agent=ana)
    failed = Message.objects.create(
        interaction=interaction, direction="out", kind="dm", text="Your refund is done", author_agent=ana,
        delivery="failed", last_error="X refused the DM: blocked (403)",
    )  # fmt: skip
    url = reverse("workspace:connect_transcript", args=[contact.pk])
    transcript = client.get(url, headers=HX).content.decode()
    assert "Failed</span> — X refused the DM: blocked (403)" in transcript
    assert reverse("workspace:message_retry", args=[failed.pk]) in transcript
    client.post(reverse("workspace:message_retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.last_error != "X refused the DM: blocked (403)"
    ben_sees = sign_in(AgentFactory().username, PASSWORD)  # another agent: no retry of Ana's message
    assert ben_sees.post(reverse("workspace:message_retry", args=[failed.pk])).status_code == 404


# --- The agent's notices, and the old addresses -----------------------------------------------------------
def test_a_contact_replying_leaves_a_notice_whose_show_opens_the_connect_view(client, ana):
    contact = x_contact(assigned_agent=ana)
    InteractionFactory(contact=contact)  # queued; Ana is Not Ready, so she is told rather than offered
    routing.route_queue()
    notice = AgentNotice.objects.get(agent=ana)
    assert (notice.kind, notice.contact, notice.text) == ("contact_replied", contact, "Maya Patel replied.")
    html = client.get(reverse("workspace:notices"), headers=HX).content.decode()
    assert "<bdi>Maya Patel</bdi> replied." in html  # the name isolated from the words around it
    assert f'href="{connect(contact)}"' in html
    assert f'hx-get="{reverse("workspace:connect_contact", args=[contact.pk])}"' in html
    toasts = client.get(reverse("workspace:replied"), headers=HX).content.decode()
    assert f'href="{connect(contact)}" data-show-replied>Show</a>' in toasts
    assert not AgentNotice.objects.exclude(agent=ana).exists()


def test_a_missed_offer_is_kept_in_the_notices(client, ana):
    interaction = InteractionFactory(contact=x_contact())
    offer = interaction_services.interaction_offer(interaction_id=interaction.pk, agent=ana)
    with time_machine.travel(offer.expires_at + timedelta(seconds=1)):
        assert interaction_services.offer_expire(offer_id=offer.pk)  # its timer ran out
    html = client.get(reverse("workspace:notices"), headers=HX).content.decode()
    assert "You missed a Chat offer from <bdi>Maya Patel</bdi>." in html


def test_the_communication_tabs_old_addresses_lead_to_the_connect_view(client, ana):
    contact = x_contact(assigned_agent=ana)
    assert client.get("/workspace/communication/?q=maya")["Location"] == "/workspace/connect/?q=maya"
    assert client.get("/workspace/communication/")["Location"] == "/workspace/connect/"
    moved = client.get(f"/workspace/communication/contacts/{contact.pk}/")
    assert moved.status_code == 302 and moved["Location"] == connect(contact)
    assert client.get(moved["Location"]).status_code == 200
    assert get_user_model().objects.count() == 1


# --- Bad input ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["%C2%B2", "99999999999999999999999", "-1", "abc", "1%002", "0"])
@pytest.mark.parametrize("htmx", [True, False])
def test_a_contact_parameter_that_is_no_contact_id_is_refused_in_words(client, value, htmx):
    response = client.get(reverse("workspace:connect") + f"?contact={value}", headers=HX if htmx else {})
    assert response.status_code in (404, 422)
    assert response.status_code == 404 or "That contact link is broken" in response.content.decode()


@pytest.mark.parametrize("htmx", [True, False])
def test_a_search_with_a_nul_or_over_long_is_refused_in_words(client, ana, htmx):
    headers = HX if htmx else {}
    response = client.get(reverse("workspace:connect"), {"q": f"ma{NUL}ya"}, headers=headers)
    assert response.status_code == 422 and "NUL character" in response.content.decode()
    assert 'id="connect-results"' in response.content.decode()  # the search's htmx target (hx-select)
    response = client.get(reverse("workspace:connect"), {"q": "m" * 500}, headers=headers)
    assert response.status_code == 422 and "at most 200 characters" in response.content.decode()


@pytest.mark.parametrize("before", ["abc", "1\x00_2", "999999999999999999999_1", "_"])
def test_a_garbage_older_link_is_refused_in_words(client, ana, before):
    contact = x_contact(assigned_agent=ana)
    response = client.get(reverse("workspace:connect_transcript", args=[contact.pk]), {"before": before}, headers=HX)
    assert response.status_code == 422 and "Older" in response.content.decode()
