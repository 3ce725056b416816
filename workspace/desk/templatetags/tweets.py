"""Template helpers for the tweet tree."""

from django import template

register = template.Library()


@register.filter
def avatar_url(author: dict) -> str:
    """The X author's profile image, only when it is an http(s) URL: author data comes from X (or a hostile payload)
    and must never put another scheme into an <img src>."""
    url = (author or {}).get("profile_image_url") or ""
    return url if url.startswith(("https://", "http://")) else ""
