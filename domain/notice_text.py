"""What a notice says, in Chinese first (the field's language) and plain enough for an SMS.
Pure: the relay gives it the event and a few facts of its ticket."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.calendar import SHANGHAI
from domain.notices import EventKind, NoticeEvent

TITLES = {
    EventKind.WARNING: "临期预警",
    EventKind.BREACH: "超期告警",
    EventKind.ESCALATE: "超期升级",
    EventKind.REMIND: "系统催办",
    EventKind.REVIEW: "挂起复核",
    EventKind.REPLAN: "时限待重算",
    EventKind.RETURN: "退回派遣",
    EventKind.DUPLICATE: "疑似重复",
    EventKind.RECHECK: "重点对象复查",
    EventKind.CALENDAR_ALERT: "工作日历即将用完",
    EventKind.DAILY_REPORT: "每日销号通报",
    EventKind.WEEKLY_REPORT: "每周通报",
    EventKind.MONTHLY_REPORT: "每月通报",
    EventKind.URGE: "催办",
    EventKind.SUPERVISE: "督办单",
    EventKind.ORDER_BREACH: "督办单逾期未回复",
    EventKind.ORDER_ESCALATE: "督办单升级",
    EventKind.REDATE: "时限调整",
}

STAGES = {
    "dispatch": "派遣",
    "claim": "签收",
    "verify": "核实",
    "handle": "处置",
    "rectify": "整改",
    "write_off": "核查结案",
}


@dataclass(frozen=True)
class TicketFacts:
    """What a message may say of its ticket: no reporter, no phone, no description."""

    ticket_id: str
    category: str  # its name, e.g. 暴露垃圾
    grid: str
    department: str | None
    status: str


@dataclass(frozen=True)
class Text:
    title: str
    text: str
    markdown: str
    html: str


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def lines_of(event: NoticeEvent, ticket: TicketFacts | None) -> list[str]:
    lines: list[str] = []
    if ticket is not None:
        lines.append(f"工单 {ticket.ticket_id} · {ticket.category} · 网格 {ticket.grid}")
        if ticket.department:
            lines.append(f"责任单位 {ticket.department}")
    if event.stage:
        lines.append(f"环节 {STAGES.get(event.stage, event.stage)}")
    if event.due_at is not None:
        lines.append(f"时限 {_local(event.due_at)}")
    if event.level is not None:
        lines.append(f"升级至第 {event.level} 级")
    message = event.data.get("message")
    if isinstance(message, str) and message:
        lines.append(message)
    summary: Any = event.data.get("summary")
    if isinstance(summary, list):
        lines += [str(s) for s in summary]
    link = event.data.get("link")
    if isinstance(link, str) and link:
        lines.append(link)
    return lines


def render(event: NoticeEvent, ticket: TicketFacts | None) -> Text:
    title = str(event.data.get("title") or TITLES.get(event.kind, event.kind.value))
    if event.urgent:
        title = f"【紧急】{title}"
    lines = lines_of(event, ticket)
    text = "\n".join([f"【{title}】", *lines])
    markdown = "\n".join([f"### {title}", *[f"> {line}" for line in lines]])
    body = "".join(f"<p>{_escape(line)}</p>" for line in lines)
    html = f"<h3>{_escape(title)}</h3>{body}"
    return Text(title=title, text=text, markdown=markdown, html=html)


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
