"""X's v2 media upload, as XClient's methods (tweepy has none; v1.1's upload is retired for self-serve apps).

A mixin of XClient: the calls go through the client's `_respond` (budget, rate-limit headers, error translation)
and `_signed` (tweepy's session and OAuth 1.0a signing, which only x_client.py touches).
"""

import math
import time

from social.integrations.x_errors import XError, XTransient

UPLOAD_CALL_TIMEOUT_SECONDS = 20  # each upload call; API reads and writes: settings.X_API_TIMEOUT_SECONDS
# v2 media upload (x-api/media/*): images up to ONE_SHOT_MAX_BYTES in one request, bigger ones and GIFs in chunks of
# CHUNK_BYTES (the segment size of X's examples), so no request carries more than a megabyte.
ONE_SHOT_MAX_BYTES = 1024 * 1024
CHUNK_BYTES = 1024 * 1024
GIF_CATEGORIES = {"dm_gif", "tweet_gif"}
UPLOAD_DEADLINE_SECONDS = 60  # one upload in all, X's processing included: sending's lease is longer than this
MAX_STATUS_CHECKS = 30
# processing_info states while X works (openapi.json); "uploading" is the state of X's own STATUS example.
STILL_PROCESSING = {"pending", "in_progress", "uploading"}


class MediaUpload:
    def upload_media(self, *, content, media_type: str, category: str) -> str:
        """Uploads an image with X's v2 media upload and returns its media id once X can attach it.

        An image up to ONE_SHOT_MAX_BYTES goes in one multipart POST /2/media/upload; a bigger one, and every GIF
        (`dm_gif`, `tweet_gif`: X processes those asynchronously), goes in chunks: initialize → append (segments of
        CHUNK_BYTES) → finalize, then STATUS while X's processing_info is pending or in_progress, waiting as X's
        check_after_secs says. The whole upload ends within UPLOAD_DEADLINE_SECONDS (the send lease covers it).
        Never `shared`, no additional owners: a DM image is the brand's own, for one DM (X's rule for DM media). Raises
        the XError of every call (budget, 429, 401, 4xx, 5xx); X failing to process the image is an XError too."""
        data = content if isinstance(content, bytes) else content.read()
        deadline = time.monotonic() + UPLOAD_DEADLINE_SECONDS
        if len(data) <= ONE_SHOT_MAX_BYTES and category not in GIF_CATEGORIES:
            # Multipart with the raw bytes, as X's examples send media: no base64 (a third larger) in a JSON body.
            body = self._upload_call(
                "media_upload", "POST", "/2/media/upload", deadline,
                data={"media_category": category}, files={"media": ("media", data, media_type)},
            )  # fmt: skip
            return self._processed(parse_media_upload(body), deadline)
        started = self._upload_call(
            "media_initialize", "POST", "/2/media/upload/initialize", deadline,
            json={"media_type": media_type, "total_bytes": len(data), "media_category": category},
        )  # fmt: skip
        media_id = parse_media_upload(started)["id"]
        for index, start in enumerate(range(0, len(data), CHUNK_BYTES)):
            self._upload_call(
                "media_append", "POST", f"/2/media/upload/{media_id}/append", deadline,
                data={"segment_index": str(index)},
                files={"media": ("media", data[start : start + CHUNK_BYTES], "application/octet-stream")},
            )  # fmt: skip
        finished = self._upload_call("media_finalize", "POST", f"/2/media/upload/{media_id}/finalize", deadline)
        return self._processed(parse_media_upload(finished, media_id), deadline)

    def _processed(self, data: dict, deadline: float) -> str:
        """The media id once X's processing of it succeeded (at once when X does not process it)."""
        media_id = data["id"]
        for _ in range(MAX_STATUS_CHECKS):
            info = data.get("processing_info")
            state = info.get("state") if isinstance(info, dict) else "succeeded"
            if state == "succeeded":
                return media_id
            if state == "failed":
                raise XError("X could not process the image (its processing failed): attach another image.")
            if state not in STILL_PROCESSING:
                raise XTransient(f"X answered an unknown processing state for the image ({str(state)[:20]}).")
            wait = _seconds(info.get("check_after_secs"))
            if time.monotonic() + wait >= deadline:
                break
            time.sleep(wait)
            answer = self._upload_call(
                "media_status", "GET", "/2/media/upload", deadline, params={"command": "STATUS", "media_id": media_id}
            )
            data = parse_media_upload(answer, media_id)
        raise XTransient(f"X was still processing the image when the upload's {UPLOAD_DEADLINE_SECONDS} s were up.")

    def _upload_call(self, endpoint: str, method: str, path: str, deadline: float, **request) -> dict:
        """One call of an upload, within what is left of its deadline, counted and translated as every call is."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise XTransient(f"X took over {UPLOAD_DEADLINE_SECONDS} s to take the image.")
        action = "upload the image"
        timeout = min(UPLOAD_CALL_TIMEOUT_SECONDS, left)
        response = self._respond(endpoint, action, self._signed, method, path, timeout=timeout, **request)
        if not response.content:
            return {}  # an append may answer 2xx with an empty body (X's chunked-upload guide of 2025)
        try:
            body = response.json()
        except ValueError as exc:
            raise XTransient(f"X answered something that is not JSON while trying to {action}.") from exc
        return body if isinstance(body, dict) else {}


def parse_media_upload(body: dict, media_id: str = "") -> dict:
    """The `data` of an upload answer, with the media id X gave it (digits: it goes into the next call's path)."""
    data = body.get("data") if isinstance(body, dict) else None
    found = data.get("id") if isinstance(data, dict) else None
    if not isinstance(found, str) or not found.isdigit() or (media_id and found != media_id):
        raise XTransient("X answered the image upload without its media id.")
    return data


def _seconds(value) -> float:
    """X's check_after_secs, within reason (1 s when X leaves it out)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 1.0
    return min(max(seconds, 0.0), float(UPLOAD_DEADLINE_SECONDS)) if math.isfinite(seconds) else 1.0
