"""The subject colour rules, pure."""

from datetime import UTC, datetime, timedelta

from domain import subjects
from domain.states import Severity
from domain.subjects import OBSERVATION, Colour, ProblemClosed, ProblemFound, SubjectState

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def shop() -> SubjectState:
    return SubjectState(code="SS-1", name="shop")


def test_findings_set_the_colour_and_the_worst_wins() -> None:
    s = shop()
    subjects.problem_found(s, ProblemFound(ticket_id="T1", severity=Severity.YELLOW), T0)
    assert s.colour == Colour.YELLOW
    subjects.problem_found(s, ProblemFound(ticket_id="T2", severity=Severity.RED), T0)
    assert s.colour == Colour.RED
    subjects.problem_closed(s, ProblemClosed(ticket_id="T2", rectified=True), T0)
    assert s.colour == Colour.YELLOW and s.observation_until is None  # T1 is still open
    subjects.problem_closed(s, ProblemClosed(ticket_id="T1", rectified=True), T0)
    assert s.colour == Colour.YELLOW and s.observation_until == T0 + OBSERVATION


def test_observation_then_only_a_clean_recheck_turns_white() -> None:
    s = shop()
    subjects.problem_found(s, ProblemFound(ticket_id="T1", severity=Severity.RED), T0)
    subjects.problem_closed(s, ProblemClosed(ticket_id="T1", rectified=True), T0)
    assert not subjects.observation_over(s, T0 + OBSERVATION - timedelta(seconds=1))
    assert subjects.observation_over(s, T0 + OBSERVATION)
    assert s.recheck_due and s.colour == Colour.RED
    subjects.recheck(s, clean=False, actor_id="wang", note="again", now=T0 + OBSERVATION)
    assert s.recheck_due and s.colour == Colour.RED
    subjects.recheck(s, clean=True, actor_id="wang", note=None, now=T0 + OBSERVATION)
    assert s.colour == Colour.WHITE and s.settled
    assert [e.colour for e in s.history] == [Colour.RED] * 4 + [Colour.WHITE]


def test_a_new_problem_during_observation_restarts_the_cycle() -> None:
    s = shop()
    subjects.problem_found(s, ProblemFound(ticket_id="T1", severity=Severity.YELLOW), T0)
    subjects.problem_closed(s, ProblemClosed(ticket_id="T1", rectified=True), T0)
    subjects.problem_found(s, ProblemFound(ticket_id="T2", severity=Severity.YELLOW), T0)
    assert s.observation_until is None and s.colour == Colour.YELLOW
    subjects.problem_closed(s, ProblemClosed(ticket_id="T2", rectified=False), T0)
    assert s.colour == Colour.WHITE and s.observation_until is None  # dropped, not rectified


def test_black_trumps_everything_and_reinstating_means_observation() -> None:
    s = shop()
    subjects.problem_found(s, ProblemFound(ticket_id="T1", severity=Severity.RED), T0)
    subjects.blacken(s, reason="shut_down", actor_id="chen", now=T0)
    assert s.colour == Colour.BLACK
    subjects.problem_closed(s, ProblemClosed(ticket_id="T1", rectified=True), T0)
    assert s.colour == Colour.BLACK and s.observation_until is None
    subjects.reinstate(s, actor_id="chen", note=None, now=T0)
    assert s.colour == Colour.YELLOW and s.observation_until == T0 + OBSERVATION
    assert not s.settled


def test_news_about_an_unrelated_ticket_changes_nothing() -> None:
    s = shop()
    subjects.problem_closed(s, ProblemClosed(ticket_id="T9", rectified=True), T0)
    assert s.seq == 0 and s.history == [] and s.colour == Colour.WHITE
