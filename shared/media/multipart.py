"""Receiving one file from a multipart/form-data body as it streams in.

The body is read chunk by chunk into a temporary file that stays in memory only up to
`SPOOL_BYTES`; its type is decided from its first bytes as soon as they arrive, and counting
stops the upload the moment it passes the limit, so a wrong or oversized file is refused
without being read to its end or ever held whole.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from shared.media.errors import MediaTooLarge, NoFile, UnsupportedMedia
from shared.media.kinds import ACCEPTED, SNIFF_BYTES, MediaKind, sniff

SPOOL_BYTES = 1024 * 1024
FIELD = b"file"


@dataclass
class ReceivedFile:
    file: IO[bytes]
    filename: str | None
    kind: MediaKind
    size: int


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    is_file: bool = False
    filename: str | None = None


class _Receiver:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.part = _Part()
        self.header_name = b""
        self.header_value = b""
        self.file: IO[bytes] | None = None
        self.filename: str | None = None
        self.head = b""
        self.kind: MediaKind | None = None
        self.size = 0
        self.done = False

    # python-multipart callbacks, called from `parser.write`.
    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self.header_name.lower()] = self.header_value
        self.header_name = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if options.get(b"name") != FIELD:
            return  # other form fields are ignored
        if self.file is not None:
            raise NoFile("Send one file per upload.")
        self.part.is_file = True
        raw = options.get(b"filename")
        self.filename = raw.decode("utf-8", "replace") if raw is not None else None
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.part.is_file:
            return
        assert self.file is not None
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.limit:
            raise MediaTooLarge(f"The file is larger than {self.limit} bytes.")
        if self.kind is None:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
            if len(self.head) >= SNIFF_BYTES:
                self._decide()
        self.file.write(chunk)

    def on_part_end(self) -> None:
        if self.part.is_file:
            if self.kind is None:
                self._decide()
            self.part.is_file = False

    def on_end(self) -> None:
        self.done = True

    def _decide(self) -> None:
        self.kind = sniff(self.head)
        if self.kind is None:
            accepted = ", ".join(kind.content_type for kind in ACCEPTED)
            raise UnsupportedMedia(f"By its content this file is none of: {accepted}.")


async def receive_file(
    content_type: str | None, stream: AsyncIterator[bytes], *, limit: int
) -> ReceivedFile:
    """The `file` field of a multipart/form-data body; 413 past `limit` bytes, 415 when the
    first bytes are no accepted kind, 422 when there is no file."""
    mime, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise NoFile("Send the file as multipart/form-data in a field named `file`.")
    receiver = _Receiver(limit)
    callbacks = {
        name: getattr(receiver, name)
        for name in dir(receiver)
        if name.startswith("on_") and callable(getattr(receiver, name))
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
        if receiver.file is None or receiver.kind is None or receiver.size == 0:
            raise NoFile("The form has no (non-empty) field named `file`.")
        if not receiver.done:
            raise NoFile("The multipart body ended early.")
    except MultipartParseError as error:
        _close(receiver)
        raise NoFile("The multipart body is malformed.") from error
    except ClientDisconnect:
        _close(receiver)
        raise NoFile("The upload was interrupted before its end.") from None
    except BaseException:
        _close(receiver)
        raise
    receiver.file.seek(0)
    return ReceivedFile(receiver.file, receiver.filename, receiver.kind, receiver.size)


def _close(receiver: _Receiver) -> None:
    if receiver.file is not None:
        receiver.file.close()
