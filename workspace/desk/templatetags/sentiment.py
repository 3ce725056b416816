"""The sentiment bands in templates: the same cut-offs as routing and reports (interactions.sentiment)."""

from django import template

from interactions.sentiment import sentiment_band as band_of

register = template.Library()


@register.filter
def sentiment_band(score: float | None) -> str:
    """ "negative", "neutral" or "positive", for a class name or a picker's selected option."""
    return band_of(score)
