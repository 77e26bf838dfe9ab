"""Uploaded photos: check and clean the image, store the JPEG, attach it to a ticket.

`process` is pure (bytes in, bytes out; CPU-bound, run it in a thread): the real type is sniffed
from the bytes (JPEG, PNG, HEIC/HEIF; anything else is refused, whatever its name or Content-Type),
the declared pixel count is checked before anything is decoded (decompression bombs), then the
image is turned upright (EXIF Orientation), scaled to at most MAX_SIDE on its longest side and
re-encoded as a JPEG without EXIF or XMP (no GPS, no camera serial). The file lives at
data_dir/photos/<photo_id>.jpg; the `photo` row says whose it is, of which kind, and the ticket it
was attached to once the report or action naming it succeeded.
"""

import hashlib
import io
import math
import os
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import filetype
import pillow_heif
from PIL import Image
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.photos import PhotoKind
from readmodel.tickets.tables import Photo

pillow_heif.register_heif_opener()

MAX_BYTES = 15 * 1024 * 1024  # 15 MiB as uploaded
MAX_PIXELS = 40_000_000  # 40 MP as declared in the file's header
MAX_SIDE = 1600  # longest side of the stored JPEG
JPEG_QUALITY = 82
# Sniffed type → the Pillow decoder allowed for it.
ALLOWED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIF", "image/heif": "HEIF"}
PHOTO_ID_PATTERN = r"^[0-9a-f]{32}$"
TILE_SIDE = 1448  # of the decoded image scaled at a time: ~2 MP, 8 MB as RGBA
ORIENTATION = 0x0112  # EXIF (or XMP) Orientation → the turn that makes the photo upright
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoRefused(Exception):
    """An upload that cannot be stored: status 413 (too large), 415 (type) or 422 (unreadable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Processed:
    jpeg: bytes
    width: int
    height: int
    source_type: str
    sha256: str


def sniff(data: bytes) -> str:
    """The allowed MIME type the bytes really are; PhotoRefused(415) otherwise."""
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in ALLOWED:
        found = kind.mime if kind else "not an image"
        raise PhotoRefused(415, f"only JPEG, PNG and HEIC photos are accepted (this is {found})")
    return kind.mime


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    if max(width, height) <= max_side:
        return size
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _span(
    first: int, last: int, scale: float, factor: int, length: int
) -> tuple[int, int, float, float]:
    """Along one axis: the source pixels output pixels [first, last) are made from (with all
    the filter reads beyond them, on the reduction's grid so a tile reduces the same blocks as
    the whole image would), and where [first, last) falls in that crop once reduced."""
    reach = math.ceil(2 * max(scale, 1)) + 2 * factor + 1  # BICUBIC: 2 pixels, scaled
    low, high = first * scale, last * scale
    crop_low = max(0, (math.floor(low) - reach) // factor * factor)
    crop_high = min(length, -(-(math.ceil(high) + reach) // factor) * factor)
    return crop_low, crop_high, (low - crop_low) / factor, (high - crop_low) / factor


def _even(length: int, most: float) -> int:
    """Output pixels per tile along an axis: at most `most` (at least 1), tiles alike."""
    tiles = math.ceil(length / max(1, int(most)))
    return math.ceil(length / tiles)


def _scaled(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The decoded image at `size`, RGB, transparent parts (PNG screenshots) on white.

    Scaled a tile at a time (the same result as in one go, up to rounding): converting or
    resampling the whole image would hold a second full-size copy of it (RGBA is premultiplied
    into one), doubling a photo's memory. As Image.thumbnail: box-reduced to at least twice the
    size, then BICUBIC."""
    alpha = _has_alpha(image)
    (width, height), (out_width, out_height) = image.size, size
    sx, sy = width / out_width, height / out_height
    fx, fy = max(1, int(sx / 2)), max(1, int(sy / 2))
    cols, rows = _even(out_width, TILE_SIDE / sx), _even(out_height, TILE_SIDE / sy)
    out = Image.new("RGBa" if alpha else "RGB", size)
    for top in range(0, out_height, rows):
        bottom = min(out_height, top + rows)
        y0, y1, box_top, box_bottom = _span(top, bottom, sy, fy, height)
        for left in range(0, out_width, cols):
            right = min(out_width, left + cols)
            x0, x1, box_left, box_right = _span(left, right, sx, fx, width)
            tile = image.crop((x0, y0, x1, y1)).convert("RGBA" if alpha else "RGB")
            if alpha:
                tile = tile.convert("RGBa")  # premultiplied: no dark fringes
            if (fx, fy) != (1, 1):
                tile = tile.reduce((fx, fy))
            out.paste(
                tile.resize(
                    (right - left, bottom - top),
                    Image.Resampling.BICUBIC,
                    box=(box_left, box_top, box_right, box_bottom),
                ),
                (left, top),
            )
    if not alpha:
        return out
    rgba = out.convert("RGBA")
    canvas = Image.new("RGB", size, (255, 255, 255))
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def process(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
) -> Processed:
    """Check, turn upright, scale down and re-encode one uploaded photo (pure, CPU-bound).

    Memory (docs/input.md): the decoded image is the only full-size buffer; JPEGs are decoded
    at a reduced scale (1/2 to 1/8) when the stored size allows."""
    if len(data) > max_bytes:
        raise PhotoRefused(413, f"the photo is larger than {max_bytes // (1024 * 1024)} MB")
    mime = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[ALLOWED[mime]]) as image:
                width, height = image.size  # from the header: nothing decoded yet
                if width * height > max_pixels:
                    raise PhotoRefused(
                        413,
                        f"the photo has {width}×{height} pixels; at most "
                        f"{max_pixels // 1_000_000} MP are accepted",
                    )
                icc = image.info.get("icc_profile")
                size = _fit(image.size, max_side)
                image.draft(None, size)  # JPEG: the smallest DCT scale not below `size`
                image.load()
                turn = UPRIGHT.get(image.getexif().get(ORIENTATION, 1))
                clean = _scaled(image, size)
        if turn is not None:
            clean = clean.transpose(turn)
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(413, "the photo has too many pixels") from None
    except Exception:  # truncated or corrupt data behind a valid signature
        raise PhotoRefused(422, "the photo could not be decoded") from None
    clean.info = {}  # no EXIF, XMP or comments carried over
    out = io.BytesIO()
    save = {"quality": JPEG_QUALITY, "optimize": True}
    if icc:  # colour profile only (e.g. Display P3): nothing personal in it
        save["icc_profile"] = icc
    clean.save(out, "JPEG", **save)
    jpeg = out.getvalue()
    return Processed(
        jpeg=jpeg,
        width=clean.width,
        height=clean.height,
        source_type=mime,
        sha256=hashlib.sha256(jpeg).hexdigest(),
    )


