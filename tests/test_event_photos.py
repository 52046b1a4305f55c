"""Hostile photos: refused from their header, within a pixel budget, fast, and saving nothing."""
import io
import struct
import time
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image, ImageFile

from campaign.core.errors import DomainError
from campaign.events.models import EventPhoto, PublicityEvent
from campaign.events.photos import MAX_SIDE, PixelBudget, clean_photo, clean_photos
from campaign.extensions import db

from .test_events import jpeg_with_gps, post_event


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, rows: int | None = None) -> bytes:
    """An RGB PNG of one colour, written row by row; ``rows`` stops the data short of its header's claim."""
    packer = zlib.compressobj(9)
    row = b"\0" + bytes(3 * width)
    data = b"".join(packer.compress(row) for _ in range(height if rows is None else rows)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    """7,700 × 7,700 pixels of one colour: a few hundred KB on the wire, 178 MB once decoded."""
    return png(7700, 7700)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_six_huge_pngs_in_one_request_are_refused_fast_and_save_nothing(app, client, auth, county, huge_png):
    auth.login("official_a")
    started = time.perf_counter()
    response = post_event(client, photos=[huge_png] * 6)
    elapsed = time.perf_counter() - started
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert elapsed < 3, f"the request held the worker for {elapsed:.1f} s"
    assert "p0.jpg" in page and "7700 × 7700" in page
    with app.app_context():
        assert count(PublicityEvent) == 0 and count(EventPhoto) == 0


def test_a_huge_png_is_refused_from_its_header_without_decoding(huge_png):
    started = time.perf_counter()
    with pytest.raises(DomainError) as caught:
        clean_photo(huge_png, "院落会.png")
    assert time.perf_counter() - started < 0.5
    assert "院落会.png" in str(caught.value) and "7700 × 7700" in str(caught.value)


def test_a_png_claiming_100000_by_100000_pixels_is_refused():
    data = png(100_000, 100_000, rows=1)
    assert len(data) < 2000
    with pytest.raises(DomainError) as caught:
        clean_photo(data, "bomb.png")
    assert "bomb.png" in str(caught.value)


def test_photos_together_over_the_request_budget_are_refused_before_any_is_decoded():
    photo = encoded(Image.new("RGB", (100, 100), (1, 2, 3)), "PNG")
    budget = PixelBudget(per_photo=10_000, per_request=25_000)
    assert len(clean_photos([("a.png", photo), ("b.png", photo)], budget)) == 2
    with pytest.raises(DomainError) as caught:
        clean_photos([("a.png", photo), ("b.png", photo), ("c.png", photo)],
                     PixelBudget(per_photo=10_000, per_request=25_000))
    assert "c.png" in str(caught.value)


def test_the_budgets_come_from_the_configuration(ctx):
    ctx.config.update(PHOTO_MAX_PIXELS=5_000, PHOTO_REQUEST_PIXELS=9_000)
    assert PixelBudget.from_config() == PixelBudget(per_photo=5_000, per_request=9_000)
    with pytest.raises(DomainError):
        clean_photo(encoded(Image.new("RGB", (100, 100)), "PNG"))


def test_a_large_phone_photo_is_accepted_scaled_down_and_loses_its_location(app, client, auth, county):
    original = jpeg_with_gps((4000, 3000))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    auth.login("official_a")
    assert post_event(client, photos=[original]).status_code == 302
    with app.app_context():
        photo = db.session.scalar(sa.select(EventPhoto))
        image = Image.open(io.BytesIO(photo.content))
        assert (photo.width, photo.height) == image.size == (MAX_SIDE, 1536)
        assert not image.getexif() and b"PhoneMaker" not in photo.content


def test_a_48_megapixel_jpeg_is_decoded_at_a_reduced_scale():
    """8,000 × 6,000 is over the per-photo budget at full size, but a JPEG decodes at 1/2 scale."""
    started = time.perf_counter()
    _, width, height = clean_photo(encoded(Image.new("RGB", (8000, 6000), (9, 9, 9)), "JPEG"))
    assert (width, height) == (MAX_SIDE, 1536)
    assert time.perf_counter() - started < 3


def test_a_truncated_photo_is_refused_as_damaged_even_with_weasyprints_lenient_setting(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what importing WeasyPrint does
    noise = Image.effect_noise((600, 400), 60).convert("RGB")
    for fmt in ("JPEG", "PNG"):
        data = encoded(noise, fmt)
        with pytest.raises(DomainError) as caught:
            clean_photo(data[: len(data) // 2], f"cut.{fmt.lower()}")
        assert f"cut.{fmt.lower()}" in str(caught.value)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # given back for WeasyPrint's own images


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_animated_image_keeps_only_its_first_frame(fmt):
    frames = [Image.new("RGB", (64, 48), colour) for colour in ((250, 0, 0), (0, 250, 0), (0, 0, 250))]
    data = encoded(frames[0], fmt, save_all=True, append_images=frames[1:], lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    content, width, height = clean_photo(data)
    image = Image.open(io.BytesIO(content))
    assert (width, height) == (64, 48) and getattr(image, "n_frames", 1) == 1
    red, green, blue = image.convert("RGB").getpixel((32, 24))
    assert red > 200 and green < 50 and blue < 50


@pytest.mark.parametrize("image, fmt", [
    (Image.new("I;16", (40, 30), 40000), "PNG"),
    (Image.new("CMYK", (40, 30), (0, 200, 200, 0)), "JPEG"),
    (Image.new("P", (40, 30), 3), "PNG"),
    (Image.new("RGBA", (40, 30), (0, 0, 0, 0)), "PNG"),
    (Image.new("LA", (40, 30), (90, 255)), "WEBP"),
    (Image.new("1", (40, 30), 1), "PNG"),
], ids=["16-bit grey", "CMYK", "palette", "transparent", "grey with alpha", "black and white"])
def test_unusual_colour_modes_become_plain_rgb_jpegs(image, fmt):
    content, width, height = clean_photo(encoded(image, fmt))
    cleaned = Image.open(io.BytesIO(content))
    assert cleaned.format == "JPEG" and cleaned.mode == "RGB" and (width, height) == (40, 30)
    if image.mode == "RGBA":
        assert cleaned.getpixel((20, 15)) == (255, 255, 255)  # transparent shows as white, not black


def test_a_phones_multi_picture_jpeg_is_accepted():
    first, second = Image.new("RGB", (80, 60), (200, 10, 10)), Image.new("RGB", (80, 60), (10, 10, 200))
    data = encoded(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    assert clean_photo(data)[1:] == (80, 60)


def test_a_gif_or_a_file_with_a_path_for_a_name_is_refused_with_a_clean_name():
    gif = encoded(Image.new("P", (10, 10)), "GIF")
    with pytest.raises(DomainError) as caught:
        clean_photo(gif, "C:\\Users\\x\\动图\x00.gif")
    assert "动图.gif" in str(caught.value) and "Users" not in str(caught.value)


def test_the_worst_accepted_request_stays_within_a_few_seconds():
    """Three 12-megapixel PNGs of detail, the most the request budget lets through, decoded in full:
    about 1.5 s of processor time. Counted in processor time, so that a busy test machine does not
    make it fail."""
    detail = Image.effect_noise((4000, 3000), 30).convert("RGB").reduce(8).resize((4000, 3000))
    data = encoded(detail, "PNG", compress_level=1)
    started = time.process_time()
    photos = clean_photos([(f"{n}.png", data) for n in range(3)])
    assert len(photos) == 3 and time.process_time() - started < 4
