"""The archive as a hash chain: each archived ticket's record carries its content's SHA-256, the
previous record's chain hash and a position (1, 2, 3, …), so a later edit, deletion or reordering
of an archived record breaks a link that `verify` finds.

Two archives at once must not both extend the same head (a fork): `position` is unique, so the
second insert of a position fails, and the loser reads the new head and tries again. That works
the same on SQLite (one writer at a time) and PostgreSQL (the unique index waits for the first
transaction and then refuses the second), without locks that differ per database.
"""

import asyncio
import hashlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.models import TicketSnapshot
from readmodel.tickets.tables import ArchiveRecord

GENESIS = "0" * 64  # the prev_sha256 of position 1
ATTEMPTS = 20  # losing the race this often in a row means something else is wrong


class ArchiveChainBusy(RuntimeError):
    """Could not append after ATTEMPTS tries; the activity's retry policy tries again later."""


def instant(moment: datetime) -> str:
    """A moment as hashed: UTC, microseconds, no offset (SQLite stores none)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def archive_digest(record: dict) -> str:
    """The SHA-256 of an archived record's content (canonical JSON)."""
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def link_digest(
    *,
    position: int,
    ticket_id: str,
    archived_at: datetime,
    final_status: str,
    content_sha256: str,
    prev_sha256: str | None,
) -> str:
    """The chain hash of one record: its place, its fields, its content digest, its predecessor's
    chain hash as the predecessor's row holds it (a chained record's is always set)."""
    fields = {
        "position": position,
        "ticket_id": ticket_id,
        "archived_at": instant(archived_at),
        "final_status": final_status,
        "content_sha256": content_sha256,
        "prev_sha256": prev_sha256,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _head(session: AsyncSession) -> ArchiveRecord | None:
    return (
        await session.exec(
            select(ArchiveRecord)
            .where(col(ArchiveRecord.position).is_not(None))
            .order_by(col(ArchiveRecord.position).desc())
            .limit(1)
        )
    ).first()


def _chain(row: ArchiveRecord, head: ArchiveRecord | None) -> None:
    row.position = (head.position or 0) + 1 if head else 1
    row.prev_sha256 = head.chain_sha256 if head else GENESIS
    row.chain_sha256 = link_digest(
        position=row.position,
        ticket_id=row.ticket_id,
        archived_at=row.archived_at,
        final_status=row.final_status,
        content_sha256=row.content_sha256,
        prev_sha256=row.prev_sha256,
    )


async def _lost_race(session: AsyncSession, attempt: int) -> None:
    await session.rollback()
    await asyncio.sleep(random.uniform(0, 0.02 * (attempt + 1)))


async def append(
    *, session: AsyncSession, snapshot: TicketSnapshot, archived_at: datetime
) -> ArchiveRecord:
    """Archive a ticket at the head of the chain, once: a retry finds its record and returns it
    unchanged (even if it carries a different snapshot)."""
    record = snapshot.model_dump(mode="json")
    for attempt in range(ATTEMPTS):
        existing = (
            await session.exec(
                select(ArchiveRecord).where(ArchiveRecord.ticket_id == snapshot.ticket_id)
            )
        ).first()
        if existing is not None:
            return existing
        row = ArchiveRecord(
            ticket_id=snapshot.ticket_id,
            archived_at=archived_at,
            final_status=snapshot.status.value,
            record=record,
            content_sha256=archive_digest(record),
        )
        _chain(row, await _head(session))
        session.add(row)
        try:
            await session.commit()
            return row
        except (IntegrityError, OperationalError):  # the position (or the ticket) was taken
            await _lost_race(session, attempt)
    raise ArchiveChainBusy(f"could not archive {snapshot.ticket_id} after {ATTEMPTS} attempts")


async def adopt_unchained(*, session: AsyncSession) -> int:
    """Chain the records archived before the chain existed, the oldest first; how many."""
    adopted = 0
    while True:
        row = (
            await session.exec(
                select(ArchiveRecord)
                .where(col(ArchiveRecord.position).is_(None))
                .order_by(col(ArchiveRecord.archived_at), col(ArchiveRecord.ticket_id))
                .limit(1)
            )
        ).first()
        if row is None:
            return adopted
        for attempt in range(ATTEMPTS):
            _chain(row, await _head(session))
            try:
                await session.commit()
                adopted += 1
                break
            except (IntegrityError, OperationalError):
                await _lost_race(session, attempt)
                row = await session.get(ArchiveRecord, row.ticket_id)
                assert row is not None
        else:
            raise ArchiveChainBusy(f"could not chain {row.ticket_id}")


@dataclass
class ChainBreak:
    """The first broken link: where, which ticket, and what no longer matches."""

    position: int | None
    ticket_id: str
    problem: str


@dataclass
class ChainReport:
    records: int  # chained records checked up to the break (all of them when intact)
    head_sha256: str  # the last good chain hash (GENESIS for an empty archive)
    broken: ChainBreak | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _check(row: ArchiveRecord, position: int, prev: str) -> str | None:
    if row.position != position:
        return (
            f"position {position} is missing (found {row.position} next): a record was "
            "deleted or moved"
        )
    if row.prev_sha256 != prev:
        return (
            f"prev_sha256 {row.prev_sha256} is not the previous record's chain hash {prev}: "
            "records were reordered, or the previous one was replaced"
        )
    digest = archive_digest(row.record)
    if digest != row.content_sha256:
        return (
            f"the record's content changed: it hashes to {digest}, "
            f"its content_sha256 says {row.content_sha256}"
        )
    if row.record.get("ticket_id") != row.ticket_id:
        return f"the record is ticket {row.record.get('ticket_id')}, its row says {row.ticket_id}"
    if row.record.get("status") != row.final_status:
        return (
            f"final_status {row.final_status} differs from the record's status "
            f"{row.record.get('status')}"
        )
    expected = link_digest(
        position=position,
        ticket_id=row.ticket_id,
        archived_at=row.archived_at,
        final_status=row.final_status,
        content_sha256=row.content_sha256,
        prev_sha256=prev,
    )
    if row.chain_sha256 != expected:
        return (
            f"chain_sha256 {row.chain_sha256} does not match the record's fields (now "
            f"{expected}): its position, ticket, archived_at, status or digest was edited"
        )
    return None


async def verify(*, session: AsyncSession, batch: int = 500) -> ChainReport:
    """Walk the chain from position 1 and report the first broken link, if any."""
    position, prev = 1, GENESIS
    while True:
        rows = (
            await session.exec(
                select(ArchiveRecord)
                .where(
                    col(ArchiveRecord.position).is_not(None),
                    col(ArchiveRecord.position) >= position,
                )
                .order_by(col(ArchiveRecord.position))
                .limit(batch)
            )
        ).all()
        for row in rows:
            problem = _check(row, position, prev)
            if problem:
                return ChainReport(
                    records=position - 1,
                    head_sha256=prev,
                    broken=ChainBreak(row.position, row.ticket_id, problem),
                )
            position, prev = position + 1, row.chain_sha256 or ""
        if len(rows) < batch:
            break
    loose = (
        await session.exec(
            select(ArchiveRecord)
            .where(or_(col(ArchiveRecord.position).is_(None), col(ArchiveRecord.position) < 1))
            .order_by(col(ArchiveRecord.archived_at))
            .limit(1)
        )
    ).first()
    if loose is not None:
        return ChainReport(
            records=position - 1,
            head_sha256=prev,
            broken=ChainBreak(
                None,
                loose.ticket_id,
                "the record is not in the chain (no position): inserted "
                "behind the archive's back, or archived before the chain existed (--adopt)",
            ),
        )
    return ChainReport(records=position - 1, head_sha256=prev)
