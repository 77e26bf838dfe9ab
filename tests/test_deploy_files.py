"""deploy/'s files, checked offline by maintained validators (deploy/README.md, "What is proven"):
compose.yaml against the compose specification's schema (vendored by check-jsonschema), every
Kubernetes manifest against Kubernetes' own schema (kubernetes-validate, strict: an unknown field
fails), nginx.conf by `nginx -t`; then what no schema knows: the services' dependencies and order,
the probes' paths, the selectors, the jobs' image. Each validator is also shown a broken copy and
must refuse it, so a pass means something."""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from starlette.applications import Starlette
from starlette.routing import Match

from api.main import create_app
from readmodel.tickets.photo_store import MAX_BYTES

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES = "1.33.0"  # the oldest Kubernetes the manifests promise to run on (deploy/README.md)
BIN = Path(sys.executable).parent


def compose_errors(path: Path) -> str:
    """check-jsonschema's complaints about a compose file ('' when it is valid)."""
    done = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return "" if done.returncode == 0 else done.stdout + done.stderr


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_compose_file_follows_the_compose_specification() -> None:
    assert compose_errors(DEPLOY / "compose.yaml") == ""


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("condition: service_completed_successfully", "condition: service_finished"),
        ("restart: unless-stopped", "restart: [unless-stopped]"),
        ("stop_grace_period: 60s", "stop_grace_periode: 60s"),
    ],
)
def test_the_compose_check_refuses_a_broken_file(good: str, bad: str, tmp_path: Path) -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    assert good in text
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace(good, bad, 1))
    assert compose_errors(broken) != ""


