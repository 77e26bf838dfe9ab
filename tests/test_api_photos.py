"""Photos: real JPEG (GPS, Orientation, XMP), PNG and HEIC uploads; refusals; who may read them;
photos on the report and on rectified / reject / write-off, shown per kind on the ticket."""

import hashlib
import io
import uuid
from typing import Any

import httpx
import pillow_heif
from PIL import Image
from sqlmodel import select

from readmodel.tickets.photo_store import MAX_BYTES
from readmodel.tickets.tables import Photo
from tests.api_fixtures import CGJ, LI, SUPERVISOR, WANG, ZJJ, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status

pillow_heif.register_heif_opener()
BLUE, RED = (0, 0, 255), (200, 10, 10)
GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="30,15.3N" exif:GPSLongitude="120,6.9E"/></rdf:RDF></x:xmpmeta>'
)


def phone_jpeg(size: tuple[int, int] = (4000, 3000)) -> bytes:
    """A phone photo as taken: landscape pixels, Orientation 6 (shown rotated 90° clockwise),
    GPS in EXIF and in XMP; a blue block in the stored top-left corner."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (0, 0, size[0] // 10, size[1] // 10))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (30.0, 15.0, 18.0), 3: "E", 4: (120.0, 6.0, 54.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=XMP, quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (800, 600), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def rgb_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel at xy as (r, g, b): getpixel answers a tuple for an RGB image."""
    pixel = image.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def heic(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, RED).save(out, "HEIF", quality=80)
    return out.getvalue()


