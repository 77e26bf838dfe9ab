"""The one settings object for API, worker and tools (environment variables GRIDFLOW_*)."""
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.policy import DeadlinePolicy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDFLOW_", env_nested_delimiter="__")

    data_dir: Path = Path("data")
    database_url: str = "sqlite+aiosqlite:///data/gridflow.db"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "gridflow-tickets"
    deadline_policy: DeadlinePolicy = DeadlinePolicy()
    log_json: bool = True


settings = Settings()
