"""The worker's tuning settings reach the Temporal Worker (worker.py tuning): what the holiday
morning's findings rest on (docs/benchmarks.md, section 8)."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from settings import Settings
from worker import tuning


def test_the_sticky_wait_is_the_sdks_unless_chosen() -> None:
    assert "sticky_queue_schedule_to_start_timeout" not in tuning(Settings())  # the SDK's 10 s
    chosen = Settings(worker_sticky_schedule_to_start_seconds=300)
    assert tuning(chosen)["sticky_queue_schedule_to_start_timeout"] == timedelta(minutes=5)


def test_sdk_defaults_stay_unless_a_setting_is_given() -> None:
    assert "max_cached_workflows" not in tuning(Settings())
    assert tuning(Settings(worker_max_cached_workflows=12_000))["max_cached_workflows"] == 12_000


@pytest.mark.parametrize("seconds", [0, -1, 7200])
def test_a_sticky_wait_out_of_range_is_refused(seconds: float) -> None:
    with pytest.raises(ValidationError, match="worker_sticky_schedule_to_start_seconds"):
        Settings(worker_sticky_schedule_to_start_seconds=seconds)
