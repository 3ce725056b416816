"""The image limits, for the composer's check in the browser: the same numbers and words as the server's."""

from django import template

from interactions.attachments import MAX_BYTES, TOO_BIG

register = template.Library()


@register.simple_tag
def image_max_bytes() -> int:
    return MAX_BYTES


@register.simple_tag
def image_too_big() -> str:
    return TOO_BIG
