"""`routing`: list, add, change (a new version), end and preview the routing rules.

    routing list [--history] [--category E0101] [--area 330106001]
    routing add --category E0101 --department bs-street --area 33010600100101 \\
        [--priority 0] [--from 2026-01-01] [--to 2026-07-01] [--id R-x]
    routing change R-E0101 --department zjj [--from 2026-01-01]
    routing end R-E0101
    routing preview --category E0101 --grid 33010600100101

A change applies to tickets routed from its first day on (today by default); tickets already
routed keep their department. Exit status: 0 done, 1 unknown rule, 2 refused input (the message
names the field), 3 conflict.
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import click
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from gridflow_admin.options import database_url, exit_with
from readmodel.db import Database
from readmodel.migrate import require_head
from readmodel.reference import routing_store
from readmodel.reference.routing_store import RoutingRuleError, RuleConflict, RuleNotFound, RuleSpec

Work = Callable[[AsyncSession, date], Awaitable[None]]  # (session, today) → prints what it did


def _date(_ctx: click.Context, _param: click.Parameter, text: str | None) -> date | None:
    try:
        return None if text is None else date.fromisoformat(text)
    except ValueError as err:
        raise click.BadParameter(f"{err} (expected YYYY-MM-DD)") from err


def _area(text: str) -> str | None:
    return None if text.lower() in ("", "any", "none") else text


def _area_option(_ctx: click.Context, _param: click.Parameter, text: str | None) -> str | None:
    return None if text is None else _area(text)


async def _on_rules(url: str, work: Work) -> int:
    db = Database(url)
    try:
        await require_head(db.url)  # SchemaBehind: migrate first
        try:
            async with db.session() as session:
                await work(session, routing_store.today())
            return 0
        except RuleNotFound as err:
            click.echo(str(err), err=True)
            return 1
        except (RoutingRuleError, ValidationError) as err:
            click.echo(f"refused: {err}", err=True)
            return 2
        except RuleConflict as err:
            click.echo(f"conflict: {err}", err=True)
            return 3
    finally:
        await db.dispose()


def _rule_options(required: bool) -> Callable[[Any], Any]:
    """The options of a rule's version: required to add one; to change one, those given
    replace the current version's (--area any: anywhere)."""
    options = [
        click.option(
            "--category", required=required, help="a sub-class (E0101) or big class (E01) code"
        ),
        click.option("--department", required=required),
        click.option(
            "--area",
            callback=_area_option if required else None,
            help="district, street, community or grid code; 'any': anywhere",
        ),
        click.option("--priority", type=int),
        click.option(
            "--from", "effective_from", callback=_date, metavar="DATE", help="default today"
        ),
        click.option(
            "--to",
            "effective_to",
            callback=_date,
            metavar="DATE",
            help="first day no longer in force (default: open-ended)",
        ),
        click.option("--note"),
        click.option(
            "--by", default="routing_admin", show_default=True, help="who makes the change"
        ),
        database_url,
    ]

    def decorate(command: Any) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


@click.group(short_help="List, add, change, end and preview the routing rules.")
def routing() -> None:
    """Routing rules in the read model (exit status: 0 done, 1 unknown rule, 2 refused input,
    3 conflict)."""


@routing.command("list")
@click.option("--history", is_flag=True, help="also the ended versions")
@click.option("--category")
@click.option("--area", callback=_area_option)
@click.option("--department")
@database_url
def list_rules(
    history: bool, category: str | None, area: str | None, department: str | None, database_url: str
) -> None:
    """Rules in force or scheduled."""

    async def work(session: AsyncSession, on: date) -> None:
        rows = await routing_store.list_rules(
            session=session,
            on=on,
            history=history,
            category=category,
            area=area,
            department=department,
        )
        for row in rows:
            click.echo(routing_store.describe(row, on))
        click.echo(f"{len(rows)} rule version(s)", err=True)

    exit_with(_on_rules(database_url, work))


@routing.command()
@_rule_options(required=True)
@click.option("--id", "rule_id", help="default: R-<category>-<area or any>")
def add(
    category: str,
    department: str,
    area: str | None,
    priority: int | None,
    effective_from: date | None,
    effective_to: date | None,
    note: str | None,
    by: str,
    database_url: str,
    rule_id: str | None,
) -> None:
    """A new rule (version 1)."""

    async def work(session: AsyncSession, on: date) -> None:
        spec = RuleSpec(
            category=category,
            area=area,
            department=department,
            priority=priority or 0,
            effective_from=effective_from,
            effective_to=effective_to,
            note=note,
        )
        row = await routing_store.add_rule(
            session=session, spec=spec, actor=by, on=on, rule_id=rule_id
        )
        click.echo(f"added {routing_store.describe(row, on)}")

    exit_with(_on_rules(database_url, work))


@routing.command()
@click.argument("rule_id")
@_rule_options(required=False)
def change(
    rule_id: str,
    category: str | None,
    department: str | None,
    area: str | None,
    priority: int | None,
    effective_from: date | None,
    effective_to: date | None,
    note: str | None,
    by: str,
    database_url: str,
) -> None:
    """A new version of a rule; the current one ends."""

    async def work(session: AsyncSession, on: date) -> None:
        latest = (await routing_store.versions(session=session, rule_id=rule_id))[-1]
        spec = RuleSpec(
            category=category or latest.category,
            area=latest.area if area is None else _area(area),
            department=department or latest.department,
            priority=latest.priority if priority is None else priority,
            effective_from=effective_from,
            effective_to=effective_to,
            note=note,
        )
        row = await routing_store.change_rule(
            session=session, rule_id=rule_id, spec=spec, actor=by, on=on
        )
        click.echo(f"changed {routing_store.describe(row, on)}")

    exit_with(_on_rules(database_url, work))


@routing.command()
@click.argument("rule_id")
@click.option("--by", default="routing_admin", show_default=True, help="who ends it")
@database_url
def end(rule_id: str, by: str, database_url: str) -> None:
    """End a rule today."""

    async def work(session: AsyncSession, on: date) -> None:
        row = await routing_store.end_rule(session=session, rule_id=rule_id, actor=by, on=on)
        click.echo(f"ended {routing_store.describe(row, on)}")

    exit_with(_on_rules(database_url, work))


@routing.command()
@click.option("--category", required=True)
@click.option("--grid", required=True)
@click.option("--on", "day", callback=_date, metavar="DATE", help="default today")
@database_url
def preview(category: str, grid: str, day: date | None, database_url: str) -> None:
    """Where a ticket would go, and by which rule."""

    async def work(session: AsyncSession, today: date) -> None:
        on = day or today
        decision = await routing_store.decide(session=session, category=category, grid=grid, on=on)
        click.echo(
            f"{category} in {grid} on {on}: {decision.department or 'manual dispatch'}"
            f" ({decision.reason})"
        )
        for row in await routing_store.ranked(session=session, category=category, grid=grid, on=on):
            click.echo(f"  {routing_store.describe(row, on)}")

    exit_with(_on_rules(database_url, work))