async def upload(
    gf: Gridflow,
    data: bytes,
    kind: str = "report",
    token: str = WANG,
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    return await gf.call(
        "POST", "/photos", token, files={"file": (name, data, content_type)}, data={"kind": kind}
    )


async def photo_id(gf: Gridflow, kind: str = "report", token: str = WANG) -> str:
    response = await upload(
        gf, png(), kind=kind, token=token, name="p.png", content_type="image/png"
    )
    assert response.status_code == 201, response.text
    return response.json()["photo_id"]


def error(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]


async def test_jpeg_is_turned_upright_scaled_and_stripped(gf: Gridflow) -> None:
    original = phone_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture has GPS
    response = await upload(gf, original)
    assert response.status_code == 201, response.text
    body = response.json()
    # 4000×3000 shown rotated: portrait, longest side 1600.
    assert (body["width"], body["height"]) == (1200, 1600)
    assert body["kind"] == "report" and body["url"] == f"/api/v1/photos/{body['photo_id']}"

    got = await gf.call("GET", body["url"].removeprefix("/api/v1"), WANG)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    stored = got.content
    assert hashlib.sha256(stored).hexdigest() == body["sha256"] == got.headers["etag"].strip('"')
    assert len(stored) == body["size_bytes"]
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (1200, 1600)
    assert len(image.getexif()) == 0 and "exif" not in image.info and "xmp" not in image.info
    for marker in (b"Exif", b"GPS", b"PhoneMaker", b"xmpmeta"):
        assert marker not in stored, marker
    # Orientation 6: the stored top-left corner is shown at the top right.
    r, g, b = rgb_at(image, (image.width - 10, 10))
    assert b > 200 and r < 60, (r, g, b)
    r, g, b = rgb_at(image, (10, 10))
    assert r > 150 and b < 60, (r, g, b)
    assert rgb_at(image, (10, image.height - 10))[0] > 150  # bottom-left: red


async def test_png_and_heic_are_accepted(gf: Gridflow) -> None:
    shot = await upload(gf, png((2400, 1000)), name="screen.png", content_type="image/png")
    assert shot.status_code == 201, shot.text
    assert (shot.json()["width"], shot.json()["height"]) == (1600, 667)
    stored = (await gf.call("GET", f"/photos/{shot.json()['photo_id']}", WANG)).content
    assert Image.open(io.BytesIO(stored)).getpixel((5, 5)) == (255, 255, 255)  # transparent → white

    # An iPhone photo, sent with a generic content type and name: the bytes decide.
    phone = await upload(
        gf,
        heic(),
        kind="rectification",
        token=CGJ,
        name="IMG_0001",
        content_type="application/octet-stream",
    )
    assert phone.status_code == 201, phone.text
    assert (phone.json()["width"], phone.json()["height"]) == (640, 480)
    stored = (await gf.call("GET", f"/photos/{phone.json()['photo_id']}", CGJ)).content
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


async def test_refusals(gf: Gridflow) -> None:
    renamed = await upload(gf, b"<?php echo 'not a photo'; ?>\n" * 20, name="photo.jpg")
    assert renamed.status_code == 415 and error(renamed)["code"] == "unsupported_media_type"
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    assert (await upload(gf, gif.getvalue(), name="a.jpg")).status_code == 415

    oversize = b"\xff\xd8\xff\xe0" + bytes(MAX_BYTES)
    too_big = await upload(gf, oversize)
    assert too_big.status_code == 413 and error(too_big)["code"] == "too_large"
    # 8000×6000 = 48 MP in a small PNG: refused from its header, before decoding.
    bomb = await upload(gf, png((8000, 6000), mode="1"), name="b.png", content_type="image/png")
    assert bomb.status_code == 413 and "MP" in error(bomb)["message"]

    broken = await upload(gf, phone_jpeg((400, 300))[:600])
    assert broken.status_code == 422 and error(broken)["fields"][0]["field"] == "file"
    wrong_kind = await upload(gf, png(), kind="selfie", name="p.png")
    assert wrong_kind.status_code == 422 and error(wrong_kind)["fields"][0]["field"] == "kind"
    no_file = await gf.call("POST", "/photos", WANG, data={"kind": "report"})
    assert no_file.status_code == 422 and error(no_file)["fields"][0]["field"] == "file"
    assert (await upload(gf, png(), token="")).status_code == 401
    async with gf.db.session() as session:
        assert len((await session.exec(select(Photo))).all()) == 0  # nothing stored
    assert not list(gf.config.data_dir.glob("photos/*"))


async def test_photos_on_the_report(gf: Gridflow) -> None:
    first, second = await photo_id(gf), await photo_id(gf)
    key = str(uuid.uuid4())
    # Before it is attached, only its uploader sees it.
    assert (await gf.call("GET", f"/photos/{first}", WANG)).status_code == 200
    assert (await gf.call("GET", f"/photos/{first}", SUPERVISOR)).status_code == 404
    response = await gf.submit(key=key, photo_ids=[first, second])
    assert response.status_code == 201, response.text
    ticket_id = response.json()["ticket_id"]
    ticket = await wait_for_status(gf, ticket_id, "dispatched")
    assert [p["photo_id"] for p in ticket["photos"]["report"]] == [first, second]
    assert ticket["photos"]["rectification"] == ticket["photos"]["write_off"] == []
    assert ticket["photos"]["report"][0]["action"] == "submit"
    assert ticket["timeline"][0]["data"]["photo_ids"] == [first, second]
    async with gf.db.session() as session:
        rows = (await session.exec(select(Photo).where(Photo.ticket_id == ticket_id))).all()
        assert {r.photo_id for r in rows} == {first, second}

    # The same report again (a retry) is a replay, photos and all; a different one is refused.
    again = await gf.submit(key=key, photo_ids=[first, second])
    assert again.status_code == 200 and again.json()["ticket_id"] == ticket_id
    assert (await gf.submit(key=key, photo_ids=[first])).status_code == 409

    # Who may read the ticket may see its photos; others get 404.
    for token in (WANG, SUPERVISOR, CGJ):
        assert (await gf.call("GET", f"/photos/{first}", token)).status_code == 200, token
    for token in (LI, ZJJ):
        assert (await gf.call("GET", f"/photos/{first}", token)).status_code == 404, token
    assert (
        await gf.call("GET", "/photos/0123456789abcdef0123456789abcdef", WANG)
    ).status_code == 404

    # Attached photos, other people's, the wrong kind, unknown, too many: 422 naming photo_ids.
    theirs = await photo_id(gf, token=LI)
    rectification = await photo_id(gf, kind="rectification")
    fresh = await photo_id(gf)
    for ids, words in (
        ([first], "already attached"),
        ([theirs], "uploaded by you"),
        ([rectification], "needs report"),
        (["nope"], "no photo nope"),
        ([fresh, fresh], "named twice"),
        ([fresh] * 7, "at most 6"),
    ):
        refused = await gf.submit(photo_ids=ids)
        assert refused.status_code == 422, (ids, refused.text)
        err = error(refused)
        assert err["fields"][0]["field"].startswith("photo_ids"), err
        assert words in err["message"], (words, err["message"])
    async with gf.db.session() as session:
        photo = await session.get(Photo, fresh)
        assert photo is not None
        assert photo.ticket_id is None  # refused: still free


async def test_photos_on_rectified_reject_and_write_off(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    await gf.act(ticket_id, "claim", CGJ)
    await gf.act(
        ticket_id,
        "verify",
        CGJ,
        {"outcome": "needs_rectification", "severity": "yellow", "rectify_working_days": 2},
    )
    report_kind = await photo_id(gf, kind="report", token=CGJ)
    wrong = await gf.act(ticket_id, "rectified", CGJ, {"photo_ids": [report_kind]})
    assert wrong.status_code == 422 and "needs rectification" in error(wrong)["message"]
    assert (await gf.ticket(ticket_id))["status"] == "rectifying"

    done = [await photo_id(gf, kind="rectification", token=CGJ) for _ in range(2)]
    rectified = await gf.act(ticket_id, "rectified", CGJ, {"photo_ids": done, "note": "cleared"})
    assert rectified.status_code == 200, rectified.text
    assert [p["photo_id"] for p in rectified.json()["photos"]["rectification"]] == done
    # The grid worker checking the work may see the department's photos.
    assert (await gf.call("GET", f"/photos/{done[0]}", WANG)).status_code == 200

    still_dirty = await photo_id(gf, kind="write_off")
    rejected = await gf.act(
        ticket_id, "reject", WANG, {"reason": "still dirty", "photo_ids": [still_dirty]}
    )
    assert rejected.status_code == 200, rejected.text
    redo = await photo_id(gf, kind="rectification", token=CGJ)
    assert (await gf.act(ticket_id, "rectified", CGJ, {"photo_ids": [redo]})).status_code == 200
    clean = await photo_id(gf, kind="write_off")
    # A supervisor cannot attach the grid worker's photo: it is not theirs.
    assert (
        await gf.act(ticket_id, "write-off", SUPERVISOR, {"photo_ids": [clean]})
    ).status_code == 422
    written = await gf.act(ticket_id, "write-off", WANG, {"photo_ids": [clean]})
    assert written.status_code == 200, written.text
    photos = written.json()["photos"]
    assert [p["photo_id"] for p in photos["rectification"]] == [*done, redo]
    assert [(p["photo_id"], p["action"]) for p in photos["write_off"]] == [
        (still_dirty, "reject"),
        (clean, "write_off"),
    ]
    assert photos["report"] == []
    async with gf.db.session() as session:
        attached = (await session.exec(select(Photo).where(Photo.ticket_id == ticket_id))).all()
        assert len(attached) == 5
