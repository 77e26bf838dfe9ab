"""Routing rules in the read model: seeding, deciding, adding, versions, ending, the admin CLI
(SQLite and PostgreSQL)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, delete, select, update

from domain import demo_city
from domain.models import RoutingDecision
from gridflow_admin.cli import main as admin
from readmodel.db import Database
from readmodel.reference import routing_store
from readmodel.reference.catalogue_store import search_categories, seed_catalogue
from readmodel.reference.routing_store import RoutingRuleError, RuleConflict, RuleNotFound, RuleSpec
from readmodel.reference.tables import Category, Department, Grid, RoutingRuleRow
from tests.factories import GARBAGE, GARBAGE_GRID_RULE, GARBAGE_RULE, OTHER
from tests.schema import migrate_to_head

GRIDS = demo_city.GRIDS
BEISHAN_01, PLAIN = GRIDS[0].code, GRIDS[1].code
TODAY = routing_store.today()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The demo city's departments, catalogue, grids and rules (the PostgreSQL database is
    shared by the session: its routing rules start from the demo's here)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/readmodel.db"
    else:
        url = request.getfixturevalue("pg_url")
    await migrate_to_head(url)
    db = Database(url)
    async with db.session() as session:
        await session.exec(delete(RoutingRuleRow))
        for code, name in demo_city.DEPARTMENTS.items():
            await session.merge(Department(code=code, name=name))
        await seed_catalogue(session=session, catalogue=demo_city.CATALOGUE)
        for cell in GRIDS:
            await session.merge(
                Grid(**cell.model_dump(exclude={"ring"}), ring=[list(p) for p in cell.ring])
            )
        assert await routing_store.seed_rules(session=session, rules=demo_city.RULES) == len(
            demo_city.RULES
        )
        await session.commit()
    yield db
    await db.dispose()


async def decide(
    db: Database, category: str = GARBAGE, grid: str = PLAIN, on: date = TODAY
) -> RoutingDecision:
    async with db.session() as session:
        return await routing_store.decide(session=session, category=category, grid=grid, on=on)


def spec(**kwargs: Any) -> RuleSpec:
    return RuleSpec(**({"category": GARBAGE, "department": "zjj"} | kwargs))


async def test_the_demo_rules_decide_from_the_table(database: Database) -> None:
    assert (await decide(database, grid=BEISHAN_01)).rule_id == GARBAGE_GRID_RULE
    plain = await decide(database)
    assert (plain.department, plain.rule_id, plain.rule_version) == ("cgj", GARBAGE_RULE, 1)
    assert (await decide(database, category="C0401")).rule_id == "R-C04"  # big class rule
    assert (await decide(database, category=OTHER)).department is None


async def test_reseeding_adds_only_unknown_rule_ids_and_never_revives_an_ended_one(
    database: Database,
) -> None:
    async with database.session() as session:
        await routing_store.end_rule(
            session=session, rule_id=GARBAGE_GRID_RULE, actor="chen", on=TODAY
        )
        assert await routing_store.seed_rules(session=session, rules=demo_city.RULES) == 0
        await session.commit()
    assert (await decide(database, grid=BEISHAN_01)).rule_id == GARBAGE_RULE


async def test_a_new_rule_is_checked_and_takes_effect_from_today(database: Database) -> None:
    refusals = {
        "category": spec(category="E9999"),
        "area": spec(area="3301069"),
        "department": spec(department="nobody"),
        "effective_from": spec(effective_from=TODAY - timedelta(days=1)),
        "effective_to": spec(effective_to=TODAY),
    }
    async with database.session() as session:
        for field, wrong in refusals.items():
            with pytest.raises(RoutingRuleError) as refused:
                await routing_store.add_rule(session=session, spec=wrong, actor="chen", on=TODAY)
            assert refused.value.field == field
        row = await routing_store.add_rule(
            session=session,
            spec=spec(area=GRIDS[1].community, note="pilot"),
            actor="chen",
            on=TODAY,
        )
        assert (row.rule_id, row.version, row.effective_from, row.created_by) == (
            f"R-{GARBAGE}-{GRIDS[1].community}",
            1,
            TODAY,
            "chen",
        )
        again = await routing_store.add_rule(
            session=session, spec=spec(area=GRIDS[1].community), actor="chen", on=TODAY
        )
        assert again.rule_id == f"R-{GARBAGE}-{GRIDS[1].community}-2"
        with pytest.raises(RuleConflict):
            await routing_store.add_rule(
                session=session, spec=spec(), actor="chen", on=TODAY, rule_id=GARBAGE_RULE
            )
        big = await routing_store.add_rule(
            session=session, spec=spec(category="E01"), actor="chen", on=TODAY
        )
        assert big.rule_id == "R-E01-any" and big.area is None
    assert (await decide(database)).department == "zjj"  # community beats district
    assert (await decide(database, grid=BEISHAN_01)).department == "bs-street"  # grid beats it


async def test_a_change_is_a_new_version_and_the_old_one_ends_that_day(database: Database) -> None:
    later = TODAY + timedelta(days=10)
    async with database.session() as session:
        v2 = await routing_store.change_rule(
            session=session,
            rule_id=GARBAGE_RULE,
            spec=spec(area=demo_city.DISTRICT),
            actor="chen",
            on=TODAY,
        )
        v3 = await routing_store.change_rule(
            session=session,
            rule_id=GARBAGE_RULE,
            spec=spec(area=demo_city.DISTRICT, department="scjg", effective_from=later),
            actor="chen",
            on=TODAY,
        )
        rows = await routing_store.versions(session=session, rule_id=GARBAGE_RULE)
        current = await routing_store.list_rules(session=session, on=TODAY, category=GARBAGE)
        history = await routing_store.list_rules(
            session=session, on=TODAY, history=True, category=GARBAGE
        )
    assert (v2.version, v3.version) == (2, 3)
    v1 = rows[0]
    assert (v1.effective_to, v1.ended_by) == (TODAY, "chen") and v1.ended_at is not None
    assert rows[1].effective_to == later and rows[2].effective_to is None
    assert [routing_store.status_of(r, TODAY) for r in rows] == ["ended", "in_force", "scheduled"]
    assert [(r.rule_id, r.version) for r in current if r.rule_id == GARBAGE_RULE] == [
        (GARBAGE_RULE, 2),
        (GARBAGE_RULE, 3),
    ]
    assert len(history) == len(current) + 1
    yesterday = await decide(database, on=TODAY - timedelta(days=1))
    assert (yesterday.department, yesterday.rule_version) == ("cgj", 1)
    assert (await decide(database)).rule_version == 2
    assert (
        (await decide(database, on=later)).department,
        (await decide(database, on=later)).rule_version,
    ) == ("scjg", 3)


async def test_ending_a_rule_lets_the_next_one_apply_and_keeps_it_on_record(
    database: Database,
) -> None:
    async with database.session() as session:
        ended = await routing_store.end_rule(
            session=session, rule_id=GARBAGE_RULE, actor="chen", on=TODAY
        )
        with pytest.raises(RuleConflict, match="already ended"):
            await routing_store.end_rule(
                session=session, rule_id=GARBAGE_RULE, actor="chen", on=TODAY
            )
        with pytest.raises(RuleNotFound):
            await routing_store.end_rule(session=session, rule_id="R-nope", actor="chen", on=TODAY)
        kept = (
            await session.exec(select(RoutingRuleRow).where(RoutingRuleRow.rule_id == GARBAGE_RULE))
        ).all()
    assert ended.effective_to == TODAY and len(kept) == 1
    decision = await decide(database)
    assert decision.department is None and "no routing rule" in decision.reason
    assert (await decide(database, grid=BEISHAN_01)).department == "bs-street"


async def test_the_catalogue_is_searchable(database: Database) -> None:
    async with database.session() as session:
        by_name = await search_categories(session=session, q="垃圾")
        by_label = await search_categories(session=session, q="GARBAGE")
        by_code = await search_categories(session=session, q="e01")
        components = await search_categories(session=session, kind="component")
        in_class = await search_categories(session=session, class_code="C04")
    assert GARBAGE in {c.code for c in by_name} and GARBAGE in {c.code for c in by_label}
    assert {c.code for c in by_code} == {c for c in demo_city.CATEGORIES if c.startswith("E01")}
    assert all(c.code.startswith("C") for c in components) and len(components) >= 20
    assert {c.code for c in in_class} == {"C0401", "C0402", "C0403", "C0404"}
    garbage = next(c for c in by_name if c.code == GARBAGE)
    assert (
        garbage.kind,
        garbage.class_code,
        garbage.class_name_zh,
        garbage.default_department,
        garbage.urgency,
        garbage.duplicate_radius_m,
        garbage.duplicate_window_hours,
    ) == ("event", "E01", "市容环境", "cgj", "normal", 50, 72)


async def test_the_catalogue_is_stored_as_it_says(empty_db: Database) -> None:
    """Every sub-class's duplicate settings as the catalogue has them, on a first load too:
    a radius of None (E0699 其他: detection off) is stored as NULL, not the column's 50."""
    async with empty_db.session() as session:
        await seed_catalogue(session=session, catalogue=demo_city.CATALOGUE)
        await session.commit()
    async with empty_db.session() as session:
        stored = {
            c.code: (c.duplicate_radius_m, c.duplicate_window_hours)
            for c in await search_categories(session=session)
        }
    assert stored == {
        code: (sub.duplicate_radius_m, sub.duplicate_window_hours)
        for code, sub in demo_city.CATEGORIES.items()
    }
    assert stored[OTHER][0] is None
    # A database first loaded before this was fixed holds 50; the next load (every start of
    # scripts/up.sh seeds) puts the catalogue's NULL back.
    async with empty_db.session() as session:
        await session.exec(
            update(Category).where(col(Category.code) == OTHER).values(duplicate_radius_m=50)
        )
        await session.commit()
        await seed_catalogue(session=session, catalogue=demo_city.CATALOGUE)
        await session.commit()
    async with empty_db.session() as session:
        other = await session.get(Category, OTHER)
        assert other is not None
        assert other.duplicate_radius_m is None