def test_compose_starts_the_app_after_its_migration_and_temporal_setup() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on {needed}, which is no service"
    apps = {n for n, s in services.items() if s.get("image", "").startswith("${IMAGE")}
    assert {"api-1", "api-2", "worker", "migrate", "temporal-setup"} <= apps
    for name in ("api-1", "api-2", "worker"):
        after = services[name]["depends_on"]
        assert after["migrate"]["condition"] == "service_completed_successfully", name
        assert after["temporal-setup"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["temporal"]["depends_on"]["temporal-schema"]["condition"] == (
        "service_completed_successfully"
    )
    # Photos live in GRIDFLOW_DATA_DIR: both API replicas share the one volume.
    assert (
        services["api-1"]["volumes"] == services["api-2"]["volumes"] == ["photos:/var/lib/gridflow"]
    )


def test_compose_mounts_files_that_exist_and_secrets_git_ignores() -> None:
    spec = compose()
    for name, service in spec["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).is_file(), f"{name} mounts {source}"
    for name, secret in spec["secrets"].items():
        path = DEPLOY / secret["file"]
        done = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, check=False)
        assert done.returncode == 0, f"secret {name} ({secret['file']}) is not git-ignored"


def test_nginx_balances_both_api_replicas_and_sets_the_client_address() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    names = set(compose()["services"])
    upstream = re.findall(r"^\s*server (\S+):8000\b", conf, re.MULTILINE)
    assert sorted(upstream) == ["api-1", "api-2"] and set(upstream) <= names
    # Set, not appended: a client cannot choose the address the login limits count.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    for private in ("/metrics", "/readyz"):  # Prometheus and probes ask the replicas directly
        assert re.search(rf"location = {private} {{\s*return 404;\s*}}", conf), private
    nginx = compose()["services"]["nginx"]
    proxy = nginx["networks"]["gridflow"]["ipv4_address"]
    trusted = compose()["x-gridflow"]["environment"]["GRIDFLOW_TRUSTED_PROXIES"]
    assert yaml.safe_load(trusted) == [proxy]
    body = re.search(r"client_max_body_size (\d+)m;", conf)
    assert body is not None and int(body[1]) * 1024 * 1024 > MAX_BYTES


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    # Outside compose the replicas' names do not resolve: the copy checked names this host.
    text = re.sub(r"server api-\d:", "server 127.0.0.1:", conf.read_text())
    checked = conf.parent / "checked.conf"
    checked.write_text(text)
    return subprocess.run(
        ["nginx", "-t", "-q", "-p", str(conf.parent), "-c", str(checked), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_nginx_accepts_the_config_and_refuses_a_broken_one(tmp_path: Path) -> None:
    assert shutil.which("nginx") or Path("/usr/sbin/nginx").exists(), (
        "scripts/test.sh installs nginx"
    )
    good = tmp_path / "nginx.conf"
    shutil.copy(DEPLOY / "nginx.conf", good)
    done = nginx_test(good)
    assert done.returncode == 0, done.stderr
    broken = tmp_path / "broken" / "nginx.conf"
    broken.parent.mkdir()
    broken.write_text(good.read_text().replace("proxy_pass http://gridflow_api;", "proxy_pass;"))
    assert nginx_test(broken).returncode != 0


def test_prometheus_scrapes_services_of_the_compose_file() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    services = compose()["services"]
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host = target.split(":")[0]
                assert host == "localhost" or host in services, f"{job['job_name']}: {target}"
    for job in config["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            assert set(sd["names"]) <= set(services), job["job_name"]
    assert "PROMETHEUS_ENDPOINT" in services["temporal"]["environment"]
    api = {job["job_name"]: job for job in config["scrape_configs"]}["gridflow-api"]
    assert api["static_configs"][0]["targets"] == ["api-1:8000", "api-2:8000"]


def manifests() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") != "Kustomization":
                found.append((path, doc))
    return found


def kubernetes_errors(doc: dict[str, Any]) -> str:
    try:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    except kubernetes_validate.ValidationError as err:
        return str(err)
    return ""


def test_every_manifest_follows_the_kubernetes_schema() -> None:
    found = manifests()
    kinds = {doc["kind"] for _, doc in found}
    assert {
        "Namespace",
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Job",
        "PersistentVolumeClaim",
    } <= kinds
    errors = {f"{path.name} {doc['kind']}": kubernetes_errors(doc) for path, doc in found}
    assert {where: error for where, error in errors.items() if error} == {}


def test_the_kubernetes_check_refuses_broken_manifests() -> None:
    deployment = next(d for _, d in manifests() if d["kind"] == "Deployment")
    misspelt = yaml.safe_load(yaml.safe_dump(deployment))
    container = misspelt["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe", {})
    assert kubernetes_errors(misspelt) != ""
    wrong_type = yaml.safe_load(yaml.safe_dump(deployment))
    wrong_type["spec"]["replicas"] = "two"
    assert kubernetes_errors(wrong_type) != ""


def serves(app: Starlette, path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in manifests() if d["kind"] == kind}


def test_selectors_budgets_autoscaler_and_probes_fit_together() -> None:
    deployments, services = by_kind("Deployment"), by_kind("Service")
    app = create_app()
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert deployment["spec"]["template"]["metadata"]["labels"] == selector, name
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "limits" in container["resources"] and "requests" in container["resources"]
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe in container:
                    assert serves(app, container[probe]["httpGet"]["path"]), (name, probe)
    api = deployments["gridflow-api"]["spec"]["template"]["spec"]["containers"][0]
    assert {"livenessProbe", "readinessProbe"} <= set(api)
    for name, budget in by_kind("PodDisruptionBudget").items():
        labels = budget["spec"]["selector"]["matchLabels"]
        assert any(d["spec"]["selector"]["matchLabels"] == labels for d in deployments.values()), (
            name
        )
    for name, service in services.items():
        if "selector" not in service["spec"]:
            continue  # gridflow-not-public: no endpoints on purpose
        assert any(
            d["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
            for d in deployments.values()
        ), name
    hidden = by_kind("Ingress")["gridflow-not-public"]["spec"]["rules"][0]["http"]["paths"]
    assert {(x["path"], x["pathType"]) for x in hidden} == {
        ("/metrics", "Exact"),
        ("/readyz", "Exact"),
    }
    assert "selector" not in services["gridflow-not-public"]["spec"]
    (hpa,) = by_kind("HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "gridflow-worker"
    assert hpa["spec"]["minReplicas"] >= 2


def test_kustomization_lists_the_long_running_manifests_and_jobs_run_its_image() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    here = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == here
    (image,) = kustomization["images"]
    release = f"{image['newName']}:{image['newTag']}"
    jobs = by_kind("Job")
    assert set(jobs) == {"gridflow-migrate", "gridflow-temporal-setup"}
    for job in jobs.values():
        assert job["spec"]["template"]["spec"]["containers"][0]["image"] == release


def test_temporal_chart_values_keep_passwords_in_a_secret() -> None:
    text = (DEPLOY / "temporal-values.yaml").read_text()
    values = yaml.safe_load(text)
    stores = values["server"]["config"]["persistence"]["datastores"]
    for name, store in stores.items():
        sql = store["sql"]
        assert sql["pluginName"] == "postgres12", name
        assert "password" not in sql and sql["existingSecret"], name
    namespaces = [n["name"] for n in values["server"]["config"]["namespaces"]["namespace"]]
    config = by_kind("ConfigMap")["gridflow-config"]["data"]
    assert config["GRIDFLOW_TEMPORAL_NAMESPACE"] in namespaces
    assert config["GRIDFLOW_TEMPORAL_ADDRESS"].startswith("temporal-frontend.")
