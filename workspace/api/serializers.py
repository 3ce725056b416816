"""Model → JSON for the API. Plain functions; X ids stay strings, times are ISO 8601 in UTC."""

from contacts.models import Contact
from interactions.models import Interaction, Message


def _time(value):
    return value.isoformat() if value else None


def _user(user):
    return {"id": user.pk, "username": user.get_username()} if user else None


def interaction(item: Interaction) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "state": item.state,
        "contact": {"id": item.contact_id, "display_name": item.contact.display_name},
        "x_account": {"id": item.x_account_id, "handle": item.x_account.handle} if item.x_account else None,
        "agent": _user(item.agent),
        "priority": item.priority,
        "sentiment": item.sentiment,
        "language": item.language,
        "disposition": item.disposition.name if item.disposition else None,
        "opened_at": _time(item.opened_at),
        "queued_at": _time(item.queued_at),
        "accepted_at": _time(item.accepted_at),
        "ended_at": _time(item.ended_at),
        "ended_by": item.ended_by or None,
        "done_at": _time(item.done_at),
    }


def message(item: Message) -> dict:
    identity = item.author_identity
    return {
        "id": item.pk,
        "direction": item.direction,
        "kind": item.kind,
        "text": item.text,
        "author_agent": _user(item.author_agent),
        "author_handle": identity.handle if identity else (item.author or {}).get("username"),
        "external_id": item.external_id,
        "in_reply_to_external_id": item.in_reply_to_external_id or None,
        "delivery": item.delivery or None,
        "media_count": len(item.media or []) + (1 if item.attachment else 0),
        "created_at": _time(item.created_at),
        "sent_at": _time(item.sent_at),
    }


def contact(item: Contact) -> dict:
    return {
        "id": item.pk,
        "display_name": item.display_name,
        "is_vip": item.is_vip,
        "assigned_agent": _user(item.assigned_agent),
        "default_outbound_channel": item.default_outbound_channel,
        "identities": [
            {"channel": i.channel, "external_id": i.external_id, "handle": i.handle or None}
            for i in item.identities.all()
        ],
        "created_at": _time(item.created_at),
    }
