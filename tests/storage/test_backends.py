"""Both storage backends keep the same promises: streamed puts of known and unknown length,
stat, links that download, idempotent deletes, deletion by prefix that stays in its folder."""

from __future__ import annotations

import io
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from shared import process_state
from shared.storage import InvalidKey, Storage, get_storage
from shared.storage.local import LocalStorage
from shared.storage.s3 import S3Storage
from tests.support.s3 import moto_server, s3_environment


class Trickle(io.RawIOBase):
    """A stream of unknown length that gives a few bytes per read, like a socket."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.data[self.position : self.position + min(len(buffer), 4096)]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path, monkeypatch) -> Iterator[Storage]:
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PUBLIC_URL", "http://127.0.0.1:9")
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        # A bucket nobody made: the backend creates it.
        for key, value in s3_environment(endpoint, f"b-{uuid.uuid4().hex[:12]}").items():
            monkeypatch.setenv(key, value)
    process_state.reset()
    yield get_storage()
    process_state.reset()


def fetch(storage: Storage, key: str, filename: str | None = None) -> tuple[bytes, str]:
    url = storage.presigned_url(key, timedelta(minutes=5), filename=filename)
    if isinstance(storage, LocalStorage):
        # The local link is served by the gateway (tests/functions cover that route).
        assert url.startswith("http://127.0.0.1:9/api/v1/files/")
        stored = storage.stat(key)
        assert stored is not None
        return storage.path_of(key).read_bytes(), stored.content_type
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - our loopback server
        return answer.read(), answer.headers["content-disposition"] or ""


def test_put_stat_download_delete(storage):
    key = "events/e1/m1"
    stored = storage.put(key, io.BytesIO(b"hello"), 5, "application/pdf")
    assert (stored.size, stored.content_type) == (5, "application/pdf")
    assert storage.exists(key)
    body, extra = fetch(storage, key, filename="Grüße.pdf")
    assert body == b"hello"
    if isinstance(storage, S3Storage):
        assert "Gr%C3%BC%C3%9Fe.pdf" in extra
    storage.delete(key)
    assert storage.stat(key) is None
    storage.delete(key)  # twice is fine


def test_unknown_length_streams_in_parts(storage):
    data = bytes(range(256)) * (9 * 4096 + 7)  # over one 8 MiB part
    stored = storage.put("events/e1/big", io.BufferedReader(Trickle(data)), -1, "image/png")
    assert stored.size == len(data)
    assert fetch(storage, "events/e1/big")[0] == data


def test_delete_by_prefix_stays_in_its_folder(storage):
    for key in ("events/a/1", "events/a/2", "events/ab/1", "reports/a/1"):
        storage.put(key, io.BytesIO(b"x"), 1, "text/csv")
    assert storage.delete_prefix("events/a/") == 2
    assert not storage.exists("events/a/1")
    assert storage.exists("events/ab/1")
    assert storage.exists("reports/a/1")
    assert storage.delete_prefix("events/a/") == 0


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "a/../b", "", "a b", "a/"])
def test_keys_cannot_leave_the_store(storage, key):
    with pytest.raises(InvalidKey):
        storage.put(key, io.BytesIO(b"x"), 1, "text/plain")
    with pytest.raises(InvalidKey):
        storage.delete_prefix("events")  # a prefix is a folder


def test_presigned_urls_are_built_for_the_public_endpoint(s3_endpoint, monkeypatch, tmp_path):
    for key, value in s3_environment(s3_endpoint, "public-bucket").items():
        monkeypatch.setenv(key, value)
    port = s3_endpoint.rsplit(":", 1)[1]
    monkeypatch.setenv("S3_PUBLIC_ENDPOINT", f"http://localhost:{port}")
    process_state.reset()
    storage = get_storage()
    storage.put("reports/r1.csv", io.BytesIO(b"a,b\n"), 4, "text/csv")
    url = storage.presigned_url("reports/r1.csv", timedelta(hours=24))
    assert url.startswith(f"http://localhost:{port}/public-bucket/reports/r1.csv?")
    assert "X-Amz-Expires=86400" in url
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
        assert answer.read() == b"a,b\n"
    process_state.reset()


def test_storage_down_is_503_not_500(monkeypatch, tmp_path):
    from shared.storage import StorageUnavailable

    for key, value in s3_environment("127.0.0.1:9", "nowhere").items():
        monkeypatch.setenv(key, value)
    process_state.reset()
    with pytest.raises(StorageUnavailable):
        get_storage().put("events/a/b", io.BytesIO(b"x"), 1, "text/plain")
    process_state.reset()
