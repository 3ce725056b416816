"""Customer text inside Perch's own sentences ("Maya replied.", "Maya has no X identity…")."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def isolating(text, name):
    """`text`, escaped, with the customer's `name` in it put in a <bdi>: a right-to-left override in the name cannot
    reorder the rest of the sentence. Text without the name (renamed since) is returned escaped, as it is."""
    text, name = conditional_escape(text), conditional_escape(name or "")
    if not name or name not in text:
        return text
    return mark_safe(text.replace(name, f"<bdi>{name}</bdi>", 1))  # both escaped above
