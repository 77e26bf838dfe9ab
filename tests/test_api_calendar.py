"""The deadline preview and loading a year's schedule over HTTP: supervisors only, loud refusals."""

from typing import Any

import httpx

from tests.api_fixtures import CGJ, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401

ADMIN = "demo-admin"  # configuration writes are the admin's

# The test database knows 2004-2026 (chinesecalendar) and a few plain years after today (conftest);
# 2040 is far enough ahead to be unknown.
UNKNOWN = 2040


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


async def preview(gf: Gridflow, token: str | None = SUPERVISOR, **params: object) -> httpx.Response:
    return await gf.call("GET", "/calendar/deadline", token, params=params)


async def test_preview_counts_china_holidays_and_make_up_days(gf: Gridflow) -> None:
    response = await preview(gf, start="2025-09-30T16:00:00+08:00", amount=21, unit="working_hours")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "start": "2025-09-30T16:00:00+08:00",
        "amount": 21.0,
        "unit": "working_hours",
        "due_at": "2025-10-11T16:00:00+08:00",
        "timezone": "Asia/Shanghai",
        "provisional": False,
    }
    days = await preview(gf, start="2025-09-30T08:00:00Z", amount=1, unit="working_days")
    assert days.json()["due_at"] == "2025-10-09T16:00:00+08:00"
    hours = await preview(gf, start="2025-10-01T22:00:00+08:00", amount=4, unit="hours")
    assert hours.json()["due_at"] == "2025-10-02T02:00:00+08:00"


async def test_preview_is_for_supervisors(gf: Gridflow) -> None:
    params = {"start": "2025-09-30T16:00:00+08:00", "amount": 1, "unit": "working_days"}
    for token in (WANG, CGJ):
        response = await preview(gf, token, **params)
        assert response.status_code == 403 and "supervisor" in error(response)["message"]
    assert (await preview(gf, None, **params)).status_code == 401


async def test_preview_names_the_bad_field(gf: Gridflow) -> None:
    good: dict[str, Any] = {
        "start": "2025-09-30T16:00:00+08:00",
        "amount": 1,
        "unit": "working_days",
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({"start": "2025-09-30T16:00:00"}, "start"),
        ({"start": "tomorrow"}, "start"),
        ({"amount": -1}, "amount"),
        ({"amount": "nan"}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"unit": "weeks"}, "unit"),
    ]
    for change, field in cases:
        response = await preview(gf, **(good | change))
        assert response.status_code == 422, (change, response.text)
        err = error(response)
        assert err["code"] == "invalid" and [f["field"] for f in err["fields"]] == [field], change
    missing = await gf.call("GET", "/calendar/deadline?amount=1&unit=hours", SUPERVISOR)
    assert missing.status_code == 422 and error(missing)["fields"][0]["field"] == "start"


async def test_preview_in_a_year_the_calendar_does_not_know_fails_loudly(gf: Gridflow) -> None:
    response = await preview(
        gf, start=f"{UNKNOWN}-03-01T10:00:00+08:00", amount=1, unit="working_days"
    )
    assert response.status_code == 422
    err = error(response)
    assert err["code"] == "calendar_year_unknown" and err["details"] == {"year": UNKNOWN}
    assert err["message"].startswith(f"calendar has no data for {UNKNOWN}; load it with")
    assert f"PUT /api/v1/admin/calendar/{UNKNOWN}" in err["message"]
    # natural hours need no calendar
    hours = await preview(gf, start=f"{UNKNOWN}-03-01T10:00:00+08:00", amount=1, unit="hours")
    assert hours.status_code == 200


