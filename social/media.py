"""Images customers sent on X, as Perch keeps them: downloaded from X's media hosts (integrations/x_media.py), then
prepared like any image (interactions.attachments) with the larger limit of what X itself carries."""

from interactions.attachments import PreparedImage, prepare_image

MAX_DOWNLOAD_BYTES = 15 * 1024 * 1024  # X's limit for animated GIFs, its largest image: what Perch downloads


def prepare_received(data: bytes) -> PreparedImage:
    """An image downloaded from X, re-encoded from its pixels; raises ImageRejected, saying why."""
    return prepare_image(data, max_bytes=MAX_DOWNLOAD_BYTES)
