"""Typed search attributes, defined once; no personal data ever goes in here."""

from typing import Any

from temporalio.common import SearchAttributeKey

TICKET_STATUS = SearchAttributeKey.for_keyword("TicketStatus")
TICKET_DEPARTMENT = SearchAttributeKey.for_keyword("TicketDepartment")
TICKET_GRID = SearchAttributeKey.for_keyword("TicketGrid")
TICKET_CATEGORY = SearchAttributeKey.for_keyword("TicketCategory")
TICKET_OVERDUE = SearchAttributeKey.for_bool("TicketOverdue")
TICKET_DUE_AT = SearchAttributeKey.for_datetime("TicketDueAt")
TICKET_ESCALATION = SearchAttributeKey.for_int("TicketEscalationLevel")

ALL: list[SearchAttributeKey[Any]] = [
    TICKET_STATUS,
    TICKET_DEPARTMENT,
    TICKET_GRID,
    TICKET_CATEGORY,
    TICKET_OVERDUE,
    TICKET_DUE_AT,
    TICKET_ESCALATION,
]


def dev_server_args() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "BOOL": "Bool", "DATETIME": "Datetime", "INT": "Int"}
    args: list[str] = []
    for key in ALL:
        args += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return args
