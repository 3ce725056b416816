"""v1.1 media upload (simple, multipart `media` or base64 `media_data`) and serving media and avatars back."""

import base64
import binascii

from django.http import HttpResponse
from django.utils.html import escape

from social.sandbox import services
from social.sandbox.auth import acting_user
from social.sandbox.errors import Problem, problem_response
from social.sandbox.http import x_endpoint
from social.sandbox.models import SandboxMedia


@x_endpoint("media_upload", v1=True)
def upload(request, user):
    if upload_file := request.FILES.get("media"):
        data = upload_file.read()
    elif request.POST.get("media_data"):
        try:
            data = base64.b64decode(request.POST["media_data"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Problem.v1(400, "media_data is not valid base64.", code=324) from exc
    else:
        raise Problem.v1(400, "media parameter is missing.", code=38)
    category = request.POST.get("media_category", "")
    if category and category not in ("dm_image", "tweet_image", "dm_gif", "tweet_gif", "subtitles"):
        raise Problem.v1(400, f"Unsupported media_category {category}.", code=324)
    media = services.sandbox_media_store(owner=user, data=data, category=category)
    return 200, {
        "media_id": int(media.media_id),
        "media_id_string": media.media_id,
        "media_key": media.media_key,
        "size": len(data),
        "expires_after_secs": 86400,
        "image": {"image_type": f"image/{media.image_type}", "w": media.width, "h": media.height},
    }


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
