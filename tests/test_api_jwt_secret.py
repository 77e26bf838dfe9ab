"""No process accepts a token signed with a secret anyone could read in the repository
(docs/auth.md, "Promises and the tests that guard them")."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt
import pytest
from temporalio.client import Client

from readmodel.db import Database
from settings import PUBLISHED_JWT_SECRETS, MissingSecret, Settings
from tests.api_fixtures import ADMIN, running_app
from tests.conftest import BACKENDS  # noqa: F401  (both backends: the login reads the users)
from tests.test_api_auth import claims
from worker import build_worker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLISHED = next(iter(PUBLISHED_JWT_SECRETS))


def _env_without_secret(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GRIDFLOW_JWT_SECRET", "GRIDFLOW_JWT_SECRET_FILE", "GRIDFLOW_DEV_MODE")
    }
    return env | {"PYTHONUNBUFFERED": "1"} | extra


def _start_api_by_hand(env: dict[str, str], tmp_path: os.PathLike[str]) -> tuple[int, str]:
    """Run the API by hand as docs/operations.md says; its exit code and output once it stops."""
    env = env | {
        "GRIDFLOW_DATA_DIR": str(tmp_path),
        "GRIDFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/gridflow.db",
        "GRIDFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",
    }  # never reached: it stops first
    proc = subprocess.run(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_the_api_refuses_to_start_without_a_secret_of_its_own(tmp_path: Path) -> None:
    code, output = _start_api_by_hand(_env_without_secret(), tmp_path)
    assert code != 0
    assert "GRIDFLOW_JWT_SECRET" in output and "GRIDFLOW_DEV_MODE" in output


def test_the_api_refuses_a_secret_published_in_the_repository(tmp_path: Path) -> None:
    code, output = _start_api_by_hand(_env_without_secret(GRIDFLOW_JWT_SECRET=PUBLISHED), tmp_path)
    assert code != 0
    assert "published" in output


def test_a_secret_file_is_read_and_checked(tmp_path: Path) -> None:
    good, short = tmp_path / "good", tmp_path / "short"
    good.write_text("x" * 48 + "\n")
    short.write_text("too-short\n")
    assert Settings(jwt_secret=None, jwt_secret_file=good).signing_secret() == "x" * 48
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(jwt_secret=None, jwt_secret_file=short)
    with pytest.raises(ValueError, match="cannot be read"):
        Settings(jwt_secret=None, jwt_secret_file=tmp_path / "absent")
    with pytest.raises(MissingSecret):
        Settings(jwt_secret=None).signing_secret()


async def test_the_development_switch_signs_with_a_secret_nobody_knows(
    temporal_client: Client, db: Database
) -> None:
    """Started with GRIDFLOW_DEV_MODE and no secret, an admin token forged with the old default
    (or with another process's development secret) is refused; a real login works."""
    config = Settings(
        jwt_secret=None, dev_mode=True, task_queue=f"tq-{uuid.uuid4()}", database_url=db.url
    )
    other_process = Settings(jwt_secret=None, dev_mode=True)
    assert config.signing_secret() != other_process.signing_secret()
    async with build_worker(temporal_client, db=db, config=config):
        async with running_app(temporal_client, db, config) as http:
            login = await http.post(
                "/api/v1/auth/token", data={"username": "admin", "password": ADMIN}
            )
            assert login.status_code == 200, login.text
            real = login.json()["access_token"]
            assert (
                await http.get("/api/v1/admin/users", headers={"Authorization": f"Bearer {real}"})
            ).status_code == 200
            forged_claims = claims(sub="admin", role="admin", exp=int(time.time()) + 600)
            for secret in (PUBLISHED, other_process.signing_secret()):
                forged = jwt.encode(forged_claims, secret, algorithm="HS256")
                answer = await http.get(
                    "/api/v1/admin/users", headers={"Authorization": f"Bearer {forged}"}
                )
                assert answer.status_code == 401, secret


async def test_an_app_without_a_secret_does_not_start(
    temporal_client: Client, db: Database
) -> None:
    config = Settings(jwt_secret=None, task_queue=f"tq-{uuid.uuid4()}", database_url=db.url)
    with pytest.raises(MissingSecret):
        async with running_app(temporal_client, db, config):
            pass
