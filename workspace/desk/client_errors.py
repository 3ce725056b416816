"""POST /workspace/client-errors/: the browser reports an htmx request that failed (static/workspace/request_errors.js).

The agent already sees "That did not work — reload"; this puts the failure in the server's log as a structured
warning (event=client.error) so that operators see it too. Only what identifies the failure is kept: which htmx
event, the HTTP status, and the paths of the request and of the page (never a query string, never text).
"""

import logging

from django import forms
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from workspace.infra.logs import log_event

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2048  # four short fields; anything bigger is not from request_errors.js
EVENTS = (
    "htmx:responseError",
    "htmx:sendError",
    "htmx:targetError",
    "htmx:swapError",
    "htmx:onLoadError",
    "htmx:evalDisallowedError",
)


class ClientErrorForm(forms.Form):
    event = forms.ChoiceField(choices=[(name, name) for name in EVENTS])
    status = forms.IntegerField(min_value=0, max_value=599, required=False)
    # A path of this site: printable ASCII from "/" (the browser percent-encodes the rest), no query.
    path = forms.RegexField(regex=r"^(/[\x21-\x7e]{0,299})?$", required=False)
    page = forms.RegexField(regex=r"^/[\x21-\x7e]{0,299}$")

    def clean(self):
        cleaned = super().clean()
        for name in ("path", "page"):
            if "?" in (cleaned.get(name) or ""):
                self.add_error(name, "A path without its query.")
        return cleaned


@require_POST
def client_error(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:  # a report needs a signed-in page; the login page has nothing to fail
        return HttpResponse("Sign in first.", status=403, content_type="text/plain")
    # request_errors.js sends a small urlencoded form; a body over DATA_UPLOAD_MAX_MEMORY_SIZE is Django's 400.
    if request.content_type != "application/x-www-form-urlencoded" or len(request.body) > MAX_BODY_BYTES:
        return HttpResponse("Not an error report.", status=400, content_type="text/plain")
    form = ClientErrorForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Not an error report.", status=400, content_type="text/plain")
    data = form.cleaned_data
    log_event(log, "client.error", level=logging.WARNING, user_id=request.user.pk, htmx_event=data["event"],
              status=data["status"], path=data["path"] or None, page=data["page"])  # fmt: skip
    return HttpResponse(status=204)
