"""X's v2 media upload (one shot, and chunked: initialize, append, finalize, STATUS), the retired v1.1 upload's
refusal, and serving media and avatars back. The upload rules are in uploads.py and services.py."""

import base64
import binascii
import json

from django.http import HttpResponse
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt

from social.sandbox import services, uploads
from social.sandbox.auth import acting_user
from social.sandbox.errors import Problem, problem_response
from social.sandbox.http import x_endpoint
from social.sandbox.models import SandboxMedia, SandboxProcessingFault, SandboxUpload
from social.sandbox.simulator import simulator_api

# The biggest body an upload may need: a 15 MB GIF in base64, and the rest of the JSON (or of the multipart form).
MAX_BODY_BYTES = 4 * (services.MAX_GIF_BYTES + 2) // 3 + 64 * 1024
UPLOAD_FIELDS = {"media", "media_category", "additional_owners"}  # MediaUploadRequest (additionalProperties: false)
INITIALIZE_FIELDS = {"media_type", "total_bytes", "media_category", "shared", "additional_owners"}
APPEND_FIELDS = {"media", "segment_index"}
# X's v1.1 error code 251 (HTTP 410 Gone: "an API endpoint has been turned off"): the v1.1 upload is retired.
RETIRED = "This endpoint has been retired and should not be used."
CHECK_AFTER = uploads.CHECK_AFTER_SECS
PROCESSING_INFO = {  # what STATUS says at each state (X's processing_info; no check_after_secs once it is over)
    SandboxUpload.State.PENDING: {"state": "pending", "check_after_secs": CHECK_AFTER, "progress_percent": 0},
    SandboxUpload.State.IN_PROGRESS: {"state": "in_progress", "check_after_secs": CHECK_AFTER, "progress_percent": 50},
    SandboxUpload.State.SUCCEEDED: {"state": "succeeded", "progress_percent": 100},
    SandboxUpload.State.FAILED: {"state": "failed", "progress_percent": 50},
}


# --- Reading an upload request ---------------------------------------------------------------------------
def _refuse_unknown(params: dict, fields: set[str]) -> None:
    for name in sorted(set(params) - fields):
        message = f"$.{name}: is not defined in the schema and the schema does not allow additional properties"
        raise Problem.invalid(message, name, str(params[name])[:100])


def _decode(value, parameter: str = "media") -> bytes:
    if not isinstance(value, str):
        raise Problem.invalid(f"`{parameter}` must be the file's bytes in base64.", parameter, "")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Problem.invalid(f"`{parameter}` is not valid base64.", parameter, "") from exc


