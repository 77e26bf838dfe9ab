"""Property-based fuzzing of every /api/v1 and /open311/v2 operation from the OpenAPI schema
(schemathesis 4, in-process over ASGI, real dev server and worker): valid and invalid requests,
as each demo principal and as nobody, with real ticket, photo, subject and rule ids mixed in.
No response may be a 5xx, and every one must be documented: its status code, content type,
headers and body. Derandomized: the same examples every run (GRIDFLOW_FUZZ_EXAMPLES per operation
and mode, default 5; the failures name the operation and the request as a curl command)."""

import asyncio
import os
import time
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from readmodel.db import Database
from tests.api_fixtures import ADMIN, CGJ, SENSOR, SUPERVISOR, WANG, Gridflow
from tests.factories import GARBAGE_RULE
from tests.test_api_lifecycle import wait_for_status
from tests.test_api_photos import png
from tests.test_api_rate_limit import limited

# SQLite by default (tests/test_api_hostile.py covers what PostgreSQL refuses); both with
# GRIDFLOW_FUZZ_BACKENDS=sqlite,postgresql
BACKENDS = os.environ.get("GRIDFLOW_FUZZ_BACKENDS", "sqlite").split(",")
EXAMPLES = int(os.environ.get("GRIDFLOW_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PRINCIPALS = [None, WANG, CGJ, SUPERVISOR, ADMIN, SENSOR]
# Operations that take the fuzzer's own credentials away (revoked tokens, bumped token versions,
# deleted keys) run last, so that they cannot hide the rest behind 401s.
LAST = ("/api/v1/admin/users", "/api/v1/admin/api-keys", "/api/v1/auth/logout")
BASE_URL = "http://gridflow.test"


def operations() -> list[Any]:
    schema = schemathesis.openapi.from_dict(create_app().openapi())
    ops = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the app's schema describes every operation
        ops.append(result.ok())
    ops = [op for op in ops if op.path.startswith(("/api/v1/", "/open311/v2/"))]
    return sorted(ops, key=lambda op: (op.path.startswith(LAST), op.path, op.method))


def httpx_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis prepares `requests` arguments; httpx names two of them differently."""
    out: dict[str, Any] = {
        k: kwargs[k] for k in ("method", "url", "headers", "params", "json") if k in kwargs
    }
    if kwargs.get("files"):
        out["files"] = [(name, _part(value)) for name, value in kwargs["files"]]
        if isinstance(kwargs.get("data"), dict):
            out["data"] = kwargs["data"]
    elif isinstance(kwargs.get("data"), dict):
        out["data"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        out["content"] = data.encode() if isinstance(data, str) else data
    if kwargs.get("cookies"):
        out["cookies"] = kwargs["cookies"]
    return out


def _part(value: Any) -> Any:
    """httpx wants the bytes or text of a multipart part; requests also takes numbers."""
    if isinstance(value, tuple):
        filename, content, *rest = value
        if not isinstance(content, (bytes, str)):
            content = str(content)
        return (filename, content, *rest)
    return value if isinstance(value, (bytes, str)) else str(value)


async def real_ids(gf: Gridflow) -> dict[str, list[Any]]:
    """Ids that exist, so that the fuzzer gets past 404 into the handlers."""
    dispatched = await gf.new_ticket()
    claimed = await gf.new_ticket()
    await wait_for_status(gf, dispatched, "dispatched")
    await wait_for_status(gf, claimed, "dispatched")
    assert (await gf.act(claimed, "claim", CGJ)).status_code == 200
    photo = await gf.call(
        "POST",
        "/photos",
        WANG,
        data={"kind": "report"},
        files={"file": ("p.png", png((32, 24)), "image/png")},
    )
    assert photo.status_code == 201, photo.text
    return {
        "ticket_id": [dispatched, claimed],
        "photo_id": [photo.json()["photo_id"]],
        "code": ["SS-0001", "SS-0003"],
        "rule_id": [GARBAGE_RULE, 1],
        "user_id": ["li", "qian"],
        "key_id": ["demo-gateway"],
        "year": [2026],
        "service_request_id": [dispatched, claimed],
        "service_code": ["E0101", "C0101"],
        "fmt": ["json", "xml"],
    }


def fuzz_operation(
    op: Any,
    *,
    call: Any,
    auth: dict[str | None, dict[str, str]],
    known: dict[str, list[Any]],
    failures: list[str],
) -> int:
    """Run one operation's examples (valid, then invalid); returns how many were sent."""
    sent = 0

    def check(case: Any, who: str | None, use_real: bool, pick: int) -> None:
        nonlocal sent
        for name, values in known.items():
            if use_real and case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = values[pick % len(values)]
        for header in ("Authorization", "X-API-Key", "authorization", "x-api-key"):
            (case.headers or {}).pop(header, None)
        kwargs = httpx_kwargs(case.as_transport_kwargs(base_url=BASE_URL, headers=auth[who]))
        try:
            response = call(kwargs)
        except httpx.InvalidURL:
            reject()  # longer than the HTTP client will send: no server could be asked it
        sent += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, FailureGroup) as failure:  # FailureGroup: a BaseException
            curl = case.as_curl_command(headers=auth[who])
            failures.append(
                f"{op.method.upper()} {op.path} as {who}: {response.status_code} "
                f"{response.text[:300]}\n{failure}\n{curl}\n"
            )
            raise

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        run = given(
            case=op.as_strategy(generation_mode=mode),
            who=st.sampled_from(PRINCIPALS),
            use_real=st.booleans(),
            pick=st.integers(0, 3),
        )(check)
        run = settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )(run)
        try:
            run()
        except Unsatisfiable:  # nothing in the operation can be made invalid (no inputs)
            if mode is GenerationMode.POSITIVE:
                raise
        except (Exception, FailureGroup):  # recorded in `failures`; the others still run
            if not failures or not failures[-1].startswith(f"{op.method.upper()} {op.path} "):
                raise
    return sent


@pytest.mark.timeout(360)
async def test_every_operation_answers_as_documented(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    async with limited(dev_env, db, per_minute=60_000, burst=100_000) as gf:
        known = await real_ids(gf)
        auth = {who: (await gf.headers(who) if who else {}) for who in PRINCIPALS}
        loop = asyncio.get_running_loop()

        async def send(kwargs: dict[str, Any]) -> httpx.Response:
            request = gf.http.build_request(**kwargs)
            request.read()  # multipart bodies too: the checks look at what was sent
            return await gf.http.send(request)

        def call(kwargs: dict[str, Any]) -> httpx.Response:
            return asyncio.run_coroutine_threadsafe(send(kwargs), loop).result(timeout=60)

        def run_all() -> tuple[list[str], int, list[str]]:
            failures: list[str] = []
            timings, total = [], 0
            for op in operations():
                started = time.perf_counter()
                total += fuzz_operation(op, call=call, auth=auth, known=known, failures=failures)
                timings.append(f"{time.perf_counter() - started:5.1f}s {op.method} {op.path}")
            return failures, total, timings

        failures, total, timings = await asyncio.to_thread(run_all)
    print(f"{total} requests", *sorted(timings, reverse=True)[:5], sep="\n")
    assert not failures, f"{len(failures)} operations failed:\n" + "\n".join(failures)
