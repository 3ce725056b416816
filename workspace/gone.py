"""htmx answers for things that are gone, so the page never shows a raw error page inside one of its parts.

- An htmx request for something the agent may no longer see (404: reassigned, marked done, deleted) gets a calm
  notice instead of Django's 404 page, still with status 404 (base.html tells htmx to swap a 404). A GET swaps it
  where the agent asked to look (a list click: the centre); an action (POST) on something gone says it in the
  page's notice slot (#page-notice) and leaves the centre alone: the agent may have a draft there.
- An htmx request whose session is gone (signed out in another tab, expired) is redirected to the login as a
  whole page, with the page as `next`, instead of swapping the login form into a part of the page.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect, push_url, reselect, reswap, retarget

GONE = (
    ("/workspace/interactions/", "This conversation is no longer yours, or it no longer exists."),
    ("/workspace/messages/", "This conversation is no longer yours, or it no longer exists."),
    ("/workspace/offers/", "This offer is no longer yours: it was taken, withdrawn or has expired."),
    ("/workspace/contacts/", "This contact is no longer yours, or it no longer exists."),
    ("/workspace/connect/contacts/", "This contact is no longer yours, or it no longer exists."),
    ("/admin/board/", "This conversation has changed since the board showed it: it may be done or deleted."),
)


def gone_text(path: str) -> str:
    for prefix, text in GONE:
        if path.startswith(prefix):
            return text
    return "This is no longer yours, or it no longer exists."


def _login_paths() -> tuple[str, ...]:
    return (resolve_url(settings.LOGIN_URL), reverse("admin:login"))


def htmx_gone(get_response):
    def middleware(request: HttpRequest):
        response = get_response(request)
        if not getattr(request, "htmx", False):
            return response
        if response.status_code == 404:
            notice = render(request, "workspace/partials/_gone.html", {"text": gone_text(request.path)}, status=404)
            notice = reselect(notice, ".gone-notice")  # whatever the element's hx-select picks from its usual answer
            if request.method in ("GET", "HEAD"):
                return notice
            # An action: said in the notice slot; the part it came from keeps what the agent had there.
            return push_url(reswap(retarget(notice, "#page-notice"), "innerHTML"), False)
        location = response.headers.get("Location", "") if response.status_code in (301, 302, 303) else ""
        login = urlsplit(location).path
        if login and login in _login_paths():
            page = request.htmx.current_url_abs_path or resolve_url(settings.LOGIN_REDIRECT_URL)
            return HttpResponseClientRedirect(f"{login}?{urlencode({'next': page})}")
        return response

    return middleware
