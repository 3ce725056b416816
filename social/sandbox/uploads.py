"""X's v2 chunked media upload in the sandbox: POST /2/media/upload/initialize opens an upload, `append` adds its
segments in order, `finalize` checks it is whole and is what it says, then X processes it (GIFs and large images)
while GET /2/media/upload?command=STATUS reports `pending`, `in_progress`, then `succeeded` (or `failed`). A
processed upload becomes a SandboxMedia with the same id, which DMs and tweets attach as before.

X's rules (x-api/media/*, openapi.json): categories and media types of the OpenAPI enums, 5 MB for an image and 15 MB
for a GIF, segment_index 0–999, the upload is its initializer's. The sandbox keeps images and GIFs only: video and
subtitles are refused in words. Refusals raise X's Problems."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from social.sandbox import services
from social.sandbox.errors import Problem
from social.sandbox.ids import new_id
from social.sandbox.models import SandboxMedia, SandboxProcessingFault, SandboxUpload, SandboxUser

# The OpenAPI enums (InitializeMediaUploadRequest, MediaUploadRequest).
UPLOAD_CATEGORIES = {"tweet_image", "tweet_video", "tweet_gif", "dm_image", "dm_video", "dm_gif", "subtitles"}
INITIALIZE_CATEGORIES = UPLOAD_CATEGORIES | {"amplify_video"}
MEDIA_TYPES = {
    "video/mp4", "video/webm", "video/mp2t", "video/quicktime", "text/srt", "text/vtt", "image/jpeg", "image/gif",
    "image/bmp", "image/png", "image/webp", "image/pjpeg", "image/tiff", "model/gltf-binary", "model/vnd.usdz+zip",
}  # fmt: skip
# What the sandbox stores: X's image types (best-practices.mdx: JPG, PNG, GIF, WEBP) in image and GIF categories.
STORED_CATEGORIES = {"tweet_image", "tweet_gif", "dm_image", "dm_gif"}
IMAGE_MEDIA_TYPES = {"image/jpeg": "JPEG", "image/pjpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF",
                     "image/webp": "WEBP"}  # fmt: skip
MAX_SEGMENT_INDEX = 999
CHECK_AFTER_SECS = 1
# X processes GIFs after FINALIZE ("async upload behavior", best-practices.mdx); the sandbox also processes images
# this large, so a client's STATUS polling is exercised by more than GIFs.
PROCESSED_ABOVE_BYTES = 1024 * 1024
NOT_STORED = "The sandbox stores images and GIFs only (media_category tweet_image, tweet_gif, dm_image or dm_gif)."


def check_category(category, *, allowed: set[str], parameter: str = "media_category") -> str:
    if not isinstance(category, str) or category not in allowed:
        message = f"The `{parameter}` value [{category}] is not one of [{', '.join(sorted(allowed))}]"
        raise Problem.invalid(message, parameter, str(category))
    if category not in STORED_CATEGORIES:
        raise Problem.invalid(NOT_STORED, parameter, str(category))
    return category


def check_owners(value) -> list[str]:
    """`additional_owners`: user ids (a list, or the one-shot form's comma-separated string)."""
    owners = value.split(",") if isinstance(value, str) else list(value) if isinstance(value, tuple) else value
    if not isinstance(owners, list) or not all(isinstance(o, str) and o.strip().isdigit() for o in owners):
        raise Problem.invalid("`additional_owners` must be user ids.", "additional_owners", str(value))
    return [owner.strip() for owner in owners]


def expires_after_secs(created_at) -> int:
    left = created_at + services.MEDIA_LIFETIME - timezone.now()
    return max(0, int(left.total_seconds()))


@transaction.atomic
def sandbox_upload_start(
    *, owner: SandboxUser, media_type, total_bytes, category, shared=False, additional_owners=()
) -> SandboxUpload:
    """INITIALIZE: an upload of `total_bytes` of `media_type`, checked against the category's size limit."""
    category = check_category(category, allowed=INITIALIZE_CATEGORIES)
    if not isinstance(media_type, str) or media_type not in MEDIA_TYPES:
        message = f"The `media_type` value [{media_type}] is not one of [{', '.join(sorted(MEDIA_TYPES))}]"
        raise Problem.invalid(message, "media_type", str(media_type))
    if media_type not in IMAGE_MEDIA_TYPES:
        raise Problem.invalid(NOT_STORED, "media_type", str(media_type))
    if category in services.GIF_CATEGORIES and media_type != "image/gif":
        raise Problem.invalid(f"A {category} upload must be an image/gif.", "media_type", str(media_type))
    if isinstance(total_bytes, bool) or not isinstance(total_bytes, int) or total_bytes <= 0:
        raise Problem.invalid("`total_bytes` must be a positive integer.", "total_bytes", str(total_bytes))
    if total_bytes > services.max_bytes_for(category):
        raise Problem.invalid(services.too_big(category), "total_bytes", str(total_bytes))
    if not isinstance(shared, bool):
        raise Problem.invalid("`shared` must be true or false.", "shared", str(shared))
    media_id = new_id()
    return SandboxUpload.objects.create(
        media_id=media_id, media_key=f"{'16' if category in services.GIF_CATEGORIES else '3'}_{media_id}",
        owner=owner, media_type=media_type, category=category, total_bytes=total_bytes, shared=shared,
        additional_owners=check_owners(additional_owners),
    )  # fmt: skip


def _own_upload(owner: SandboxUser, media_id: str) -> SandboxUpload:
    """The acting user's own upload, still within its 24 hours (someone else's is as unknown as a made-up id)."""
    upload = (
        SandboxUpload.objects.select_for_update()
        .filter(media_id=media_id, owner=owner, created_at__gt=timezone.now() - services.MEDIA_LIFETIME)
        .first()
    )
    if upload is None:
        raise Problem.invalid(f"The media_id [{media_id}] is not an upload of yours in progress.", "id", media_id)
    return upload


@transaction.atomic
def sandbox_upload_append(*, owner: SandboxUser, media_id: str, segment_index, data: bytes) -> SandboxUpload:
    """APPEND: the next segment, in order, never past `total_bytes`."""
    upload = _own_upload(owner, media_id)
    if upload.state != SandboxUpload.State.UPLOADING:
        raise Problem.invalid("This upload is finalized: no more segments can be appended.", "id", media_id)
    if isinstance(segment_index, bool) or not isinstance(segment_index, int):
        raise Problem.invalid("`segment_index` must be an integer.", "segment_index", str(segment_index))
    if not 0 <= segment_index <= MAX_SEGMENT_INDEX:
        message = f"`segment_index` must be between 0 and {MAX_SEGMENT_INDEX}."
        raise Problem.invalid(message, "segment_index", str(segment_index))
    if segment_index != upload.segments:
        message = f"Segment {segment_index} is out of order: the next segment of this upload is {upload.segments}."
        raise Problem.invalid(message, "segment_index", str(segment_index))
    if not data:
        raise Problem.invalid("media parameter is missing.", "media", "")
    content = bytes(upload.content) + data
    if len(content) > upload.total_bytes:
        message = f"The segments add up to more than the {upload.total_bytes} bytes (total_bytes) initialized."
        raise Problem.invalid(message, "media", "")
    upload.content, upload.segments = content, upload.segments + 1
    upload.save(update_fields=["content", "segments"])
    return upload


@transaction.atomic
def sandbox_upload_finish(*, owner: SandboxUser, media_id: str) -> SandboxUpload:
    """FINALIZE: every byte there and the bytes what `media_type` says; then stored at once, or processed."""
    upload = _own_upload(owner, media_id)
    if upload.state != SandboxUpload.State.UPLOADING:
        return upload  # finalized before: X answers with where it stands
    received = len(upload.content)
    if received != upload.total_bytes:
        message = f"The upload is incomplete: {received} of its {upload.total_bytes} bytes (total_bytes) were appended."
        raise Problem.invalid(message, "id", media_id)
    image = services.read_image(bytes(upload.content), upload.category)
    if image.format != IMAGE_MEDIA_TYPES[upload.media_type]:
        message = f"The media is a {image.format} image, not the {upload.media_type} initialized (media_type)."
        raise Problem.invalid(message, "media_type", upload.media_type)
    upload.processed = upload.category in services.GIF_CATEGORIES or upload.total_bytes > PROCESSED_ABOVE_BYTES
    if upload.processed:
        upload.state = SandboxUpload.State.PENDING
        upload.fails = _processing_fails()
        upload.save(update_fields=["state", "processed", "fails"])
        return upload
    return _store(upload)


@transaction.atomic
def sandbox_upload_status(*, owner: SandboxUser, media_id: str) -> SandboxUpload | SandboxMedia:
    """STATUS: where X's processing stands, one step further at each look (pending → in_progress → succeeded or
    failed); media uploaded in one shot answer as they are. Unknown ids (or someone else's) are 404, as on X."""
    upload = SandboxUpload.objects.select_for_update().filter(media_id=media_id, owner=owner).first()
    if upload is None:
        media = SandboxMedia.objects.filter(media_id=media_id, owner=owner).first()
        if media is None:
            raise Problem(404, f"Could not find media with id: [{media_id}].")
        return media
    if upload.state == SandboxUpload.State.PENDING:
        upload.state = SandboxUpload.State.IN_PROGRESS
        upload.save(update_fields=["state"])
    elif upload.state == SandboxUpload.State.IN_PROGRESS:
        if upload.fails:
            upload.state = SandboxUpload.State.FAILED
            upload.save(update_fields=["state"])
        else:
            _store(upload)
    return upload


def _store(upload: SandboxUpload) -> SandboxUpload:
    services.sandbox_media_store(
        owner=upload.owner, data=bytes(upload.content), category=upload.category, media_id=upload.media_id,
        shared=upload.shared, additional_owners=upload.additional_owners,
    )  # fmt: skip
    upload.state, upload.content = SandboxUpload.State.SUCCEEDED, b""  # the bytes are the SandboxMedia's now
    upload.save(update_fields=["state", "processed", "content"])
    return upload


def _processing_fails() -> bool:
    """Whether an injected outcome (the simulator's media_processing API) makes this processing fail."""
    fault = SandboxProcessingFault.objects.select_for_update().filter(fired__lt=F("times")).order_by("pk").first()
    if fault is None:
        return False
    fault.fired += 1
    fault.save(update_fields=["fired"])
    return True
