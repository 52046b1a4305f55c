"""Checking and cleaning uploaded photos: by content, not by name; limited in size; re-encoded
as JPEG so that GPS position and every other metadata field are dropped."""
from __future__ import annotations

import io
import warnings

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from campaign.core.errors import DomainError

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 2048
FORMATS = {"JPEG", "PNG", "WEBP"}
Image.MAX_IMAGE_PIXELS = 60_000_000


def clean_photo(data: bytes) -> tuple[bytes, int, int]:
    """JPEG bytes without metadata, and the size in pixels. Raises DomainError for anything else."""
    if len(data) > MAX_BYTES:
        raise DomainError(_l("A photo may be at most %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)), field="photos")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            kind = probe.format
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise DomainError(_l("The file is not a photo (JPEG, PNG or WebP)."), field="photos") from None
    if kind not in FORMATS:
        raise DomainError(_l("The file is not a photo (JPEG, PNG or WebP)."), field="photos")
    image = ImageOps.exif_transpose(image)  # keep it upright once the orientation tag is gone
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: nothing carried over
    return out.getvalue(), image.width, image.height
