"""Subjects in the read model: registration, projection of their colour, lookups."""

from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.subjects import SubjectState
from readmodel.reference.tables import SubjectRow


async def get(*, session: AsyncSession, code: str) -> SubjectRow | None:
    return await session.get(SubjectRow, code)


async def register(
    *, session: AsyncSession, code: str, name: str, kind: str, grid: str
) -> SubjectRow:
    row = SubjectRow(code=code, name=name, kind=kind, grid=grid)
    session.add(row)
    await session.commit()
    return row


async def project(*, session: AsyncSession, state: SubjectState) -> None:
    """Newer state wins: the row is only updated from a higher sequence number."""
    await session.exec(
        update(SubjectRow)
        .where(col(SubjectRow.code) == state.code, col(SubjectRow.seq) < state.seq)
        .values(
            colour=state.colour.value,
            open_problems=len(state.open_problems),
            observation_until=state.observation_until,
            recheck_due=state.recheck_due,
            seq=state.seq,
            state=state.model_dump(mode="json"),
        )
    )
    await session.commit()
