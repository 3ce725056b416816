"""Template helpers for the supervisor pages (live board, admin index)."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from social.health import accounts_health

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A wait or an idle time as a supervisor reads it: "45 s", "3 min 20 s", "2 h 05 min"."""
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


@register.filter
def ago(value: datetime | None) -> str:
    """How long ago, to the second while it is recent: "12 s ago"."""
    return f"{duration(timezone.now() - value)} ago" if value else "never"


@register.simple_tag
def account_health_summary():
    """Every X account's health, for the admin index (two queries)."""
    return accounts_health()
