"""Perch's URLs plus one bare view, for the pages benchmark's baseline (never mounted outside bench/)."""

from django.http import HttpResponse
from django.urls import path

from workspace.urls import urlpatterns as perch_urlpatterns

BARE_BODIES: dict[str, bytes] = {}


def bare(request, key: str) -> HttpResponse:
    """The same bytes a Perch page answered, with no query and no template: what Django itself costs."""
    return HttpResponse(BARE_BODIES[key], content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/bare/<str:key>/", bare), *perch_urlpatterns]
