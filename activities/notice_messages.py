"""Files a notice carries by e-mail: a report's CSV (readmodel/reports), nothing for the rest."""

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.channels.base import Attachment
from domain.notices import NoticeEvent
from domain.reports import EVENT_KINDS
from readmodel.reports import export, store

_REPORT_EVENTS = frozenset(EVENT_KINDS.values())


async def attachments_for(session: AsyncSession, event: NoticeEvent) -> list[Attachment]:
    report_id = event.data.get("report_id")
    if event.kind not in _REPORT_EVENTS or not isinstance(report_id, str):
        return []
    content = await store.get(session=session, report_id=report_id)
    if content is None:  # not compiled in this database: the notice goes without it
        return []
    return [
        Attachment(
            filename=export.filename(content, "csv"),
            content_type=export.CSV_TYPE,
            content=export.csv_bytes(content),
        )
    ]
