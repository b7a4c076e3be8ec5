"""Media of events through the gateway, on the local storage backend: what organizers upload
is checked by its content, stripped of location data, downloadable by the link it comes with,
and gone when deleted (alone, or with its event)."""

from __future__ import annotations

import io
import urllib.request
from datetime import timedelta

import httpx
import pytest
from PIL import ExifTags, Image
from PIL.GifImagePlugin import GifImageFile
from sqlalchemy import func, select

from shared import process_state
from shared.config import get_settings
from shared.db import unit_of_work
from shared.media.models import Media
from shared.storage import get_storage
from shared.storage.links import signed_url
from tests.support import files
from tests.support.api import assert_problem
from tests.support.delivery import deliver_outbox
from tests.support.factories import bearer, create_event, event_body, new_user, token_for
from tests.support.outbox import emitted
from tests.support.s3 import moto_server, s3_environment


def media_path(event: dict) -> str:
    return f"/api/v1/events/{event['id']}/media"


def upload(client, event, headers, content: bytes, name: str = "x.png", claimed="image/png"):
    return client.post(media_path(event), headers=headers, files={"file": (name, content, claimed)})


def stored_objects() -> list[str]:
    root = get_settings().media_dir / "objects"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def media_rows() -> int:
    with unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Media)) or 0


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch, db_url):
    """A storage directory of this test's own."""
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    process_state.reset()
    return tmp_path / "media"


@pytest.fixture
def owner(client):
    return bearer(client, "organizer")


@pytest.fixture
def event(client, owner):
    return create_event(client, owner)