def _json(request) -> dict:
    """A JSON body up to MAX_BODY_BYTES, read past Django's 2.5 MB cap for request bodies (X takes a 15 MB GIF)."""
    data = request.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise Problem.invalid(services.too_big("dm_gif"), "media", "")
    try:
        body = json.loads(data or b"{}")
    except ValueError as exc:
        raise Problem.invalid("The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise Problem.invalid("The request body must be a JSON object.")
    return body


def _params_and_media(request, fields: set[str]) -> tuple[dict, bytes | None]:
    """The request's parameters and media bytes: multipart (the `media` part's raw bytes, as X's examples send them)
    or JSON (`media` in base64), with nothing X's schema does not have."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise Problem.invalid("The Content-Length header is not a number.") from exc
    if declared > MAX_BODY_BYTES:
        raise Problem.invalid(services.too_big("dm_gif"), "media", "")
    if request.content_type == "application/json":
        params = _json(request)
        media = _decode(params.pop("media")) if "media" in params else None
        _refuse_unknown(params, fields)
        return params, media
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        params = {name: request.POST[name] for name in request.POST}
        file = request.FILES.get("media")
        media = file.read() if file else (_decode(params.pop("media")) if "media" in params else None)
        _refuse_unknown({**params, **{name: "(file)" for name in request.FILES if name != "media"}}, fields)
        return params, media
    raise Problem.invalid("Send the upload as multipart/form-data or as JSON (application/json).")


def _integer(value, parameter: str) -> int:
    """An integer parameter: a JSON number, or a form field's digits."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise Problem.invalid(f"`{parameter}` must be an integer.", parameter, str(value))


def _media_id(value: str, parameter: str = "id") -> str:
    if not (isinstance(value, str) and value.isdigit() and len(value) <= 19):
        raise Problem.invalid(f"The `{parameter}` value [{value}] is not a media id.", parameter, str(value))
    return value


# --- Answers ---------------------------------------------------------------------------------------------
def _image(media: SandboxMedia) -> dict:
    return {"image_type": f"image/{media.image_type}", "w": media.width, "h": media.height}


def media_data(item: SandboxUpload | SandboxMedia) -> dict:
    """X's `data` for an upload (MediaUploadResponseData and the finalize/STATUS shapes): processing_info while
    X processes it or once it did, `image` once it is an image X can attach."""
    if isinstance(item, SandboxMedia):
        return {
            "id": item.media_id, "media_key": item.media_key, "size": len(item.content),
            "expires_after_secs": uploads.expires_after_secs(item.created_at), "image": _image(item),
        }  # fmt: skip
    data = {
        "id": item.media_id, "media_key": item.media_key, "size": item.total_bytes,
        "expires_after_secs": uploads.expires_after_secs(item.created_at),
    }  # fmt: skip
    if item.processed:
        data["processing_info"] = dict(PROCESSING_INFO[item.state])
    media = (
        SandboxMedia.objects.filter(pk=item.media_key).first() if item.state == SandboxUpload.State.SUCCEEDED else None
    )
    if media is not None:
        data["image"] = _image(media)
    return data


# --- Routes ----------------------------------------------------------------------------------------------
@x_endpoint("media_upload")
def upload(request, user):
    """POST /2/media/upload: an image (or GIF) in one request."""
    params, media = _params_and_media(request, UPLOAD_FIELDS)
    if media is None:
        raise Problem.invalid("media parameter is missing.", "media", "")
    if "media_category" not in params:
        raise Problem.invalid("media_category parameter is missing.", "media_category", "")
    category = uploads.check_category(params["media_category"], allowed=uploads.UPLOAD_CATEGORIES)
    owners = uploads.check_owners(params["additional_owners"]) if params.get("additional_owners") else []
    stored = services.sandbox_media_store(owner=user, data=media, category=category, additional_owners=owners)
    return 200, {"data": media_data(stored)}


@x_endpoint("media_status")
def upload_status(request, user):
    """GET /2/media/upload?command=STATUS&media_id=: where X's processing of an upload stands."""
    command = request.GET.get("command", "STATUS")
    if command != "STATUS":
        raise Problem.invalid(f"The `command` value [{command}] is not one of [STATUS]", "command", command)
    if "media_id" not in request.GET:
        raise Problem.invalid("The `media_id` query parameter is missing.", "media_id", "")
    media_id = _media_id(request.GET["media_id"], "media_id")
    return 200, {"data": media_data(uploads.sandbox_upload_status(owner=user, media_id=media_id))}


@x_endpoint("media_initialize")
def initialize(request, user):
    """POST /2/media/upload/initialize (JSON): opens a chunked upload."""
    if request.content_type != "application/json":
        raise Problem.invalid("Send the initialize request as JSON (application/json).")
    params = _json(request)
    _refuse_unknown(params, INITIALIZE_FIELDS)
    for name in ("media_type", "total_bytes"):
        if name not in params:
            raise Problem.invalid(f"{name} parameter is missing.", name, "")
    # "If media category is not specified, the uploaded media is assumed to be media for a Post" (best practices)
    for_a_post = "tweet_gif" if params["media_type"] == "image/gif" else "tweet_image"
    started = uploads.sandbox_upload_start(
        owner=user, media_type=params["media_type"], total_bytes=params["total_bytes"],
        category=params.get("media_category") or for_a_post, shared=params.get("shared", False),
        additional_owners=params.get("additional_owners") or [],
    )  # fmt: skip
    return 200, {
        "data": {
            "id": started.media_id, "media_key": started.media_key,
            "expires_after_secs": uploads.expires_after_secs(started.created_at),
        }
    }  # fmt: skip


@x_endpoint("media_append")
def append(request, user, media_id):
    """POST /2/media/upload/{id}/append: the next segment (multipart raw bytes, or JSON base64)."""
    media_id = _media_id(media_id)
    params, media = _params_and_media(request, APPEND_FIELDS)
    if "segment_index" not in params:
        raise Problem.invalid("segment_index parameter is missing.", "segment_index", "")
    if media is None:
        raise Problem.invalid("media parameter is missing.", "media", "")
    appended = uploads.sandbox_upload_append(
        owner=user, media_id=media_id, segment_index=_integer(params["segment_index"], "segment_index"), data=media
    )
    expires_at = int((appended.created_at + services.MEDIA_LIFETIME).timestamp())
    return 200, {"data": {"expires_at": expires_at}}


@x_endpoint("media_finalize")
def finalize(request, user, media_id):
    """POST /2/media/upload/{id}/finalize: the upload is whole; processing_info when X goes on to process it."""
    finished = uploads.sandbox_upload_finish(owner=user, media_id=_media_id(media_id))
    return 200, {"data": media_data(finished)}


@csrf_exempt
def retired_v1_upload(request):
    """The v1.1 upload host's media/upload.json, which X retired for self-serve apps: kept, so a client still
    calling it hears why (410 and X's code 251), not a 404."""
    return problem_response(Problem(410, RETIRED, body={"errors": [{"code": 251, "message": RETIRED}]}), v1=True)


@simulator_api("GET", "POST")
def processing(request, body):
    """POST {"outcome": "failed", "times"?}: the next `times` uploads X processes (GIFs, large images) end `failed`
    in STATUS. GET: the outcomes injected and how often each fired. Wiped by reset."""
    if request.method == "GET":
        return {"faults": list(SandboxProcessingFault.objects.order_by("pk").values())}
    if body.get("outcome") != "failed":
        raise Problem(400, 'outcome is "failed" (processing succeeds unless told otherwise).')
    fault = SandboxProcessingFault.objects.create(times=max(1, int(body.get("times", 1))))
    return {"fault_id": fault.pk}


# --- Serving media back ----------------------------------------------------------------------------------
def media_file(request, media_key):
    """The image behind an `includes.media[].url` (by media key or media id). As for DM images on X, the
    request must carry the account's OAuth header."""
    try:
        acting_user(request, app_allowed=True)
    except Problem as problem:
        return problem_response(problem)
    media = SandboxMedia.objects.filter(media_key=media_key).first() or (
        SandboxMedia.objects.filter(media_id=media_key).first() if media_key.isdigit() else None
    )
    if media is None:
        return problem_response(Problem(404, "No such media."))
    response = HttpResponse(bytes(media.content), content_type=f"image/{media.image_type}")
    response["Content-Security-Policy"] = "sandbox"  # uploaded bytes, same origin as Perch in the demo: never a page
    return response


def avatar(request, name):
    """A generated default avatar (X serves profile images from its CDN, without authentication)."""
    hue = sum(name.encode()) % 360
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" rx="24" '
        f'fill="hsl({hue},55%,45%)"/><text x="24" y="31" font-size="20" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{escape(name[:1].upper())}</text></svg>'
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=86400"
    return response
