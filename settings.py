"""The one settings object for API, worker and tools (environment variables GRIDFLOW_*)."""

import ipaddress
import secrets
from datetime import time
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.calendar import DEFAULT_WORKING_HOURS, check_working_hours
from domain.policy import DeadlinePolicy

# Secrets that were ever published in this repository: refused whoever sets them (docs/auth.md).
PUBLISHED_JWT_SECRETS = frozenset({"gridflow-dev-secret-change-me-in-production"})


class MissingSecret(RuntimeError):
    """The API was started without a signing secret of its own."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDFLOW_", env_nested_delimiter="__")

    data_dir: Path = Path("data")
    database_url: str = "sqlite+aiosqlite:///data/gridflow.db"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    # Temporal beyond this machine (docs/temporal-security.md): TLS (the system's roots, or a
    # private CA), mTLS (a client certificate and key), an API key (Temporal Cloud). Any file or
    # the server name set turns TLS on; an API key does too unless GRIDFLOW_TEMPORAL_TLS=false.
    temporal_tls: bool | None = None
    temporal_tls_server_ca_file: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_tls_client_cert_file: Path | None = None
    temporal_tls_client_key_file: Path | None = None
    temporal_api_key: SecretStr | None = None
    temporal_api_key_file: Path | None = None
    # Every payload written to Temporal is encrypted (temporal_codec.py): JSON {"key-id": "<base64
    # of 32 bytes>"} inline or in a file, the active key's id when there are several. Without
    # keys no process connects, unless GRIDFLOW_PAYLOAD_ENCRYPTION=off. Browsers at these origins
    # (the Temporal UI) may call the codec endpoint: '["https://temporal.example.gov"]'.
    payload_encryption: bool = True
    payload_keys: SecretStr | None = None
    payload_keys_file: Path | None = None
    payload_key_id: str | None = None
    temporal_ui_origins: list[str] = []
    task_queue: str = "gridflow-tickets"
    deadline_policy: DeadlinePolicy = DeadlinePolicy()
    log_json: bool = True
    # Observability (docs/observability.md): spans over OTLP/HTTP to this collector, e.g.
    # "http://otel-collector:4318" (else OTEL_EXPORTER_OTLP_ENDPOINT; neither: no tracing); the
    # worker's own gridflow_* metrics at http://<address>/metrics, its ticket counts refreshed
    # this often.
    otlp_endpoint: str | None = None
    worker_metrics_address: str | None = None
    ticket_count_every_seconds: float = 30.0
    # host:port where the Temporal SDK serves its own metrics (temporal_*: task slots, polls,
    # schedule-to-start latency, sticky cache) for Prometheus; off when unset.
    temporal_metrics_address: str | None = None
    # GRIDFLOW_WORKING_HOURS='[["09:00","12:00"],["13:30","17:30"]]' (local time, Asia/Shanghai)
    working_hours: list[tuple[time, time]] = list(DEFAULT_WORKING_HOURS)
    # Authentication (docs/auth.md). The API refuses to start without a signing secret:
    # GRIDFLOW_JWT_SECRET, or a file holding it (GRIDFLOW_JWT_SECRET_FILE, for container
    # secrets). GRIDFLOW_DEV_MODE=true instead signs with a random secret of this process's own,
    # so no process ever accepts a token signed with a value anyone could read here.
    jwt_secret: SecretStr | None = None
    jwt_secret_file: Path | None = None
    dev_mode: bool = False
    access_token_minutes: int = 30
    # Intake rate limits per user / API key (docs/input.md): a token bucket.
    intake_per_minute: float = 60.0
    intake_burst: int = 20
    # Failed logins per user name and per client address (docs/auth.md): a token bucket.
    login_failures_per_minute: float = 5.0
    login_failure_burst: int = 10
    login_failures_per_address_per_minute: float = 30.0
    login_failure_address_burst: int = 50
    # Proxies whose X-Forwarded-For is believed (addresses or networks, e.g. '["10.0.0.0/8"]');
    # none by default: the peer's own address is the client's (api/client_address.py).
    trusted_proxies: list[str] = []
    # The public Open311 GeoReport v2 facade (docs/open311.md): the one jurisdiction it serves
    # (a request naming another gets 404) and the contact its discovery document names.
    open311_jurisdiction_id: str = "gridflow.local"
    open311_contact: str = "the city's command centre (城市运行管理中心)"
    # The audit's open calls (an action whose outcome its API did not see: answered 5xx, or the
    # API died) are settled from the workflow's record once this old, every so often
    # (readmodel/access/audit_resolve.py). Older than the API's wait for an update (30 s), so
    # that no live request's call is settled under it.
    audit_resolve_after_seconds: float = 60.0
    audit_resolve_every_seconds: float = 30.0
    # A sensor's repeat of a fault its open ticket recorded less than this long ago is
    # acknowledged and audited but not sent to the workflow (docs/lifecycle.md, Duplicates and
    # sensors): a stuck device would otherwise grow the ticket's history without bound. 0: send
    # every one.
    sensor_repeat_quiet_seconds: float = 600.0
    # Notification channels' secrets (robot keys, SMTP and gateway passwords) are stored
    # encrypted with this Fernet key (docs/notifications.md); a file holding it also does
    # (GRIDFLOW_SECRETS_KEY_FILE). Without one, a channel's secret can only name an environment
    # variable. Links in notices point at this base URL.
    secrets_key: SecretStr | None = None
    secrets_key_file: Path | None = None
    public_url: str = "http://127.0.0.1:8000"
    # The delivery relay's retries: a channel down this long loses nothing (domain/notices.py).
    notice_max_attempts: int = 30
    # Worker tuning (docs/benchmarks.md); None keeps the Temporal SDK's default. The sticky cache
    # (max_cached_workflows, SDK default 1000) bounds the worker's memory however many tickets
    # are open.
    worker_max_cached_workflows: int | None = None
    worker_max_concurrent_workflow_tasks: int | None = None
    worker_max_concurrent_activities: int | None = None
    worker_max_concurrent_workflow_task_polls: int | None = None
    worker_max_concurrent_activity_task_polls: int | None = None
    # How long a cached ticket's workflow task may wait for its worker before the server hands it
    # to any worker, which must replay the whole history first (the SDK's default, 10 s, when
    # unset). A holiday morning queues thousands of alarms: at 10 s they spilled off the sticky
    # queue, each spill a full replay, and replays in the busy worker outlived their own 10 s
    # timeout (docs/benchmarks.md, section 8 findings). Raising it has a price: the tickets cached
    # in a worker killed with kill -9 wait up to this long before another worker takes them
    # (tests/test_faults_cluster.py failed at 300 s), so it stays a choice, not a default.
    worker_sticky_schedule_to_start_seconds: float | None = Field(default=None, gt=0, le=3600)
    # Workflow support modules the sandbox shares instead of re-importing for every workflow it
    # creates: ~20 % less worker CPU per new ticket (docs/benchmarks.md). They hold only
    # constants and functions; the sandbox's checks of their code still run in the replay tests
    # (tests/test_replay.py replays every saved history under the full default sandbox).
    # [] restores the full sandbox in production too.
    worker_sandbox_passthrough: list[str] = ["workflows.core", "workflows.steps"]

    @model_validator(mode="after")
    def _secrets_key(self) -> "Settings":
        if self.secrets_key is None and self.secrets_key_file is not None:
            try:
                self.secrets_key = SecretStr(self.secrets_key_file.read_text().strip())
            except OSError as err:
                raise ValueError(f"GRIDFLOW_SECRETS_KEY_FILE cannot be read: {err}") from None
        return self

    @model_validator(mode="after")
    def _signing_secret(self) -> "Settings":
        if self.jwt_secret is None and self.jwt_secret_file is not None:
            try:
                text = self.jwt_secret_file.read_text().strip()
            except OSError as err:
                raise ValueError(f"GRIDFLOW_JWT_SECRET_FILE cannot be read: {err}") from None
            self.jwt_secret = SecretStr(text)
        if self.jwt_secret is not None:
            value = self.jwt_secret.get_secret_value()
            if value in PUBLISHED_JWT_SECRETS:
                raise ValueError(
                    "GRIDFLOW_JWT_SECRET is a value published in gridflow's "
                    "repository; set 32+ random bytes of your own"
                )
            if len(value.encode()) < 32:  # HS256 wants a key as long as its hash
                raise ValueError("GRIDFLOW_JWT_SECRET needs at least 32 bytes")
        return self

    _ephemeral_secret: bool = PrivateAttr(False)

    def model_post_init(self, context: Any) -> None:
        if self.jwt_secret is None and self.dev_mode:
            self.jwt_secret = SecretStr(secrets.token_urlsafe(48))
            self._ephemeral_secret = True

    def jwt_secret_given(self) -> bool:
        """Was the secret configured (not made up for this process by GRIDFLOW_DEV_MODE)?"""
        return self.jwt_secret is not None and not self._ephemeral_secret

    def signing_secret(self) -> str:
        """The secret tokens are signed and checked with; MissingSecret when none was given."""
        if self.jwt_secret is None:
            raise MissingSecret(
                "no JWT signing secret: set GRIDFLOW_JWT_SECRET (32+ random bytes) or "
                "GRIDFLOW_JWT_SECRET_FILE; for development only, GRIDFLOW_DEV_MODE=true signs "
                "with a random secret that lasts as long as the process (docs/auth.md)"
            )
        return self.jwt_secret.get_secret_value()

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"GRIDFLOW_TRUSTED_PROXIES: {entry!r} is not an address or network"
                ) from None
        return value

    @field_validator("working_hours")
    @classmethod
    def _working_hours(cls, value: list[tuple[time, time]]) -> list[tuple[time, time]]:
        return list(check_working_hours(value))


settings = Settings()