# --- the CLI -----------------------------------------------------------------------------------


async def test_the_admin_cli(database: Database, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", database.url]

    async def cli(*argv: str) -> tuple[int, str, str]:
        # In a thread: the command runs its own event loop.
        status = await asyncio.to_thread(admin, ["routing", *argv, *url])
        out, err = capsys.readouterr()
        return status, out, err

    status, out, _ = await cli("list", "--category", GARBAGE)
    assert status == 0 and GARBAGE_RULE in out and GARBAGE_GRID_RULE in out
    status, out, _ = await cli(
        "add",
        "--category",
        GARBAGE,
        "--department",
        "zjj",
        "--area",
        GRIDS[1].street,
        "--priority",
        "3",
        "--id",
        "R-cli",
    )
    assert status == 0 and "R-cli v1 [in_force]" in out and "street" in out
    status, out, _ = await cli("preview", "--category", GARBAGE, "--grid", PLAIN)
    assert status == 0 and "zjj" in out.splitlines()[0] and "R-cli" in out
    status, out, _ = await cli("change", "R-cli", "--department", "scjg")
    assert status == 0 and "R-cli v2" in out and "scjg" in out and GRIDS[1].street in out
    status, out, _ = await cli("change", "R-cli", "--area", "any")
    assert status == 0 and "R-cli v3" in out and "anywhere" in out
    status, out, _ = await cli("end", "R-cli")
    assert status == 0 and "[ended]" in out
    status, out, _ = await cli("list", "--history", "--category", GARBAGE)
    assert [line.split()[1] for line in out.splitlines() if line.startswith("R-cli ")] == [
        "v1",
        "v2",
        "v3",
    ]
    status, _, err = await cli("add", "--category", GARBAGE, "--department", "nobody")
    assert status == 2 and "department" in err
    status, _, err = await cli(
        "add",
        "--category",
        GARBAGE,
        "--department",
        "zjj",
        "--from",
        (TODAY + timedelta(days=5)).isoformat(),
        "--to",
        TODAY.isoformat(),
    )
    assert status == 2 and "effective_to" in err
    status, _, err = await cli("end", "R-nope")
    assert status == 1 and "R-nope" in err
    status, _, err = await cli("end", "R-cli")
    assert status == 3 and "already ended" in err
