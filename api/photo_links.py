"""Photos named in a report or action: checked before it runs, attached once it succeeded."""

from collections.abc import Sequence

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError
from domain.photos import PhotoKind
from readmodel.access.tables import User
from readmodel.tickets import photo_store

log = structlog.get_logger("gridflow.api")


async def check(
    *,
    session: AsyncSession,
    photo_ids: Sequence[str],
    user: User,
    kind: PhotoKind,
    ticket_id: str | None = None,
) -> None:
    """422 naming `photo_ids` unless each is the caller's, of this kind and not attached yet (or
    attached to `ticket_id` already: a replayed submission)."""
    if not photo_ids:
        return
    problems = await photo_store.attach_problems(
        session=session,
        photo_ids=photo_ids,
        uploader_id=user.user_id,
        kind=kind,
        ticket_id=ticket_id,
    )
    if problems:
        message = "; ".join(problems)
        raise ApiError(
            422, f"photo_ids: {message}", fields=[{"field": "photo_ids", "message": message}]
        )


async def attach(*, session: AsyncSession, photo_ids: Sequence[str], ticket_id: str) -> None:
    if photo_ids:
        attached = await photo_store.attach(
            session=session, photo_ids=photo_ids, ticket_id=ticket_id
        )
        log.info(
            "photos attached",
            ticket_id=ticket_id,
            workflow_id=ticket_id,
            photos=len(photo_ids),
            newly=attached,
        )