def photos_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "photos"


def path_of(data_dir: Path, photo_id: str) -> Path:
    return photos_dir(data_dir) / f"{photo_id}.jpg"


def write_file(data_dir: Path, photo_id: str, jpeg: bytes) -> Path:
    """Write atomically (a reader never sees half a file)."""
    target = path_of(data_dir, photo_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(jpeg)
    os.replace(tmp, target)
    return target


async def add_photo(
    *,
    session: AsyncSession,
    data_dir: Path,
    processed: Processed,
    kind: PhotoKind,
    uploader_id: str,
) -> Photo:
    """Store the file, then its row; a failed insert leaves no file behind."""
    photo_id = uuid.uuid4().hex
    target = write_file(data_dir, photo_id, processed.jpeg)
    photo = Photo(
        photo_id=photo_id,
        kind=kind.value,
        uploader_id=uploader_id,
        width=processed.width,
        height=processed.height,
        size_bytes=len(processed.jpeg),
        sha256=processed.sha256,
        source_type=processed.source_type,
        created_at=datetime.now(UTC),
    )
    try:
        session.add(photo)
        await session.commit()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return photo


async def get_photo(*, session: AsyncSession, photo_id: str) -> Photo | None:
    return await session.get(Photo, photo_id)


async def attach_problems(
    *,
    session: AsyncSession,
    photo_ids: Sequence[str],
    uploader_id: str,
    kind: PhotoKind,
    ticket_id: str | None = None,
) -> list[str]:
    """Why these photos cannot go with a report or action (empty: they can): each must exist, be
    the caller's, of the kind, and not attached yet — or already attached to `ticket_id` (a
    replayed submission)."""
    problems = []
    seen: set[str] = set()
    for pid in photo_ids:
        if pid in seen:
            problems.append(f"photo {pid} is named twice")
        seen.add(pid)
    found = (
        {
            p.photo_id: p
            for p in (
                await session.exec(select(Photo).where(col(Photo.photo_id).in_(list(seen))))
            ).all()
        }
        if seen
        else {}
    )
    for pid in dict.fromkeys(photo_ids):
        photo = found.get(pid)
        if photo is None or photo.uploader_id != uploader_id:
            problems.append(f"no photo {pid} uploaded by you")
        elif photo.kind != kind.value:
            problems.append(f"photo {pid} was uploaded as {photo.kind}; this needs {kind.value}")
        elif photo.ticket_id is not None and photo.ticket_id != ticket_id:
            problems.append(f"photo {pid} is already attached to a ticket")
    return problems


async def attach(*, session: AsyncSession, photo_ids: Sequence[str], ticket_id: str) -> int:
    """Mark the photos attached to the ticket (those not attached yet); returns how many."""
    if not photo_ids:
        return 0
    result = await session.exec(
        update(Photo)
        .where(col(Photo.photo_id).in_(list(photo_ids)), col(Photo.ticket_id).is_(None))
        .values(ticket_id=ticket_id, attached_at=datetime.now(UTC))
    )
    await session.commit()
    return int(result.rowcount or 0)
