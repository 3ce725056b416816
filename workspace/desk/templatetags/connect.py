"""Template helpers for the Connect view."""

from django import template

register = template.Library()


@register.filter
def reached_at(contact):
    """The identity a contact's row names: the one of their default outbound channel, else their first (from the
    identities the list prefetched: no query of its own); None when they have none."""
    identities = list(contact.identities.all())
    default = [i for i in identities if i.channel == contact.default_outbound_channel]
    return (default or identities or [None])[0]
