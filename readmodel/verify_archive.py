"""`python -m readmodel.verify_archive`: check the archive's hash chain.

Exit 0 with a summary when every link holds; exit 1 naming the first broken link (position,
ticket, what no longer matches); exit 2 when there is no archive to read. --expect-head compares
the chain's last hash with one noted earlier (a chain cut short at its end, or rewritten from
some point on, is only detectable against such an outside copy); --adopt first chains records
archived before the chain existed.
"""
import argparse
import asyncio
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from readmodel import archive_chain
from readmodel.archive_chain import ChainReport
from readmodel.db import Database
from settings import settings


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
        return 1, (f"archive chain BROKEN at {where}, ticket {b.ticket_id}: {b.problem}\n"
                   f"{report.records} records before it are intact "
                   f"(last good hash {report.head_sha256})")
    if expect_head and expect_head.lower() != report.head_sha256:
        return 1, (f"archive chain intact but its head {report.head_sha256} "
                   f"(position {report.records}) is not the expected {expect_head}: records "
                   "were cut from its end or the chain was rewritten")
    return 0, (f"archive chain intact: {report.records} records, "
               f"head {report.head_sha256} (position {report.records})")


async def _main(args: argparse.Namespace) -> int:
    url: str = args.database_url
    path = url.split("///", 1)[-1]
    if url.startswith("sqlite") and path != ":memory:" and not Path(path).exists():
        print(f"no read model at {url}", file=sys.stderr)
        return 2
    db = Database(url)
    try:
        report, adopted = await check(db=db, adopt=args.adopt)
    except DBAPIError as err:
        print(f"cannot read the archive ({type(err.orig).__name__}: {str(err.orig)[:200]}); "
              "is the read model migrated? python -m readmodel.migrate", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    if adopted:
        print(f"chained {adopted} records archived before the chain existed")
    code, text = summary(report, expect_head=args.expect_head)
    print(text, file=sys.stderr if code else sys.stdout)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m readmodel.verify_archive",
                                     description="Check the archive's hash chain.")
    parser.add_argument("--database-url", default=settings.database_url,
                        help="the read model (default: GRIDFLOW_DATABASE_URL)")
    parser.add_argument("--expect-head", metavar="SHA256",
                        help="the head hash noted from an earlier run or log line")
    parser.add_argument("--adopt", action="store_true",
                        help="first chain the records archived before the chain existed")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
