"""The sandbox's v2 media upload checks what X checks, over raw HTTP as X's clients send it: categories and media
types, X's size limits (5 MB for an image, 15 MB for a GIF), segments in order, nothing finalized with bytes
missing, the bytes what media_type says, the upload its initializer's, processing before use, and X's rules for DM
media (its uploader or additional owners, 24 hours, one DM unless shared)."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from social.sandbox.models import SandboxMedia
from tests.social.sandbox.conftest import gif, png

pytestmark = pytest.mark.django_db(transaction=True)
MB = 1024 * 1024


def initialize(as_user, **body):
    return as_user.post("/2/media/upload/initialize", body)


def append(as_user, media_id, index, data: bytes):
    return as_user.post(
        f"/2/media/upload/{media_id}/append", files={"media": ("blob", data)}, data={"segment_index": str(index)}
    )


def upload_in_chunks(as_user, data: bytes, media_type: str, category: str, **extra) -> str:
    started = initialize(as_user, media_type=media_type, total_bytes=len(data), media_category=category, **extra)
    assert started.status_code == 200, started.text
    media_id = started.json()["data"]["id"]
    half = len(data) // 2
    assert append(as_user, media_id, 0, data[:half]).status_code == 200
    assert append(as_user, media_id, 1, data[half:]).status_code == 200
    return media_id


def reason(response) -> str:
    assert response.status_code == 400, response.text
    return response.json()["errors"][0]["message"]


def dm(as_user, to: dict, media_id: str, text="see"):
    return as_user.post(
        f"/2/dm_conversations/with/{to['id']}/messages", {"text": text, "attachments": [{"media_id": media_id}]}
    )


def test_one_shot_uploads_take_multipart_or_json_and_refuse_what_x_refuses(people):
    *_, as_brand, _ = people
    multipart = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_image"})
    assert multipart.status_code == 200 and multipart.json()["data"]["media_key"].startswith("3_")
    as_json = as_brand.post(
        "/2/media/upload", {"media": base64.b64encode(gif()).decode(), "media_category": "tweet_gif"}
    )
    assert as_json.status_code == 200 and as_json.json()["data"]["media_key"].startswith("16_")
    assert SandboxMedia.objects.get(media_id=as_json.json()["data"]["id"]).category == "tweet_gif"
    no_category = as_brand.post("/2/media/upload", files={"media": ("a.png", png())})
    assert reason(no_category) == "media_category parameter is missing."
    wrong = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_photo"})
    assert reason(wrong).startswith("The `media_category` value [dm_photo] is not one of [")
    video = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_video"})
    assert "images and GIFs only" in reason(video)
    not_a_gif = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_gif"})
    assert reason(not_a_gif) == "media type unrecognized."
    old_form = as_brand.post(
        "/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_image", "command": "INIT"}
    )
    assert reason(old_form).startswith("$.command: is not defined in the schema")
    assert reason(as_brand.post("/2/media/upload", {"media": "not base64!", "media_category": "dm_image"})) == (
        "`media` is not valid base64."
    )


def test_initialize_checks_category_media_type_and_x_s_size_limits(people):
    *_, as_brand, _ = people
    assert (
        initialize(as_brand, media_type="image/png", total_bytes=5 * MB, media_category="dm_image").status_code == 200
    )
    too_big = initialize(as_brand, media_type="image/png", total_bytes=5 * MB + 1, media_category="dm_image")
    assert reason(too_big) == f"File size exceeds {5 * MB} bytes."
    assert initialize(as_brand, media_type="image/gif", total_bytes=15 * MB, media_category="dm_gif").status_code == 200
    gif_too_big = initialize(as_brand, media_type="image/gif", total_bytes=15 * MB + 1, media_category="tweet_gif")
    assert reason(gif_too_big) == f"File size exceeds {15 * MB} bytes."
    png_as_gif = initialize(as_brand, media_type="image/png", total_bytes=100, media_category="dm_gif")
    assert reason(png_as_gif) == "A dm_gif upload must be an image/gif."
    unknown_type = initialize(as_brand, media_type="image/heic", total_bytes=100, media_category="dm_image")
    assert reason(unknown_type).startswith("The `media_type` value [image/heic] is not one of [")
    assert reason(initialize(as_brand, media_type="image/png", media_category="dm_image")) == (
        "total_bytes parameter is missing."
    )
    assert reason(initialize(as_brand, media_type="image/png", total_bytes="12", media_category="dm_image")) == (
        "`total_bytes` must be a positive integer."
    )
    form = as_brand.post("/2/media/upload/initialize", data={"media_type": "image/png", "total_bytes": "100"})
    assert reason(form) == "Send the initialize request as JSON (application/json)."


def test_segments_go_in_order_and_finalize_refuses_missing_or_mislabelled_bytes(people):
    *_, as_brand, _ = people
    image = png()
    started = initialize(as_brand, media_type="image/png", total_bytes=len(image), media_category="tweet_image")
    media_id = started.json()["data"]["id"]
    assert reason(append(as_brand, media_id, 1, image[:10])).startswith("Segment 1 is out of order")
    assert append(as_brand, media_id, 0, image[:10]).status_code == 200
    assert reason(as_brand.post(f"/2/media/upload/{media_id}/finalize")) == (
        f"The upload is incomplete: 10 of its {len(image)} bytes (total_bytes) were appended."
    )
    assert reason(append(as_brand, media_id, 1, image[10:] + b"extra")).startswith("The segments add up to more than")
    assert reason(append(as_brand, media_id, 1000, image[10:])) == "`segment_index` must be between 0 and 999."
    assert append(as_brand, media_id, 1, image[10:]).status_code == 200
    finished = as_brand.post(f"/2/media/upload/{media_id}/finalize")
    assert finished.status_code == 200 and "processing_info" not in finished.json()["data"]  # a small image: ready
    assert finished.json()["data"]["image"] == {"image_type": "image/png", "w": 80, "h": 32}
    assert (
        reason(append(as_brand, media_id, 2, b"more")) == "This upload is finalized: no more segments can be appended."
    )

    labelled_jpeg = upload_in_chunks(as_brand, png(), "image/jpeg", "dm_image")
    assert reason(as_brand.post(f"/2/media/upload/{labelled_jpeg}/finalize")) == (
        "The media is a PNG image, not the image/jpeg initialized (media_type)."
    )


def test_an_upload_is_its_initializer_s_and_status_knows_only_one_s_own(people):
    brand, maya, as_brand, as_maya = people
    media_id = initialize(as_brand, media_type="image/png", total_bytes=10, media_category="dm_image").json()["data"][
        "id"
    ]
    assert "is not an upload of yours" in reason(append(as_maya, media_id, 0, b"0123456789"))
    assert "is not an upload of yours" in reason(as_maya.post(f"/2/media/upload/{media_id}/finalize"))
    assert as_maya.get("/2/media/upload", command="STATUS", media_id=media_id).status_code == 404
    assert as_brand.get("/2/media/upload", command="STATUS", media_id=media_id).status_code == 200
    unknown = as_brand.get("/2/media/upload", command="STATUS", media_id="1880028106020515840")
    assert (
        unknown.status_code == 404
        and unknown.json()["detail"] == "Could not find media with id: [1880028106020515840]."
    )
    assert reason(as_brand.get("/2/media/upload", command="STATUS", media_id="abc")).endswith("is not a media id.")
    assert reason(as_brand.get("/2/media/upload", command="STATUS")) == "The `media_id` query parameter is missing."
    assert reason(as_brand.get("/2/media/upload", command="INIT", media_id=media_id)).startswith("The `command` value")
    assert reason(append(as_brand, "12ab", 0, b"x")) == "The `id` value [12ab] is not a media id."


def test_a_gif_is_processed_before_it_can_be_attached(people):
    brand, maya, as_brand, _ = people
    media_id = upload_in_chunks(as_brand, gif(), "image/gif", "dm_gif")
    finished = as_brand.post(f"/2/media/upload/{media_id}/finalize").json()["data"]
    assert finished["processing_info"] == {"state": "pending", "check_after_secs": 1, "progress_percent": 0}
    assert reason(dm(as_brand, maya, media_id)) == "Your media IDs are invalid."  # not processed yet
    states = [
        as_brand.get("/2/media/upload", command="STATUS", media_id=media_id).json()["data"]["processing_info"]["state"]
        for _ in range(3)
    ]
    assert states == ["in_progress", "succeeded", "succeeded"]
    assert dm(as_brand, maya, media_id).status_code == 201


def test_an_injected_processing_failure_leaves_nothing_to_attach(simulator, people):
    brand, maya, as_brand, _ = people
    assert simulator._post("media_processing", {"outcome": "failed"})["fault_id"]
    media_id = upload_in_chunks(as_brand, gif(), "image/gif", "tweet_gif")
    as_brand.post(f"/2/media/upload/{media_id}/finalize")
    status = [as_brand.get("/2/media/upload", command="STATUS", media_id=media_id).json()["data"] for _ in range(2)]
    assert [s["processing_info"]["state"] for s in status] == ["in_progress", "failed"]
    assert "image" not in status[1] and not SandboxMedia.objects.exists()
    tweet = as_brand.post("/2/tweets", {"text": "look", "media": {"media_ids": [media_id]}})
    assert reason(tweet) == "Your media IDs are invalid."
    # One upload failed, as asked; the next one is processed as usual.
    again = upload_in_chunks(as_brand, gif(), "image/gif", "tweet_gif")
    as_brand.post(f"/2/media/upload/{again}/finalize")
    for _ in range(2):
        last = as_brand.get("/2/media/upload", command="STATUS", media_id=again).json()["data"]
    assert last["processing_info"]["state"] == "succeeded"


def test_dm_media_goes_in_one_dm_unless_shared_and_only_for_its_owners_within_a_day(people):
    brand, maya, as_brand, as_maya = people
    once = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_image"})
    once_id = once.json()["data"]["id"]
    assert dm(as_brand, maya, once_id, "first").status_code == 201
    assert reason(dm(as_brand, maya, once_id, "second")) == "Your media IDs are invalid."

    shared = upload_in_chunks(as_brand, png(), "image/png", "dm_image", shared=True)
    as_brand.post(f"/2/media/upload/{shared}/finalize")
    assert dm(as_brand, maya, shared, "first").status_code == 201
    assert dm(as_brand, maya, shared, "second").status_code == 201

    for_maya = as_brand.post(
        "/2/media/upload", files={"media": ("a.png", png())},
        data={"media_category": "dm_image", "additional_owners": maya["id"]},
    )  # fmt: skip
    assert dm(as_maya, brand, for_maya.json()["data"]["id"], "mine too").status_code == 201

    stale = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_image"})
    SandboxMedia.objects.filter(media_id=stale.json()["data"]["id"]).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert reason(dm(as_brand, maya, stale.json()["data"]["id"])) == "Your media IDs are invalid."


def test_media_routes_carry_rate_limit_headers_and_want_the_oauth_header(people, app_only):
    *_, as_brand, _ = people
    answer = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_image"})
    assert answer.headers["x-rate-limit-limit"] == str(500 * 10)  # X's 500 per 15 minutes × the sandbox's multiplier
    started = initialize(as_brand, media_type="image/png", total_bytes=10, media_category="dm_image")
    assert started.headers["x-rate-limit-limit"] == str(1875 * 10)
    assert (
        app_only.post("/2/media/upload/initialize", {"media_type": "image/png", "total_bytes": 10}).status_code == 403
    )


def test_the_retired_v1_1_upload_answers_410_not_404(people):
    *_, as_brand, _ = people
    for answer in (as_brand.post("/1.1/media/upload.json", files={"media": ("a.png", png())}),
                   as_brand.get("/1.1/media/upload.json", command="STATUS", media_id="1")):  # fmt: skip
        assert answer.status_code == 410
        assert answer.json() == {
            "errors": [{"code": 251, "message": "This endpoint has been retired and should not be used."}]
        }
    assert not SandboxMedia.objects.exists()


@pytest.mark.parametrize(
    "path,body",
    [
        ("/2/media/upload", {"media": ["x"], "media_category": "dm_image"}),
        ("/2/media/upload", {"media": "", "media_category": {"a": 1}}),
        ("/2/media/upload", {"media": base64.b64encode(png()).decode(), "media_category": "dm_image",
                             "additional_owners": [1, 2]}),
        ("/2/media/upload/initialize", {"media_type": ["image/png"], "total_bytes": 10, "media_category": "dm_image"}),
        ("/2/media/upload/initialize", {"media_type": "image/png", "total_bytes": 10, "media_category": ["dm_image"]}),
        ("/2/media/upload/initialize", {"media_type": "image/png", "total_bytes": True, "media_category": "dm_image"}),
        ("/2/media/upload/initialize", {"media_type": "image/png", "total_bytes": 10, "shared": "yes"}),
        ("/2/media/upload/initialize", {"media_type": "image/png", "total_bytes": 10, "additional_owners": "me"}),
        ("/2/media/upload/1880028106020515840/append", {"media": "AAAA", "segment_index": "0"}),
        ("/2/media/upload/1880028106020515840/append", {"media": "AAAA", "segment_index": 0}),
    ],
)  # fmt: skip
def test_garbled_upload_requests_get_x_s_400_never_a_500(people, path, body):
    *_, as_brand, _ = people
    answer = as_brand.post(path, body)
    assert answer.status_code == 400 and answer.json()["title"] == "Invalid Request", answer.text
