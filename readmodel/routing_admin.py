"""Admin CLI for the routing rules: list, add, change (a new version), end, preview.

    python -m readmodel.routing_admin list [--history] [--category E0101] [--area 330106001]
    python -m readmodel.routing_admin add --category E0101 --department bs-street \\
        --area 33010600100101 [--priority 0] [--from 2026-01-01] [--to 2026-07-01] [--id R-x]
    python -m readmodel.routing_admin change R-E0101 --department zjj [--from 2026-01-01]
    python -m readmodel.routing_admin end R-E0101
    python -m readmodel.routing_admin preview --category E0101 --grid 33010600100101

--database-url defaults to GRIDFLOW_DATABASE_URL. A change applies to tickets routed from its
first day on (today by default); tickets already routed keep their department. Exit status: 0
done, 1 unknown rule, 2 refused input (the message names the field), 3 conflict.
"""
import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date

from pydantic import ValidationError

from readmodel import routing_store
from readmodel.db import Database
from readmodel.migrate import require_head
from readmodel.routing_store import RoutingRuleError, RuleConflict, RuleNotFound, RuleSpec


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{err} (expected YYYY-MM-DD)") from err


def _area(text: str) -> str | None:
    return None if text.lower() in ("", "any", "none") else text


def parser() -> argparse.ArgumentParser:
    from settings import settings

    top = argparse.ArgumentParser(prog="python -m readmodel.routing_admin",
                                  description="Routing rules in the read model")
    top.add_argument("--database-url", default=settings.database_url,
                     help="default: GRIDFLOW_DATABASE_URL (%(default)s)")
    commands = top.add_subparsers(dest="command", required=True)

    show = commands.add_parser("list", help="rules in force or scheduled")
    show.add_argument("--history", action="store_true", help="also the ended versions")
    show.add_argument("--category")
    show.add_argument("--area", type=_area)
    show.add_argument("--department")

    add = commands.add_parser("add", help="a new rule (version 1)")
    change = commands.add_parser("change", help="a new version of a rule; the current one ends")
    change.add_argument("rule_id")
    for sub, required in ((add, True), (change, False)):
        sub.add_argument("--category", required=required,
                         help="a sub-class (E0101) or big class (E01) code")
        sub.add_argument("--department", required=required)
        sub.add_argument("--area", type=_area, default=argparse.SUPPRESS if not required else None,
                         help="district, street, community or grid code; 'any': anywhere")
        sub.add_argument("--priority", type=int)
        sub.add_argument("--from", dest="effective_from", type=_date, help="default today")
        sub.add_argument("--to", dest="effective_to", type=_date,
                         help="first day no longer in force (default: open-ended)")
        sub.add_argument("--note")
        sub.add_argument("--by", default="routing_admin", help="who makes the change")
    add.add_argument("--id", dest="rule_id", help="default: R-<category>-<area or any>")

    end = commands.add_parser("end", help="end a rule today")
    end.add_argument("rule_id")
    end.add_argument("--by", default="routing_admin")

    preview = commands.add_parser("preview", help="where a ticket would go, and by which rule")
    preview.add_argument("--category", required=True)
    preview.add_argument("--grid", required=True)
    preview.add_argument("--on", type=_date, help="default today")

    for sub in (show, add, change, end, preview):  # accepted after the subcommand too
        sub.add_argument("--database-url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return top


async def _run(args: argparse.Namespace, db: Database) -> int:
    on = routing_store.today()
    async with db.session() as session:
        if args.command == "list":
            rows = await routing_store.list_rules(session=session, on=on, history=args.history,
                                                  category=args.category, area=args.area,
                                                  department=args.department)
            for row in rows:
                print(routing_store.describe(row, on))
            print(f"{len(rows)} rule version(s)", file=sys.stderr)
            return 0
        if args.command == "add":
            spec = RuleSpec(category=args.category, area=args.area, department=args.department,
                            priority=args.priority or 0, effective_from=args.effective_from,
                            effective_to=args.effective_to, note=args.note)
            row = await routing_store.add_rule(session=session, spec=spec, actor=args.by, on=on,
                                               rule_id=args.rule_id)
            print(f"added {routing_store.describe(row, on)}")
            return 0
        if args.command == "change":
            latest = (await routing_store.versions(session=session, rule_id=args.rule_id))[-1]
            spec = RuleSpec(
                category=args.category or latest.category,
                area=args.area if hasattr(args, "area") else latest.area,
                department=args.department or latest.department,
                priority=latest.priority if args.priority is None else args.priority,
                effective_from=args.effective_from, effective_to=args.effective_to,
                note=args.note)
            row = await routing_store.change_rule(session=session, rule_id=args.rule_id,
                                                  spec=spec, actor=args.by, on=on)
            print(f"changed {routing_store.describe(row, on)}")
            return 0
        if args.command == "end":
            row = await routing_store.end_rule(session=session, rule_id=args.rule_id,
                                               actor=args.by, on=on)
            print(f"ended {routing_store.describe(row, on)}")
            return 0
        day = args.on or on
        decision = await routing_store.decide(session=session, category=args.category,
                                              grid=args.grid, on=day)
        print(f"{args.category} in {args.grid} on {day}: {decision.department or 'manual dispatch'}"
              f" ({decision.reason})")
        for row in await routing_store.ranked(session=session, category=args.category,
                                              grid=args.grid, on=day):
            print(f"  {routing_store.describe(row, day)}")
        return 0


async def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = parser().parse_args(argv)
    db = Database(args.database_url)
    try:
        await require_head(db.url)  # SchemaBehind: migrate first
        try:
            return await _run(args, db)
        except RuleNotFound as err:
            print(str(err), file=sys.stderr)
            return 1
        except (RoutingRuleError, ValidationError) as err:
            print(f"refused: {err}", file=sys.stderr)
            return 2
        except RuleConflict as err:
            print(f"conflict: {err}", file=sys.stderr)
            return 3
    finally:
        await db.dispose()


def main() -> None:
    sys.exit(asyncio.run(run()))


if __name__ == "__main__":
    main()
