"""One pattern per layer of the API, so that a newcomer who has read one router has read them all
(issue 13): routers hold no SQL (the read model's stores do), no route checks a role in its body
(the caller's type does: api/deps.py), every list pages through api/paging.py, and the API calls
workflow updates by typed reference."""

import ast
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api import paging
from api.main import create_app
from tests.api_fixtures import ADMIN, CGJ, WANG, Gridflow, gf  # noqa: F401  (gf: the running app)

ROOT = Path(__file__).resolve().parent.parent
ROUTERS = sorted(
    [
        *(ROOT / "api" / "routes").glob("*.py"),
        *(ROOT / "api" / "web").glob("*.py"),
        ROOT / "api" / "open311" / "routes.py",
    ]
)
# The routers' helpers that hand an update on to tickets_service.act or the subject workflow.
ACTION_HELPERS = {"act", "_act", "act_with_photos", "_update"}
SESSION_SQL = {"exec", "get", "add", "merge", "delete", "execute", "scalar", "refresh"}


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", ROUTERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_router_holds_no_sql(path: Path) -> None:
    found = []
    for node in ast.walk(tree(path)):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] in ("sqlmodel", "sqlalchemy")
            and not node.module.endswith("asyncio.session")
        ):
            found.append(f"line {node.lineno}: imports {node.module}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in SESSION_SQL
            and isinstance(node.value, ast.Name)
            and node.value.id == "session"
        ):
            found.append(f"line {node.lineno}: session.{node.attr}")
    assert found == []


@pytest.mark.parametrize("path", ROUTERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_route_checks_a_role_in_its_body(path: Path) -> None:
    calls = [
        node.lineno
        for node in ast.walk(tree(path))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", ""))
        in ("require_role", "ensure_role")
    ]
    assert calls == []


def test_every_list_pages_through_the_one_dependency() -> None:
    routes = [
        c.original_route
        for c in iter_route_contexts(create_app().routes)
        if isinstance(c.original_route, APIRoute)
    ]
    lists = [
        r
        for r in routes
        if isinstance(r.response_model, type) and issubclass(r.response_model, paging.Page)
    ]
    assert len(lists) >= 10
    for route in lists:
        dependencies = [d.call for d in route.dependant.dependencies]
        readers = [
            d
            for d in route.dependant.dependencies
            if d.call is not None and d.call.__qualname__ == "paging.<locals>.read"
        ]
        assert len(readers) == 1, (route.path, dependencies)
        assert sorted(p.name for p in readers[0].query_params) == ["limit", "offset"]
        assert not {"limit", "offset"} & {p.name for p in route.dependant.query_params}


def test_the_api_calls_workflow_updates_by_typed_reference() -> None:
    by_name = []
    for path in sorted((ROOT / "api").rglob("*.py")):
        for node in ast.walk(tree(path)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "")
                in ("execute_update", "start_update", "execute_update_with_start_workflow")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                by_name.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if (
                isinstance(node, ast.keyword)
                and node.arg == "update"
                and isinstance(node.value, ast.Constant)
            ):
                by_name.append(f"{path.relative_to(ROOT)}:{node.value.lineno}")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") in ACTION_HELPERS
                and any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            ):
                by_name.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert by_name == []


async def test_wrong_role_hears_403_before_any_check_of_the_input(gf: Gridflow) -> None:
    """The role is the route's first check (docs/authorization.md): a department's staff asking
    the admins' audit log for an impossible page, or a grid worker sending a malformed rule,
    hear that the route is not theirs, not what is wrong with the request."""
    audit = await gf.call("GET", "/admin/audit?limit=0&offset=-1", CGJ)
    assert audit.status_code == 403, audit.text
    assert "admin" in audit.json()["error"]["message"]
    rule = await gf.call("POST", "/admin/deadline-rules", WANG, json={"stage": "nonsense"})
    assert rule.status_code == 403, rule.text
    # The same requests from the role they are for are refused for their input.
    assert (await gf.call("GET", "/admin/audit?limit=0", ADMIN)).status_code == 422
    assert (
        await gf.call("POST", "/admin/deadline-rules", ADMIN, json={"stage": "nonsense"})
    ).status_code == 422
