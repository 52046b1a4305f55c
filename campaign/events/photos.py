"""Checking and cleaning uploaded photos: by content, not by name; limited in bytes and in pixels;
re-encoded as JPEG so that GPS position and every other metadata field are dropped.

Decoding is what costs time and memory, so every photo of a request is first checked from its
header alone (format, declared size), against a pixel budget per photo and one for the whole
request. Only then is anything decoded: JPEGs at 1/2, 1/4 or 1/8 scale where that is enough, and
only the first frame of an animated image.
"""
from __future__ import annotations

import io
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from campaign.core.errors import DomainError
from campaign.core.text import clean_text

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 2048
PHOTO_MAX_PIXELS = 12_000_000
REQUEST_MAX_PIXELS = 40_000_000
FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}  # MPO: a phone's multi-picture JPEG, of which the first is kept
Image.MAX_IMAGE_PIXELS = 60_000_000  # Pillow's own bomb guard, a second line behind the budget below


@dataclass
class PixelBudget:
    """The pixels one photo may have once decoded, those all photos of a request may have, and those spent."""

    per_photo: int = PHOTO_MAX_PIXELS
    per_request: int = REQUEST_MAX_PIXELS
    spent: int = 0

    @classmethod
    def from_config(cls) -> PixelBudget:
        if not has_app_context():
            return cls()
        config = current_app.config
        return cls(int(config.get("PHOTO_MAX_PIXELS", PHOTO_MAX_PIXELS)),
                   int(config.get("PHOTO_REQUEST_PIXELS", REQUEST_MAX_PIXELS)))


@dataclass
class CleanPhoto:
    content: bytes
    width: int
    height: int


def display_name(name: str | None, number: int) -> str:
    """The upload's own file name, without path or control characters, to name it in messages."""
    base = clean_text(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable())[:60]
    return base or str(_l("photo %(n)s", n=number))


def clean_photos(uploads: list[tuple[str, bytes]], budget: PixelBudget | None = None) -> list[CleanPhoto]:
    """Every upload (name, bytes) cleaned, or a DomainError naming the first one refused.

    All headers are checked before the first photo is decoded, so a request over budget costs
    almost nothing."""
    budget = budget or PixelBudget.from_config()
    opened = [_open(display_name(name, n), data, budget) for n, (name, data) in enumerate(uploads, start=1)]
    return [_clean(name, image) for name, image in opened]


def clean_photo(data: bytes, name: str = "") -> tuple[bytes, int, int]:
    """One photo: JPEG bytes without metadata, and its size in pixels."""
    photo = clean_photos([(name, data)])[0]
    return photo.content, photo.width, photo.height


def _refused(name: str, problem) -> DomainError:
    return DomainError(_l("%(name)s: %(problem)s", name=name, problem=problem), field="photos")


def _not_a_photo(name: str) -> DomainError:
    return _refused(name, _l("The file is not a photo (JPEG, PNG or WebP)."))


def _open(name: str, data: bytes, budget: PixelBudget) -> tuple[str, Image.Image]:
    """The image with only its header read (and a JPEG set to decode at a reduced scale)."""
    if len(data) > MAX_BYTES:
        raise _refused(name, _l("A photo may be at most %(mb)s MB.", mb=MAX_BYTES // 2**20))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the budget below decides
            image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG", "WEBP"))
        width, height = image.size
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # the decoder skips what the thumbnail would drop
    except Image.DecompressionBombError:
        raise _refused(name, _l("The photo declares more than %(mpx)s million pixels.",
                                mpx=2 * Image.MAX_IMAGE_PIXELS // 1_000_000)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _not_a_photo(name) from None
    if image.format not in FORMATS or not width or not height:
        raise _not_a_photo(name)
    pixels = image.width * image.height
    if pixels > budget.per_photo:
        raise _refused(name, _l("It is %(width)s × %(height)s pixels; a photo may have at most %(mpx)s million.",
                                width=width, height=height, mpx=_mpx(budget.per_photo)))
    if budget.spent + pixels > budget.per_request:
        raise _refused(name, _l("It is %(width)s × %(height)s pixels, more than is left of the %(mpx)s million "
                                "pixels that the photos of one upload may have together. Send fewer at a time.",
                                width=width, height=height, mpx=_mpx(budget.per_request)))
    budget.spent += pixels
    return name, image


def _mpx(pixels: int) -> str:
    return f"{pixels / 1_000_000:g}"


_strict = threading.Lock()
_strict_users = 0
_lenient = False


@contextmanager
def _truncated_refused():
    """WeasyPrint turns on Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported, which would
    let half a photo through as grey. Turn it off while photos decode, then give it back."""
    global _strict_users, _lenient
    with _strict:
        if not _strict_users:
            _lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        _strict_users += 1
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        with _strict:
            _strict_users -= 1
            if not _strict_users:
                ImageFile.LOAD_TRUNCATED_IMAGES = _lenient


def _clean(name: str, image: Image.Image) -> CleanPhoto:
    try:
        with _truncated_refused():
            image.load()  # the first frame only: an animated PNG or WebP is never played through
        image = _as_rgb(image)
        factor = max(image.width, image.height) // (2 * MAX_SIDE)
        if factor > 1:
            image = image.reduce(factor)  # a cheap box step first; the thumbnail's filter does the rest
        ImageOps.exif_transpose(image, in_place=True)  # keep it upright once the orientation tag is gone
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: nothing carried over
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError):
        # Pillow reports a truncated or corrupt file with any of these.
        raise _refused(name, _l("The photo is damaged or incomplete.")) from None
    return CleanPhoto(out.getvalue(), image.width, image.height)


def _as_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB from whatever the file holds: 16-bit grey, CMYK, a palette, transparency on white."""
    if image.mode.startswith("I") or image.mode == "F":
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("P", "PA", "LA", "La", "RGBA", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, (255, 255, 255))
        image.paste(rgba, mask=rgba.getchannel("A"))
    return image if image.mode == "RGB" else image.convert("RGB")