def test_upload_list_download_delete(client, owner, event):
    picture = files.png(64, 48)
    answer = upload(client, event, owner, picture, name="Poster.png")
    assert answer.status_code == 201, answer.text
    media = answer.json()
    assert media["filename"] == "Poster.png"
    assert media["content_type"] == "image/png"
    assert (media["width"], media["height"]) == (64, 48)
    assert media["size"] > 0
    assert stored_objects() == [f"events/{event['id']}/{media['id']}"]

    listed = client.get(media_path(event))  # anyone who can see the event
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == media["id"]
    download = client.get(item["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert 'filename="Poster.png"' in download.headers["content-disposition"]
    assert Image.open(io.BytesIO(download.content)).size == (64, 48)
    assert len(download.content) == media["size"]
    [uploaded] = emitted("media.uploaded")
    assert uploaded == {
        "media_id": media["id"],
        "event_id": event["id"],
        "content_type": "image/png",
        "size": media["size"],
    }

    assert client.delete(f"{media_path(event)}/{media['id']}", headers=owner).status_code == 204
    assert client.get(media_path(event)).json()["items"] == []
    assert stored_objects() == []
    assert_problem(client.get(item["url"]), 404)
    assert [d["media_id"] for d in emitted("media.deleted")] == [media["id"]]
    assert_problem(client.delete(f"{media_path(event)}/{media['id']}", headers=owner), 404)


def test_the_type_comes_from_the_content_not_the_name(client, owner, event):
    # A real PNG called .pdf (and claimed to be one) is a PNG, and is named like one.
    renamed = upload(client, event, owner, files.png(), name="scan.pdf", claimed="application/pdf")
    assert renamed.status_code == 201, renamed.text
    assert renamed.json()["content_type"] == "image/png"
    assert renamed.json()["filename"] == "scan.png"
    document = upload(client, event, owner, files.pdf(), name="../../agenda", claimed="text/plain")
    assert document.status_code == 201, document.text
    assert (document.json()["content_type"], document.json()["filename"]) == (
        "application/pdf",
        "agenda.pdf",
    )
    assert client.get(document.json()["url"]).content == files.pdf()
    animation = upload(client, event, owner, files.gif_animation(), name="wave.gif")
    assert animation.status_code == 201, animation.text
    frames = Image.open(io.BytesIO(client.get(animation.json()["url"]).content))
    assert isinstance(frames, GifImageFile)
    assert frames.n_frames == 3
    before = stored_objects()

    for content, name, claimed in [
        (files.zip_archive(), "holiday.jpg", "image/jpeg"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "a.png",
            "image/png",
        ),
        (b"just text", "notes.pdf", "application/pdf"),
        (files.truncated_jpeg(), "cut.jpg", "image/jpeg"),
        (files.gif_with_a_cut_second_frame(), "cut.gif", "image/gif"),
    ]:
        problem = assert_problem(upload(client, event, owner, content, name, claimed), 415)
        assert problem["type"] == "urn:eventmanager:problem:unsupported-media-type"
    assert stored_objects() == before
    assert media_rows() == 3


def test_location_and_camera_data_are_stripped(client, owner, event):
    phone = files.jpeg_with_location(64, 48, orientation=6)  # taken sideways
    assert Image.open(io.BytesIO(phone)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    answer = upload(client, event, owner, phone, name="IMG_0001.JPG", claimed="image/jpeg")
    assert answer.status_code == 201, answer.text
    kept = client.get(answer.json()["url"]).content
    picture = Image.open(io.BytesIO(kept))
    exif = picture.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert ExifTags.Base.Make not in exif
    assert b"PhoneMaker" not in kept
    # The orientation was applied to the pixels, so it still shows upright.
    assert picture.size == (48, 64)
    assert (answer.json()["width"], answer.json()["height"]) == (48, 64)
    assert answer.json()["filename"] == "IMG_0001.jpg"


def test_image_bombs_are_refused_before_decoding(client, owner, event, monkeypatch):
    bomb = files.png_declaring(60_000, 60_000)
    assert len(bomb) < 2048
    problem = assert_problem(upload(client, event, owner, bomb, name="bomb.png"), 422)
    assert problem["type"] == "urn:eventmanager:problem:image-dimensions-too-large"
    # Under Pillow's own guard but over ours.
    big = files.png_declaring(8_000, 6_000)
    assert_problem(upload(client, event, owner, big, name="big.png"), 422)
    monkeypatch.setenv("MEDIA_MAX_PIXELS", "1000")
    process_state.reset()
    assert_problem(upload(client, event, owner, files.png(64, 48)), 422)
    assert stored_objects() == []
    assert media_rows() == 0


def test_frames_taller_than_the_encoder_can_write_are_422(client, owner, event):
    tall = files.webp_animation_of_tall_frames()
    problem = assert_problem(upload(client, event, owner, tall, name="tall.webp"), 422)
    assert "16383 pixels on a side" in problem["detail"]
    assert media_rows() == 0


def test_many_frames_multi_picture_jpegs_and_comments(client, owner, event):
    many = files.gif_animation(301)
    problem = assert_problem(upload(client, event, owner, many, name="many.gif"), 422)
    assert "301 frames" in problem["detail"]
    mpo = upload(client, event, owner, files.multi_picture_jpeg(), name="phone.jpg")
    assert mpo.status_code == 201, mpo.text
    assert mpo.json()["content_type"] == "image/jpeg"
    noted = upload(client, event, owner, files.jpeg_with_comment(b"home: 5 Elm St"), name="c.jpg")
    assert noted.status_code == 201, noted.text
    kept = client.get(noted.json()["url"]).content
    assert b"Elm St" not in kept


def test_size_limit_while_streaming(client, owner, event, monkeypatch):
    limit = 10 * 1024 * 1024
    over = b"%PDF-1.4\n" + b"0" * limit
    problem = assert_problem(upload(client, event, owner, over, name="big.pdf"), 413)
    assert str(limit) in problem["detail"]
    exactly = b"%PDF-1.4\n" + b"0" * (limit - 9)
    assert upload(client, event, owner, exactly, name="max.pdf").status_code == 201
    monkeypatch.setenv("MEDIA_MAX_BYTES", "4096")
    process_state.reset()
    assert_problem(upload(client, event, owner, files.pdf() + b" " * 5000), 413)
    assert media_rows() == 1


def test_bad_forms_are_422(client, owner, event):
    path = media_path(event)
    assert_problem(client.post(path, headers=owner, json={"file": "x"}), 422)
    assert_problem(client.post(path, headers=owner, files={"other": ("a.png", files.png())}), 422)
    assert_problem(client.post(path, headers=owner, files={"file": ("empty.png", b"")}), 415)
    two = [("file", ("a.png", files.png())), ("file", ("b.png", files.png()))]
    assert_problem(client.post(path, headers=owner, files=two), 422)
    broken = {**owner, "content-type": "multipart/form-data; boundary=xyz"}
    assert_problem(client.post(path, headers=broken, content=b"--xyz\r\nnonsense"), 422)
    assert media_rows() == 0


def test_who_may_upload_see_and_delete(client, owner, event):
    draft = create_event(client, owner, status="draft")
    assert_problem(upload(client, event, {}, files.png()), 401)
    assert_problem(upload(client, event, bearer(client), files.png()), 403)  # a participant
    other = bearer(client, "organizer")
    assert_problem(upload(client, event, other, files.png()), 403)
    assert_problem(upload(client, draft, other, files.png()), 404)
    assert upload(client, draft, bearer(client, "admin"), files.png()).status_code == 201
    assert_problem(client.get(media_path(draft)), 404)  # drafts are the owner's
    assert len(client.get(media_path(draft), headers=owner).json()["items"]) == 1

    mine = upload(client, event, owner, files.png()).json()
    one = f"{media_path(event)}/{mine['id']}"
    assert_problem(client.delete(one, headers=other), 403)
    assert_problem(client.delete(one, headers=bearer(client)), 403)
    assert_problem(client.delete(f"{media_path(draft)}/{mine['id']}", headers=owner), 404)
    assert client.delete(one, headers=owner).status_code == 204


def test_an_event_holds_a_limited_number_of_files(client, owner, event, monkeypatch):
    monkeypatch.setenv("MEDIA_MAX_PER_EVENT", "1")
    process_state.reset()
    assert upload(client, event, owner, files.png()).status_code == 201
    problem = assert_problem(upload(client, event, owner, files.png()), 409)
    assert problem["type"] == "urn:eventmanager:problem:too-many-media"


def test_deleting_the_event_removes_its_objects(client, owner, event):
    other = create_event(client, owner)
    for _ in range(2):
        assert upload(client, event, owner, files.png()).status_code == 201
    kept = upload(client, other, owner, files.pdf(), name="a.pdf").json()
    assert len(stored_objects()) == 3
    assert client.delete(f"/api/v1/events/{event['id']}", headers=owner).status_code == 204
    assert media_rows() == 1  # the rows went with the event
    assert deliver_outbox(client, "upload_media", ("event.deleted",)) == [204]
    assert stored_objects() == [f"events/{other['id']}/{kept['id']}"]
    # Delivered again (a retry): acknowledged, nothing else removed.
    assert deliver_outbox(client, "upload_media", ("event.deleted",)) == [204]
    assert client.get(kept["url"]).status_code == 200


def test_download_links_are_signed_and_expire(client, owner, event):
    media = upload(client, event, owner, files.png()).json()
    url = media["url"]
    assert "signature=" in url
    assert "expires=" in url
    tampered = url.replace("filename=", "filename=evil")
    assert_problem(client.get(tampered), 403)
    forged = url[: url.index("signature=")] + "signature=" + "0" * 64
    assert_problem(client.get(forged), 403)
    key = f"events/{event['id']}/{media['id']}"
    expired = signed_url(key, timedelta(seconds=-1), media["filename"])
    assert "expired" in assert_problem(client.get(expired), 403)["detail"]
    assert_problem(client.get("/api/v1/files/Li4vLi4vZXRjL3Bhc3N3ZA?expires=1&signature=x"), 404)
    superscript = url[: url.index("expires=")] + "expires=%C2%B2&signature=00"  # "²"
    assert_problem(client.get(superscript), 403)


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


def test_on_s3_the_same_round_trip(client, owner, event, monkeypatch, s3_endpoint):
    for key, value in s3_environment(s3_endpoint, "media-round-trip").items():
        monkeypatch.setenv(key, value)
    process_state.reset()
    media = upload(client, event, owner, files.jpeg_with_location(), name="a.jpg").json()
    [item] = client.get(media_path(event)).json()["items"]
    assert item["url"].startswith(f"http://{s3_endpoint}/media-round-trip/events/{event['id']}/")
    with urllib.request.urlopen(item["url"], timeout=10) as answer:  # noqa: S310 - loopback
        kept = answer.read()
        assert answer.headers["content-type"] == "image/jpeg"
    assert len(kept) == media["size"]
    assert not Image.open(io.BytesIO(kept)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    key = f"events/{event['id']}/{media['id']}"
    assert get_storage().exists(key)
    assert client.delete(f"{media_path(event)}/{media['id']}", headers=owner).status_code == 204
    assert not get_storage().exists(key)

    again = upload(client, event, owner, files.pdf(), name="b.pdf").json()
    assert client.delete(f"/api/v1/events/{event['id']}", headers=owner).status_code == 204
    assert deliver_outbox(client, "upload_media", ("event.deleted",)) == [204]
    assert not get_storage().exists(f"events/{event['id']}/{again['id']}")
    # The local download route has nothing to serve when storage is S3.
    assert_problem(client.get(signed_url(key, timedelta(minutes=1))), 404)


def test_through_a_real_http_server(live_url, monkeypatch, tmp_path):
    """Streamed over a socket, as browsers send it: upload, download by the link, refusals."""
    monkeypatch.setenv("PUBLIC_URL", live_url)
    process_state.reset()
    owner = {"Authorization": f"Bearer {token_for(new_user('organizer'))}"}
    with httpx.Client(base_url=live_url, timeout=30) as http:
        event = http.post("/api/v1/events", json=event_body(), headers=owner).json()
        picture = files.png(300, 200)
        sent = http.post(media_path(event), headers=owner, files={"file": ("p.png", picture)})
        assert sent.status_code == 201, sent.text
        url = sent.json()["url"]
        assert url.startswith(f"{live_url}/api/v1/files/")
        assert Image.open(io.BytesIO(http.get(url).content)).size == (300, 200)
        over = b"%PDF-" + b"0" * (10 * 1024 * 1024)
        refused = http.post(media_path(event), headers=owner, files={"file": ("x.pdf", over)})
        assert_problem(refused, 413)
        zipped = http.post(
            media_path(event), headers=owner, files={"file": ("x.jpg", files.zip_archive())}
        )
        assert_problem(zipped, 415)
