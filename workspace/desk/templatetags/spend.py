"""Dollars as supervisors read X's prices: $0.20, $0.015, $12.34 (social.prices.usd); "—" for nothing to divide."""

from django import template

from social.prices import price_of
from social.prices import usd as usd_text

register = template.Library()


@register.filter
def usd(value) -> str:
    return "—" if value is None else usd_text(value)


@register.filter
def link_post_price(account) -> str:
    """What X charges this account for a post holding a URL (its own table: X's $0.20 unless overridden)."""
    return usd_text(price_of("write.post_url", account))