async def test_an_admin_loads_a_year_without_a_redeploy(gf: Gridflow) -> None:
    url = f"/admin/calendar/{UNKNOWN}"
    assert (await gf.call("GET", url, SUPERVISOR)).status_code == 404
    body = {
        "holidays": [f"{UNKNOWN}-10-0{d}" for d in range(1, 8)],
        "workdays": [f"{UNKNOWN}-09-29"],
        "source": "test notice",
    }
    assert (await gf.call("PUT", url, CGJ, json=body)).status_code == 403
    assert (await gf.call("PUT", url, SUPERVISOR, json=body)).status_code == 403  # reads only
    response = await gf.call("PUT", url, ADMIN, json=body)
    assert response.status_code == 200, response.text
    loaded = response.json()
    assert loaded["year"] == UNKNOWN and loaded["workdays"] == [f"{UNKNOWN}-09-29"]
    assert loaded["holidays"] == body["holidays"] and loaded["source"] == "test notice"
    redating = loaded.pop("redating")
    assert redating["workflow_id"].startswith(f"calendar-notice-{UNKNOWN}-")
    assert (await gf.call("GET", url, SUPERVISOR)).json() == loaded
    # Friday 17:00 + 1 working hour is on the make-up Saturday; a day later is after the holiday
    friday = await preview(
        gf, start=f"{UNKNOWN}-09-28T17:00:00+08:00", amount=1, unit="working_hours"
    )
    assert friday.json()["due_at"] == f"{UNKNOWN}-09-29T09:30:00+08:00"
    saturday = await preview(
        gf, start=f"{UNKNOWN}-09-29T10:00:00+08:00", amount=1, unit="working_days"
    )
    assert saturday.json()["due_at"] == f"{UNKNOWN}-10-08T10:00:00+08:00"


async def test_a_bad_schedule_is_refused_with_the_field_named(gf: Gridflow) -> None:
    url = f"/admin/calendar/{UNKNOWN}"
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"holidays": [f"{UNKNOWN - 1}-12-31"], "workdays": []}, "holidays", f"outside {UNKNOWN}"),
        ({"holidays": [], "workdays": [f"{UNKNOWN}-02-30"]}, "workdays.0", "date"),
        (
            {"holidays": [f"{UNKNOWN}-10-01"], "workdays": [f"{UNKNOWN}-10-01"]},
            "workdays",
            "holidays too",
        ),
        ({"holidays": [], "workdays": [], "source": ""}, "source", "at least 1"),
        ({"holidays": [], "workdays": [], "extra": 1}, "extra", "not permitted"),
    ]
    for body, field, words in cases:
        response = await gf.call("PUT", url, ADMIN, json={"source": "x"} | body)
        assert response.status_code == 422, (body, response.text)
        err = error(response)
        assert err["fields"][0]["field"] == field and words in err["message"], (body, err)
    assert (
        await gf.call(
            "PUT",
            "/admin/calendar/1999",
            ADMIN,
            json={"holidays": [], "workdays": [], "source": "x"},
        )
    ).status_code == 422
    assert (await gf.call("GET", url, SUPERVISOR)).status_code == 404  # nothing was loaded


async def test_a_year_after_the_loaded_ones_is_previewed_provisionally(gf: Gridflow) -> None:
    overview = await gf.call("GET", "/admin/calendar", SUPERVISOR)
    assert overview.status_code == 200, overview.text
    status = overview.json()
    last = max(y["year"] for y in status["years"] if not y["provisional"])
    assert status["provisional_years"] == [last + 1, last + 2]
    assert [y["year"] for y in status["years"] if y["provisional"]] == [last + 1, last + 2]
    assert status["open_tickets_provisional"] == 0
    # New Year's Day of the first provisional year is off by the statutory rules.
    response = await preview(
        gf, start=f"{last}-12-31T16:00:00+08:00", amount=1, unit="working_days"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["provisional"] is True and body["due_at"].startswith(f"{last + 1}-01-")
    assert not body["due_at"].startswith(f"{last + 1}-01-01")
    inside = await preview(gf, start=f"{last}-06-01T10:00:00+08:00", amount=1, unit="working_days")
    assert inside.json()["provisional"] is False
    beyond = await preview(
        gf, start=f"{last + 2}-12-31T16:00:00+08:00", amount=1, unit="working_days"
    )
    assert beyond.status_code == 422 and error(beyond)["code"] == "calendar_year_unknown"
