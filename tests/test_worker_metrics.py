"""The worker's gridflow_* metrics count what a projection carries and what the read model
holds (docs/observability.md); tests/test_prometheus_scrape.py scrapes them."""

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from activities.metrics import projected
from domain.models import TicketEvent
from domain.states import Action, Role, TicketStatus


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def event(action: Action, ago: timedelta) -> TicketEvent:
    return TicketEvent(
        seq=1,
        at=datetime.now(UTC) - ago,
        actor_id="system",
        actor_role=Role.SYSTEM,
        action=action,
        to_status=TicketStatus.DISPATCHED,
    )


def test_a_projection_counts_its_breaches_escalations_and_lag() -> None:
    breaches, escalations = (
        value("gridflow_deadline_breaches_total"),
        value("gridflow_escalations_total"),
    )
    lags = value("gridflow_projection_lag_seconds_count")
    within = {le: value("gridflow_projection_lag_seconds_bucket", le=le) for le in ("30.0", "60.0")}
    projected(
        [
            event(Action.DEADLINE_BREACHED, timedelta(seconds=90)),
            event(Action.ESCALATE, timedelta(seconds=45)),
            event(Action.REMIND, timedelta(seconds=45)),
        ]
    )
    assert value("gridflow_deadline_breaches_total") == breaches + 1
    assert value("gridflow_escalations_total") == escalations + 1
    assert value("gridflow_projection_lag_seconds_count") == lags + 1  # one write: its newest event
    assert value("gridflow_projection_lag_seconds_bucket", le="30.0") == within["30.0"]
    assert value("gridflow_projection_lag_seconds_bucket", le="60.0") == within["60.0"] + 1
    projected([])
    assert value("gridflow_projection_lag_seconds_count") == lags + 1
