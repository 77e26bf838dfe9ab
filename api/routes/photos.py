"""Photos: upload (checked, upright, scaled, EXIF and GPS stripped) and read them back."""

from typing import Annotated, BinaryIO

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.types import Message, Receive

from api.authz import may_see_photo
from api.deps import CurrentUser, FieldUser, SessionDep, SettingsDep, TemporalClient
from api.errors import ApiError, invalid
from api.photo_pool import photo_decoding
from api.ratelimit import PhotoIntake
from api.schemas import INTAKE_ERRORS, ErrorBody, Responses, error_responses
from domain.photos import PhotoKind, photo_url
from readmodel.tickets import photo_store
from readmodel.tickets.photo_store import MAX_BYTES, PhotoRefused

router = APIRouter(prefix="/photos", tags=["photos"])
PhotoId = Annotated[str, Path(max_length=64)]
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the kind field
POOL_FULL: Responses = {
    503: {
        "model": ErrorBody,
        "description": "too many photos are being processed in this process "
        "(docs/input.md), or the workflow service did not answer; retry",
        "headers": {
            "Retry-After": {"description": "whole seconds to wait", "schema": {"type": "integer"}}
        },
    }
}


class PhotoPublic(BaseModel):
    photo_id: str
    kind: PhotoKind
    width: int
    height: int
    size_bytes: int = Field(description="of the stored JPEG")
    sha256: str = Field(description="of the stored JPEG, hex")
    url: str = Field(description="GET it with the same bearer token")


def _too_large() -> ApiError:
    return ApiError(413, f"the photo is larger than {MAX_BYTES // (1024 * 1024)} MB")


def _capped(receive: Receive, limit: int) -> Receive:
    """The request body as it streams in, refused with 413 as soon as it passes `limit`."""
    size = 0

    async def capped() -> Message:
        nonlocal size
        message = await receive()
        size += len(message.get("body", b""))
        if size > limit:
            raise _too_large()
        return message

    return capped


def _read_and_process(file: BinaryIO) -> photo_store.Processed:
    """On a decoder thread: the photo's bytes are in memory only while it is decoded."""
    return photo_store.process(file.read(MAX_BYTES + 1))


_MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "JPEG, PNG or HEIC; at most 15 MB and 40 MP",
                        },
                        "kind": {"type": "string", "enum": [k.value for k in PhotoKind]},
                    },
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=201,
    response_model=PhotoPublic,
    openapi_extra=_MULTIPART,
    responses={**error_responses(413, 415), **INTAKE_ERRORS, **POOL_FULL},
)
async def upload_photo(
    request: Request,
    user: FieldUser,
    session: SessionDep,
    config: SettingsDep,
    _intake: PhotoIntake,
) -> PhotoPublic:
    """Upload one photo (multipart/form-data: `file`, `kind` = report | rectification |
    write_off), before the report or action that names it in `photo_ids`. The type is sniffed
    from the bytes; the photo is turned upright, scaled to at most 1600 px on its longest side
    and stored as a JPEG without EXIF (no GPS). For those whose reports and actions carry
    photos: grid workers, department staff, supervisors."""
    limit = MAX_BYTES + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large()
    with photo_decoding.place() as place:  # 503 past the bound, before the body is read
        # The file part is spooled to disk past 1 MB (Starlette), not held in memory.
        streamed = Request(request.scope, _capped(request.receive, limit))
        form = await streamed.form(max_files=1, max_fields=4)
        try:
            kind_value, upload = form.get("kind"), form.get("file")
            if not isinstance(kind_value, str) or kind_value not in {k.value for k in PhotoKind}:
                raise invalid("kind", "must be one of report, rectification, write_off")
            if not isinstance(upload, UploadFile):
                raise invalid("file", "a photo file is required (multipart/form-data)")
            processed = await place.decode(_read_and_process, upload.file)
        except PhotoRefused as refused:
            if refused.status == 422:
                raise invalid("file", refused.message) from None
            raise ApiError(refused.status, refused.message) from None
        finally:
            await form.close()
    photo = await photo_store.add_photo(
        session=session,
        data_dir=config.data_dir,
        processed=processed,
        kind=PhotoKind(kind_value),
        uploader_id=user.user_id,
    )
    return PhotoPublic(
        photo_id=photo.photo_id,
        kind=PhotoKind(photo.kind),
        width=photo.width,
        height=photo.height,
        size_bytes=photo.size_bytes,
        sha256=photo.sha256,
        url=photo_url(photo.photo_id),
    )


@router.get(
    "/{photo_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "the stored JPEG"},
        404: {"description": "unknown, or not yours to see"},
    },
)
async def get_photo(
    photo_id: PhotoId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
) -> FileResponse:
    """The stored JPEG: for its uploader, and for whoever may read the ticket it is attached to.
    Anyone else gets 404, as for a photo that does not exist."""
    missing = ApiError(404, f"no photo {photo_id}")
    photo = await photo_store.get_photo(session=session, photo_id=photo_id)
    if photo is None or not await may_see_photo(user, photo, session=session, client=client):
        raise missing
    path = photo_store.path_of(config.data_dir, photo.photo_id)
    if not path.is_file():
        raise missing
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={
            "Cache-Control": "private, max-age=86400",
            "ETag": f'"{photo.sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
