"""MinIO/S3 through the official `minio` client.

Functions reach storage at `S3_ENDPOINT`; clients may reach it elsewhere
(`S3_PUBLIC_ENDPOINT`, e.g. a public host in front of MinIO), so presigned URLs are signed by
a second client configured for that address. Its region is given, so signing a URL never
calls the public address. The bucket is created on first use when missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import IO, BinaryIO, TypeVar, cast

import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error

from shared.config import Settings
from shared.storage.base import (
    PART_SIZE,
    Storage,
    StorageUnavailable,
    StoredObject,
    attachment,
    check_key,
    check_prefix,
)

T = TypeVar("T")
MISSING = {"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"}
# A function answers a person: a storage outage must not hold a request for minutes.
TIMEOUT = urllib3.Timeout(connect=5, read=30)
RETRIES = urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504])


def endpoint(value: str, secure: bool) -> tuple[str, bool]:
    """`host:port`, or a URL whose scheme says whether TLS is used."""
    if "://" in value:
        scheme, _, rest = value.partition("://")
        return rest.rstrip("/"), scheme.lower() == "https"
    return value.rstrip("/"), secure


class S3Storage(Storage):
    def __init__(self, client: Minio, signer: Minio, bucket: str) -> None:
        self.client = client
        self.signer = signer
        self.bucket = bucket
        self._bucket_ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        assert settings.s3_endpoint
        credentials = {
            "access_key": settings.s3_access_key,
            "secret_key": settings.s3_secret_key,
            "region": settings.s3_region,
        }
        host, secure = endpoint(settings.s3_endpoint, settings.s3_secure)
        http = urllib3.PoolManager(timeout=TIMEOUT, retries=RETRIES, maxsize=10)
        client = Minio(host, secure=secure, http_client=http, **credentials)  # type: ignore[arg-type]
        signer = client
        if settings.s3_public_endpoint:
            public, public_secure = endpoint(settings.s3_public_endpoint, secure)
            signer = Minio(public, secure=public_secure, **credentials)  # type: ignore[arg-type]
        return cls(client, signer, settings.s3_bucket)

    def _call(self, action: Callable[[], T]) -> T:
        self._ensure_bucket()
        try:
            return action()
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as error:
            raise StorageUnavailable("Object storage did not answer; try again.") from error

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._lock:
            if self._bucket_ready:
                return
            try:
                if not self.client.bucket_exists(self.bucket):
                    self.client.make_bucket(self.bucket)
            except S3Error as error:
                # Another instance made it meanwhile.
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise StorageUnavailable("Object storage refused the bucket.") from error
            except (MinioException, urllib3.exceptions.HTTPError, OSError) as error:
                raise StorageUnavailable("Object storage did not answer; try again.") from error
            self._bucket_ready = True

    def put(self, key: str, stream: IO[bytes], length: int, content_type: str) -> StoredObject:
        check_key(key)
        self._call(
            lambda: self.client.put_object(
                self.bucket,
                key,
                cast(BinaryIO, stream),
                length,
                content_type=content_type,
                # Unknown length: uploaded in parts, never held whole.
                part_size=PART_SIZE if length < 0 else 0,
            )
        )
        stored = self.stat(key)
        assert stored is not None
        return stored

    def presigned_url(self, key: str, expires: timedelta, *, filename: str | None = None) -> str:
        check_key(key)
        headers = {"response-content-disposition": attachment(filename)} if filename else None
        return self.signer.presigned_get_object(
            self.bucket,
            key,
            expires=expires,
            response_headers=headers,  # type: ignore[arg-type]
        )

    def stat(self, key: str) -> StoredObject | None:
        check_key(key)

        def read() -> StoredObject | None:
            try:
                found = self.client.stat_object(self.bucket, key)
            except S3Error as error:
                if error.code in MISSING:
                    return None
                raise
            return StoredObject(
                key, found.size or 0, found.content_type or "application/octet-stream"
            )

        return self._call(read)

    def delete(self, key: str) -> None:
        check_key(key)
        self._call(lambda: self.client.remove_object(self.bucket, key))

    def delete_prefix(self, prefix: str) -> int:
        check_prefix(prefix)

        def remove() -> int:
            names = [
                item.object_name
                for item in self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
                if item.object_name
            ]
            if names:
                failures = list(
                    self.client.remove_objects(self.bucket, [DeleteObject(n) for n in names])
                )
                if failures:
                    raise OSError(f"{len(failures)} objects under {prefix} were not removed")
            return len(names)

        return self._call(remove)
