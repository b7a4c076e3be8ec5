"""The image cleaner on thousands of damaged files: each comes back clean, or is refused with
one of the documented errors (415 UnsupportedMedia, 422 ImageTooBig); nothing else escapes,
so no upload can answer 500. Seeded mutations of real files of every image kind: the same
files on every run, a few seconds in all."""

from __future__ import annotations

import io
import random
import time
import warnings
from collections import Counter
from collections.abc import Callable

import pytest
from PIL import Image

from shared.media.errors import ImageTooBig, UnsupportedMedia
from shared.media.images import clean_image
from shared.media.kinds import GIF, JPEG, PNG, WEBP, MediaKind, sniff
from tests.support import files

MUTANTS_PER_SEED = 1500
# Small on purpose: the fuzz is about which errors come out, and a mutant that declares a
# large picture under the default limit would spend seconds decoding it.
PIXEL_LIMIT = 250_000


def _jpeg() -> bytes:
    return files.jpeg_with_location(48, 32, orientation=6)


SEEDS: dict[str, tuple[MediaKind, Callable[[], bytes]]] = {
    "jpeg": (JPEG, _jpeg),
    "mpo-jpeg": (JPEG, files.multi_picture_jpeg),
    "png": (PNG, lambda: files.png(40, 30)),
    "webp": (WEBP, files.webp),
    "webp-animation": (WEBP, lambda: files.webp(frames=3)),
    "gif-animation": (GIF, lambda: files.gif_animation(3)),
}


def mutate(original: bytes, rng: random.Random) -> bytes:
    """Flip, overwrite, insert, delete or cut bytes, keeping the magic number (the cleaner
    only sees files whose first bytes named its kind)."""
    data = bytearray(original)
    keep = 12
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        where = rng.randrange(keep, max(keep + 1, len(data)))
        if choice < 0.35 and where < len(data):
            data[where] ^= 1 << rng.randrange(8)
        elif choice < 0.6 and where < len(data):
            data[where] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif choice < 0.75:
            data[where:where] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice < 0.9:
            del data[where : where + rng.randint(1, 16)]
        else:
            del data[where:]
    return bytes(data)


@pytest.mark.parametrize("seed_name", sorted(SEEDS))
def test_damaged_images_are_cleaned_or_refused_never_anything_else(seed_name):
    kind, make = SEEDS[seed_name]
    original = make()
    rng = random.Random(f"{seed_name}-2026")
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns of corrupt EXIF and big pictures
        for _ in range(MUTANTS_PER_SEED):
            mutant = mutate(original, rng)
            assert sniff(mutant[:16]) == kind
            try:
                cleaned = clean_image(io.BytesIO(mutant), kind, PIXEL_LIMIT)
            except (UnsupportedMedia, ImageTooBig) as refused:
                outcomes[type(refused).__name__] += 1
                continue
            # What is kept decodes as its kind again.
            with Image.open(cleaned.file, formats=[kind.image_format or ""]) as again:
                again.load()
                assert again.size == (cleaned.width, cleaned.height)
            outcomes["clean"] += 1
    # Every path was taken: the mutations are neither all harmless nor all fatal.
    assert outcomes["clean"] > 0, outcomes
    assert outcomes["UnsupportedMedia"] > 0, outcomes
    assert time.monotonic() - started < 60, outcomes


def test_the_files_that_once_answered_500():
    """Found by the audit: a GIF cut in its second frame (struct.error) and an animated WebP
    on a canvas its encoder cannot write (RuntimeError)."""
    with pytest.raises(UnsupportedMedia):
        clean_image(io.BytesIO(files.gif_with_a_cut_second_frame()), GIF, 40_000_000)
    with pytest.raises(ImageTooBig):
        clean_image(io.BytesIO(files.webp_animation_of_tall_frames()), WEBP, 40_000_000)
