"""Subjects (the shop, school or building a ticket concerns) and their colour: pure rules.

white: no open problem · yellow: rectification ordered · red: major hazard, stopped for
rectification · black: shut down, or resumed without permission. When the last problem is
rectified and written off, the subject stays yellow/red through an observation period that ends
with a re-check task; only a clean re-check turns it white.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from domain.states import Severity

OBSERVATION = timedelta(days=91)  # three months


class Colour(StrEnum):
    WHITE = "white"
    YELLOW = "yellow"
    RED = "red"
    BLACK = "black"


class SubjectEvent(BaseModel):
    at: datetime
    kind: str
    ticket_id: str | None = None
    actor_id: str | None = None
    colour: Colour
    note: str | None = None


class SubjectState(BaseModel):
    code: str  # the "sunshine code" posted at the door
    name: str
    colour: Colour = Colour.WHITE
    open_problems: dict[str, Severity] = Field(default_factory=dict)  # ticket id -> severity
    watch_colour: Colour | None = None  # the colour kept through observation and re-check
    observation_until: datetime | None = None
    recheck_due: bool = False
    black_reason: str | None = None
    history: list[SubjectEvent] = Field(default_factory=list)
    seq: int = 0

    @property
    def settled(self) -> bool:
        """Nothing open, nothing to wait for: the subject's workflow may rest."""
        return self.colour == Colour.WHITE and not self.open_problems


class ProblemFound(BaseModel):
    kind: Literal["problem_found"] = "problem_found"
    ticket_id: str
    severity: Severity


class ProblemClosed(BaseModel):
    """The ticket was written off (rectified and checked) or cancelled."""

    kind: Literal["problem_closed"] = "problem_closed"
    ticket_id: str
    rectified: bool


def _colour_of(state: SubjectState) -> Colour:
    if state.black_reason:
        return Colour.BLACK
    if Severity.RED in state.open_problems.values():
        return Colour.RED
    if state.open_problems:
        return Colour.YELLOW
    return state.watch_colour or Colour.WHITE


def _log(
    state: SubjectState,
    now: datetime,
    kind: str,
    *,
    ticket_id: str | None = None,
    actor_id: str | None = None,
    note: str | None = None,
) -> None:
    state.colour = _colour_of(state)
    state.seq += 1
    state.history.append(
        SubjectEvent(
            at=now,
            kind=kind,
            ticket_id=ticket_id,
            actor_id=actor_id,
            colour=state.colour,
            note=note,
        )
    )


def problem_found(state: SubjectState, event: ProblemFound, now: datetime) -> None:
    state.open_problems[event.ticket_id] = event.severity
    # A new problem restarts the cycle: observation begins again once it is rectified.
    state.observation_until, state.recheck_due, state.watch_colour = None, False, None
    _log(state, now, "problem_found", ticket_id=event.ticket_id, note=event.severity.value)


def problem_closed(state: SubjectState, event: ProblemClosed, now: datetime) -> None:
    before = _colour_of(state)
    if state.open_problems.pop(event.ticket_id, None) is None:
        return  # a ticket that never found a problem here: nothing changes
    if not state.open_problems and event.rectified and before != Colour.BLACK:
        state.watch_colour, state.observation_until = before, now + OBSERVATION
    _log(
        state,
        now,
        "problem_rectified" if event.rectified else "problem_dropped",
        ticket_id=event.ticket_id,
    )


def observation_over(state: SubjectState, now: datetime) -> bool:
    """The observation period ended: a re-check is due (True if that changed anything)."""
    if state.observation_until is None or now < state.observation_until:
        return False
    state.observation_until, state.recheck_due = None, True
    _log(state, now, "recheck_due")
    return True


def recheck(
    state: SubjectState, *, clean: bool, actor_id: str, note: str | None, now: datetime
) -> None:
    """Only a clean re-check turns the subject white; a failed one leaves the re-check due."""
    if clean:
        state.recheck_due, state.watch_colour = False, None
    _log(state, now, "recheck_clean" if clean else "recheck_failed", actor_id=actor_id, note=note)


def blacken(state: SubjectState, *, reason: str, actor_id: str, now: datetime) -> None:
    state.black_reason = reason
    _log(state, now, "blackened", actor_id=actor_id, note=reason)


def reinstate(state: SubjectState, *, actor_id: str, note: str | None, now: datetime) -> None:
    """Allowed to operate again: back under observation, never straight to white."""
    state.black_reason = None
    if not state.open_problems:
        state.watch_colour, state.observation_until = Colour.YELLOW, now + OBSERVATION
    _log(state, now, "reinstated", actor_id=actor_id, note=note)


class SubjectInput(BaseModel):
    state: SubjectState
    grid: str


class RecheckInput(BaseModel):
    actor_id: str
    actor_role: str
    actor_grids: list[str] = Field(default_factory=list)
    clean: bool
    note: str | None = None


class BlackInput(BaseModel):
    actor_id: str
    actor_role: str
    reason: str | None = None  # shut down / resumed without permission; none to reinstate


class SubjectNews(BaseModel):
    """What a ticket tells its subject (through an activity that signals-with-start)."""

    subject_code: str
    event: ProblemFound | ProblemClosed = Field(discriminator="kind")
