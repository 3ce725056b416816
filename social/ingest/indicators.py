"""Typing indicators and read receipts (dm.indicate_typing, dm.read) delivered by X's webhook."""

from social.models import XAccount


def receive(*, account: XAccount, event_type: str, payload: dict, includes: dict) -> None:
    """Not shown yet: the delivery is acknowledged and nothing is stored."""
    return None
