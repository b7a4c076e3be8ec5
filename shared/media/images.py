"""Images are decoded before they are kept: a file that does not decode as what its first
bytes say is refused, one whose pixels would not fit in memory is refused before decoding,
and what is kept is re-encoded from the pixels alone, so EXIF (GPS position, camera serial),
XMP and text chunks are gone. Orientation is applied to the pixels first, so nothing turns
sideways when the EXIF tag goes."""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image, ImageOps

from shared.media.errors import ImageTooBig, UnsupportedMedia
from shared.media.kinds import MediaKind

SPOOL_BYTES = 1024 * 1024
# Each frame costs a decode and an encode whatever its size: an animation of 400,000 tiny
# frames is under any pixel limit and still takes a minute and a gigabyte.
MAX_FRAMES = 300
# Pillow's decoders and encoders raise many kinds of errors on a malformed file (struct.error
# from a short GIF block, RuntimeError from libwebp's encoder, SyntaxError, KeyError, ...):
# whatever they raise while reading or re-encoding these bytes, the file is what cannot be
# handled, so every one is a clear refusal, never a 500. Running out of memory is ours.
# Sides the re-encoders cannot write (libwebp's limit; libjpeg's): refused before decoding.
MAX_SIDE = {"WEBP": 16383, "JPEG": 65500}


@dataclass
class CleanImage:
    file: IO[bytes]
    width: int
    height: int


# A picture at the pixel limit takes about 300 MB while it is re-encoded: one at a time per
# process keeps an instance inside its memory limit (uploads wait their turn, briefly).
_DECODING = threading.BoundedSemaphore(1)


def clean_image(source: IO[bytes], kind: MediaKind, max_pixels: int) -> CleanImage:
    with _DECODING:
        return _clean(source, kind, max_pixels)


def _clean(source: IO[bytes], kind: MediaKind, max_pixels: int) -> CleanImage:
    assert kind.image_format is not None
    try:
        image = Image.open(source, formats=[kind.image_format])
        frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as error:
        raise ImageTooBig(_too_big(max_pixels)) from error
    except MemoryError:
        raise
    except Exception as error:  # see above: any failure of Pillow's on these bytes
        raise UnsupportedMedia(
            f"The file starts like {kind.content_type} but is not one."
        ) from error
    width, height = image.size
    side = MAX_SIDE.get(kind.image_format)
    if side is not None and max(width, height) > side:
        raise ImageTooBig(
            f"{width}×{height} pixels: {kind.image_format} images are at most {side} pixels "
            "on a side."
        )
    if kind.image_format == "JPEG":
        # Phones write multi-picture JPEGs (MPO: depth or gain maps): keep the picture itself.
        image.seek(0)
        frames = 1
    if frames > MAX_FRAMES:
        raise ImageTooBig(f"{frames} frames is more than {MAX_FRAMES}.")
    if width * height * frames > max_pixels:
        raise ImageTooBig(
            f"{width}×{height} pixels{f' × {frames} frames' if frames > 1 else ''} is more "
            f"than {max_pixels} pixels; {_too_big(max_pixels)}"
        )
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
    try:
        if frames > 1:
            image.save(output, kind.image_format, save_all=True, **_options(image, kind))
        else:
            upright = ImageOps.exif_transpose(image)
            upright.save(output, kind.image_format, **_options(upright, kind))
            width, height = upright.size
    except Image.DecompressionBombError as error:
        output.close()
        raise ImageTooBig(_too_big(max_pixels)) from error
    except MemoryError:
        output.close()
        raise
    except Exception as error:  # see above: any failure of Pillow's on these bytes
        output.close()
        raise UnsupportedMedia(
            f"The {kind.content_type} image could not be decoded and re-encoded."
        ) from error
    output.seek(0)
    return CleanImage(output, width, height)


def _options(image: Image.Image, kind: MediaKind) -> dict[str, Any]:
    """Only what the picture needs to look the same: its colour profile, and quality for
    lossy formats. No `exif`, `xmp` or text: they are not carried over."""
    options: dict[str, Any] = {}
    # Pillow writes a JPEG COM or GIF comment it read back out: it is text, it goes.
    image.info.pop("comment", None)
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if kind.image_format in ("JPEG", "WEBP"):
        options["quality"] = 90
    return options


def _too_big(max_pixels: int) -> str:
    return f"send a picture of at most {max_pixels // 1_000_000} megapixels."
