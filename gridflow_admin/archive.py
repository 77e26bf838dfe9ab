"""`verify-archive`: check the archive's hash chain (readmodel/tickets/archive_chain.py).

Exit 0 with a summary when every link holds; exit 1 naming the first broken link (position,
ticket, what no longer matches); exit 2 when there is no archive to read. --expect-head compares
the chain's last hash with one noted earlier (a chain cut short at its end, or rewritten from
some point on, is only detectable against such an outside copy); --adopt first chains records
archived before the chain existed.
"""

from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from gridflow_admin.options import database_url, exit_with
from readmodel.db import Database
from readmodel.tickets import archive_chain
from readmodel.tickets.archive_chain import ChainReport


async def check(*, db: Database, adopt: bool = False) -> tuple[ChainReport, int]:
    """The chain's report, after chaining the unchained records if asked (and how many)."""
    adopted = 0
    if adopt:
        async with db.session() as session:
            adopted = await archive_chain.adopt_unchained(session=session)
    async with db.session() as session:
        return await archive_chain.verify(session=session), adopted


def summary(report: ChainReport, *, expect_head: str | None = None) -> tuple[int, str]:
    """The exit code and the lines to print."""
    if report.broken is not None:
        b = report.broken
        where = f"position {b.position}" if b.position is not None else "outside the chain"
        return 1, (
            f"archive chain BROKEN at {where}, ticket {b.ticket_id}: {b.problem}\n"
            f"{report.records} records before it are intact "
            f"(last good hash {report.head_sha256})"
        )
    if expect_head and expect_head.lower() != report.head_sha256:
        return 1, (
            f"archive chain intact but its head {report.head_sha256} "
            f"(position {report.records}) is not the expected {expect_head}: records "
            "were cut from its end or the chain was rewritten"
        )
    return 0, (
        f"archive chain intact: {report.records} records, "
        f"head {report.head_sha256} (position {report.records})"
    )


async def _main(url: str, *, expect_head: str | None, adopt: bool) -> int:
    path = url.split("///", 1)[-1]
    if url.startswith("sqlite") and path != ":memory:" and not Path(path).exists():
        click.echo(f"no read model at {url}", err=True)
        return 2
    db = Database(url)
    try:
        report, adopted = await check(db=db, adopt=adopt)
    except DBAPIError as err:
        click.echo(
            f"cannot read the archive ({type(err.orig).__name__}: {str(err.orig)[:200]}); "
            "is the read model migrated? python -m gridflow_admin migrate",
            err=True,
        )
        return 2
    finally:
        await db.dispose()
    if adopted:
        click.echo(f"chained {adopted} records archived before the chain existed")
    code, text = summary(report, expect_head=expect_head)
    click.echo(text, err=bool(code))
    return code


@click.command("verify-archive", short_help="Check the archive's hash chain.")
@database_url
@click.option(
    "--expect-head", metavar="SHA256", help="the head hash noted from an earlier run or log line"
)
@click.option(
    "--adopt", is_flag=True, help="first chain the records archived before the chain existed"
)
def verify_archive(database_url: str, expect_head: str | None, adopt: bool) -> None:
    """Check the archive's hash chain: exit 0 when every link holds, 1 naming the first broken
    link, 2 when there is no archive to read."""
    exit_with(_main(database_url, expect_head=expect_head, adopt=adopt))
