"""X Activity API deliveries by event type, signed and POSTed to the account's webhook as X sends them: what each
type becomes, once per event_uuid, and what Perch does not subscribe to is kept, never a 500."""

import copy
import json
from pathlib import Path

import pytest

from interactions.models import Interaction, Message
from social.models import RejectedEvent, XAccount, XDelivery
from tests.social.deliveries import BRAND, MAYA, dm_delivery, envelope, post, webhook_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return webhook_account()


def test_a_delivery_is_recorded_by_its_opaque_event_uuid_and_when_it_arrived(account):
    response = post(account, dm_delivery(event_uuid="-3577827201104920132"))  # negative, as in X's examples
    assert response.status_code == 200 and response.json()["stored"] == 1
    delivery = XDelivery.objects.get()
    assert (delivery.event_uuid, delivery.event_type) == ("-3577827201104920132", "dm.received")
    account.refresh_from_db()
    assert account.last_delivery_at == delivery.received_at


def test_the_same_delivery_twice_is_stored_once_and_answered_200_both_times(account):
    first, second = post(account, dm_delivery()), post(account, dm_delivery())
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["stored"], second.json()) == (1, {"stored": 0, "duplicates": 1, "rejected": 0})
    assert Message.objects.count() == 1 and XDelivery.objects.count() == 1


def test_an_event_type_perch_does_not_subscribe_to_is_kept_with_its_raw_body_and_answered_200(account):
    body = envelope("like.create", {"id": "1"}, event_uuid="2080761390344937796")
    for _ in range(2):  # X's retry of it is a duplicate, not a second rejected event
        response = post(account, body)
        assert response.status_code == 200
    kept = RejectedEvent.objects.get()
    assert (kept.stream, kept.payload, kept.error) == (
        "webhook",
        body,
        "event type like.create is not one Perch subscribes to",
    )


def test_a_dm_the_brand_sent_from_x_own_app_is_an_outbound_message_of_the_conversation(account):
    post(account, dm_delivery(event_id="4000000000000000001", text="Where is my parcel?"))
    sent = dm_delivery(event_id="4000000000000000002", text="It left our depot today.", event_type="dm.sent",
                       sender=BRAND, recipient=MAYA)  # fmt: skip
    assert post(account, sent).json()["stored"] == 1
    interaction = Interaction.objects.get()  # no new work: the brand's own DM is part of the conversation
    brand_dm = interaction.messages.get(direction="out")
    assert (brand_dm.text, brand_dm.external_id, brand_dm.delivery, brand_dm.author_agent) == (
        "It left our depot today.",
        "4000000000000000002",
        "sent",
        None,
    )


def test_a_dm_the_brand_sent_to_someone_perch_never_talked_to_creates_no_work(account):
    sent = dm_delivery(text="Hello from the app", event_type="dm.sent", sender=BRAND, recipient=MAYA)
    assert post(account, sent).json() == {"stored": 0, "duplicates": 0, "rejected": 0}
    assert not Interaction.objects.exists()


def test_oauth_revoke_marks_the_account_needs_reconnect_within_the_one_delivery(account):
    # X's example: an empty filter, the user in the payload.
    payload = {"date_time": "2026-07-23T21:44:05+00:00", "user_id": BRAND, "app_id": "29820954"}
    revoke = envelope("oauth.revoke", payload, event_uuid="5934540941047412905", user_id="")
    response = post(account, revoke)
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.needs_reconnect and "revoked Perch's access" in account.last_error


def test_oauth_revoke_of_another_user_is_refused_and_changes_nothing(account):
    revoke = envelope("oauth.revoke", {"date_time": "2026-07-23T21:44:05+00:00", "user_id": MAYA, "app_id": "1"},
                      event_uuid="1", user_id="")  # fmt: skip
    assert post(account, revoke).status_code == 400
    account.refresh_from_db()
    assert not account.needs_reconnect


@pytest.mark.parametrize("event_type", ["dm.read", "dm.indicate_typing"])
def test_read_receipts_and_typing_are_acknowledged_and_store_no_message(account, event_type):
    example = {"dm.read": "xaa_dm_read_inferred.json", "dm.indicate_typing": "xaa_dm_indicate_typing_inferred.json"}
    payload = json.loads((Path(__file__).parent / "fixtures" / example[event_type]).read_text())["data"]["payload"]
    body = envelope(event_type, payload, event_uuid="42")
    response = post(account, body)
    assert response.status_code == 200 and response.json() == {"stored": 0, "duplicates": 0, "rejected": 0}
    assert not Message.objects.exists() and not RejectedEvent.objects.exists()
    assert XDelivery.objects.get().event_type == event_type


def test_a_delivery_for_another_account_is_refused(account):
    other = dm_delivery()
    other["data"]["filter"] = {"user_id": "1800000000000000999"}
    response = post(account, other)
    assert response.status_code == 400 and response.json() == {"error": "this delivery is for another account"}
    assert not Message.objects.exists() and not XDelivery.objects.exists()


def test_an_account_activity_api_delivery_is_refused_in_words(account):
    legacy = {"for_user_id": BRAND, "direct_message_events": copy.deepcopy(
        dm_delivery()["data"]["payload"]["direct_message_events"])}  # fmt: skip
    response = post(account, legacy)
    assert response.status_code == 400 and "Account Activity API delivery" in response.json()["error"]
    assert RejectedEvent.objects.get().payload == legacy and not Message.objects.exists()


def test_a_polling_account_answers_404_to_a_delivery(account):
    XAccount.objects.filter(pk=account.pk).update(mode=XAccount.Mode.POLLING)
    assert post(account, dm_delivery()).status_code == 404


def test_x_bills_each_event_it_delivers_once_and_perch_prices_it_so(account):
    from decimal import Decimal

    from social.models import XSpend

    body = dm_delivery()
    post(account, body)
    post(account, body)  # X's retry of the same event_uuid: stored once, priced once
    spend = XSpend.objects.get(account=account, endpoint="webhook dm.received")
    assert (spend.calls, spend.amount) == (1, Decimal("0.010"))
