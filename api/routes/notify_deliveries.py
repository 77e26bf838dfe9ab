"""Admin: deliveries, each event on each channel to each person or group: pending, sent or failed
once its retries are spent, and a retry of the failed ones (docs/notification-centre.md)."""

from datetime import UTC, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Query
from pydantic import Field
from temporalio.service import RPCError

from activities.notices import relay_waker
from api.deps import AdminUser, SessionDep, SettingsDep, TemporalClient
from api.errors import ApiError
from api.notice_views import (
    SLUG,
    DeliveryPage,
    DeliveryPublic,
    deliveries_public,
    delivery_public,
)
from api.paging import PageParams
from domain.notices import DeliveryStatus
from readmodel.notices import deliveries

router = APIRouter(prefix="/admin", tags=["notification admin"])
log = structlog.get_logger()


class RetriedDelivery(DeliveryPublic):
    relay_woken: bool = Field(description="false: the relay takes it on its next round")


@router.get("/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    user: AdminUser,
    session: SessionDep,
    paging: PageParams,
    status: DeliveryStatus | None = None,
    event_id: Annotated[str | None, Query(max_length=64)] = None,
    channel_id: Annotated[str | None, Query(pattern=SLUG)] = None,
) -> DeliveryPage:
    """Deliveries, newest first (admins): `status=failed` lists those to look at and retry."""
    rows, total = await deliveries.listing(
        session=session,
        status=status,
        event_id=event_id,
        channel_id=channel_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    return DeliveryPage.of(await deliveries_public(session, rows), total, paging)


@router.post("/deliveries/{delivery_id}/retry", response_model=RetriedDelivery)
async def retry_delivery(
    delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: AdminUser,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
) -> RetriedDelivery:
    """Try a failed delivery again from the start (admins): pending at once, the relay woken;
    409 when it has not failed."""
    retried = await deliveries.retry(
        session=session, delivery_id=delivery_id, now=datetime.now(UTC)
    )
    row = await deliveries.one(session=session, delivery_id=delivery_id)
    if row is None:
        raise ApiError(404, f"no delivery {delivery_id}")
    if not retried:
        raise ApiError(409, f"delivery {delivery_id} is {row.status}, not failed: nothing to retry")
    log.info("delivery_retried", delivery_id=delivery_id, by=user.user_id)
    try:
        await relay_waker(client, config.task_queue)()
        woken = True
    except RPCError as err:  # recorded all the same: the relay looks again on its next round
        log.warning("relay_not_woken", delivery_id=delivery_id, error=type(err).__name__)
        woken = False
    event = await deliveries.event(session=session, event_id=row.event_id)
    return RetriedDelivery(**delivery_public(row, event).model_dump(), relay_woken=woken)
