"""Files as people upload them: real pictures made with Pillow, and the ones that lie."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import ExifTags, Image

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (13.0, 24.0, 1.0),
}


def png(width: int = 64, height: int = 48, color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_location(width: int = 64, height: int = 48, *, orientation: int = 1) -> bytes:
    """A phone picture: GPS position, camera make, an orientation tag."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = GPS
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def gif_animation(frames: int = 3) -> bytes:
    # Each frame its own colour: a GIF encoder merges identical neighbours.
    pictures = [
        Image.new("RGB", (20, 20), ((i * 80) % 256, (i * 7) % 256, 255 - (i * 80) % 256))
        for i in range(frames)
    ]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=100)
    return buffer.getvalue()


def multi_picture_jpeg() -> bytes:
    """What phones write with a depth or gain map: an MPO, JPEG by its first bytes."""
    first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


def jpeg_with_comment(comment: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(buffer, "JPEG", comment=comment)
    return buffer.getvalue()


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inside.txt", "not a picture")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A decompression bomb: a few hundred bytes whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 65536, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    whole = jpeg_with_location(400, 300)
    return whole[: len(whole) // 3]


def gif_with_a_cut_second_frame() -> bytes:
    """A 1x1 GIF whose second frame's descriptor stops after 3 bytes (Pillow: struct.error)."""
    screen = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    frame = b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"
    return screen + frame + b",\x00\x00\x00"


def webp(frames: int = 1, size: tuple[int, int] = (16, 16)) -> bytes:
    pictures = [Image.new("RGB", size, (i * 60 % 256, 90, 200)) for i in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "WEBP", save_all=frames > 1, append_images=pictures[1:], lossless=True)
    return buffer.getvalue()


def webp_animation_of_tall_frames() -> bytes:
    """Two tiny frames on a canvas declared 16x1,048,580 (VP8X holds 24-bit sides; libwebp's
    encoder takes at most 16,383: Pillow's RuntimeError)."""
    data = bytearray(webp(frames=2))
    canvas = data.index(b"VP8X") + 8
    data[canvas + 7 : canvas + 10] = (1_048_580 - 1).to_bytes(3, "little")
    return bytes(data)
