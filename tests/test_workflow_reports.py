"""The report workflow on the time-skipping server, the worker's activities on the seeded demo
city (China's 2026 calendar): a make-up Saturday gets its daily report and its notice, a holiday
neither; a year the calendar lacks is compiled anyway, and the command centre is alerted; the
report reaches the channels subscribed (a WeCom group as markdown, the command centre by e-mail
with its CSV), real receivers on localhost."""

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import col, select, update
from temporalio.testing import WorkflowEnvironment

from domain.calendar import SHANGHAI
from domain.notices import EventKind, event_id
from domain.reports import ReportKind, ReportOutcome, ReportRequest
from readmodel.access.tables import User
from readmodel.db import Database
from readmodel.notices.secrets import encrypt
from readmodel.notices.tables import NotificationChannel, NotificationSubscription
from readmodel.reports import store
from readmodel.reports.export import CSV_COLUMNS
from readmodel.tickets.tables import Notification
from settings import Settings
from tests.notify_receivers import serving, smtp_server, wecom_robot
from tests.workflow_helpers import config_for
from worker import build_worker
from workflows.reports import ReportWorkflow


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(8, 30), SHANGHAI)


@asynccontextmanager
async def worker(env: WorkflowEnvironment, db: Database) -> AsyncIterator[Settings]:
    config = config_for(db)
    async with build_worker(env.client, db=db, config=config):
        yield config


async def daily(env: WorkflowEnvironment, config: Settings, day: str) -> ReportOutcome:
    return await env.client.execute_workflow(
        ReportWorkflow.run,
        ReportRequest(kind=ReportKind.DAILY, at=at(day)),
        id=f"report-test-{uuid.uuid4()}",
        task_queue=config.task_queue,
    )


async def run(env: WorkflowEnvironment, db: Database, day: str) -> ReportOutcome:
    async with worker(env, db) as config:
        return await daily(env, config, day)


async def told(db: Database, kind: EventKind) -> list[Notification]:
    async with db.session() as session:
        return list(
            (
                await session.exec(select(Notification).where(col(Notification.kind) == kind.value))
            ).all()
        )


async def test_a_make_up_saturday_gets_the_daily_report_a_holiday_does_not(
    ts_env: WorkflowEnvironment, db: Database
) -> None:
    holiday = await run(ts_env, db, "2026-10-01")  # National Day
    assert (holiday.compiled, holiday.report_id) == (False, "daily-2026-10-01")
    assert "not a working day" in holiday.reason
    saturday = await run(ts_env, db, "2026-10-10")  # its make-up Saturday (调休)
    assert (saturday.compiled, saturday.report_id) == (True, "daily-2026-10-10")
    async with db.session() as session:
        assert await store.get(session=session, report_id="daily-2026-10-01") is None
        report = await store.get(session=session, report_id="daily-2026-10-10")
    assert report is not None and report.calendar_known
    assert (report.period_start, report.period_end) == (date(2026, 10, 9), date(2026, 10, 10))
    [notice] = await told(db, EventKind.DAILY_REPORT)
    assert notice.event_id == event_id("report", "daily-2026-10-10")
    assert notice.data["title"] == "每日销号通报 2026-10-10"
    assert notice.data["summary"][0] == "统计 2026-10-09"
    assert await told(db, EventKind.CALENDAR_ALERT) == []


async def test_a_year_the_calendar_lacks_is_compiled_and_alerted(
    ts_env: WorkflowEnvironment, db: Database
) -> None:
    sunday = await run(ts_env, db, "2150-03-02")
    assert (sunday.compiled, sunday.report_id) == (True, "daily-2150-03-02")
    async with db.session() as session:
        report = await store.get(session=session, report_id="daily-2150-03-02")
    assert report is not None and not report.calendar_known
    [alert] = await told(db, EventKind.CALENDAR_ALERT)
    assert alert.data["report_id"] == "daily-2150-03-02" and "2150" in alert.data["title"]
    [notice] = await told(db, EventKind.DAILY_REPORT)
    assert any("2150" in line for line in notice.data["summary"])


ROBOT_KEY = "wecom-robot-key-0123"
CENTRE_MAIL = "chen@centre.example.cn"


async def subscribe(db: Database, robot_url: str, smtp_port: int) -> None:
    """The command centre's WeCom group and its supervisors' e-mail take the daily report."""
    key = Settings().secrets_key
    assert key is not None
    now = datetime.now(UTC)
    async with db.session() as session:
        await session.exec(
            update(User).where(col(User.user_id) == "chen").values(email=CENTRE_MAIL)
        )
        session.add_all(
            [
                NotificationChannel(
                    channel_id="centre-wecom",
                    kind="wecom",
                    name="指挥中心群",
                    url=f"{robot_url}/cgi-bin/webhook/send",
                    secret_ciphertext=encrypt(key.get_secret_value(), ROBOT_KEY),
                    created_at=now,
                ),
                NotificationChannel(
                    channel_id="report-mail",
                    kind="email",
                    name="通报邮件",
                    url=f"smtp://127.0.0.1:{smtp_port}",
                    settings={"from": "网格化管理平台 <noreply@grid.example.cn>"},
                    created_at=now,
                ),
            ]
        )
        await session.flush()
        session.add_all(
            [
                NotificationSubscription(
                    kind="daily_report",
                    audience="target",
                    channel_id="centre-wecom",
                    created_at=now,
                ),
                NotificationSubscription(
                    kind="daily_report",
                    audience="command_centre",
                    channel_id="report-mail",
                    created_at=now,
                ),
            ]
        )
        await session.commit()


async def test_the_report_reaches_the_wecom_group_and_the_centre_by_mail(
    ts_env: WorkflowEnvironment, db: Database
) -> None:
    with serving(wecom_robot(ROBOT_KEY)) as robot, smtp_server() as (mailbox, port):
        await subscribe(db, robot.url, port)
        async with worker(ts_env, db) as config:
            outcome = await daily(ts_env, config, "2026-10-10")
            assert outcome.compiled
            # pushes wait for working time: let the relay's clock run to it
            await ts_env.sleep(timedelta(days=1))
            for _ in range(100):
                if robot.requests and mailbox.mails:
                    break
                await asyncio.sleep(0.1)
    [request] = robot.requests
    markdown = request.json()["markdown"]["content"]
    assert markdown.startswith("### 每日销号通报 2026-10-10")
    assert "> 统计 2026-10-09" in markdown and "> 新增 0 件" in markdown
    assert "/app/reports/daily-2026-10-10" in markdown
    [(_sender, rcpt, mail)] = mailbox.mails
    assert rcpt == [CENTRE_MAIL] and mail["Subject"] == "每日销号通报 2026-10-10"
    html = mail.get_body(("html",))
    assert html is not None and "<p>统计 2026-10-09</p>" in html.get_content()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "gridflow-daily-2026-10-10.csv"
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    rows = list(csv.DictReader(io.StringIO(payload.decode("utf-8-sig"))))
    assert list(rows[0]) == CSV_COLUMNS and rows[0]["section"] == "district"
