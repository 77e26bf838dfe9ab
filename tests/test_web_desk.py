"""The desk page shells over plain HTTP: served in both languages, no user data, escaped."""

import json
import re

from tests.api_fixtures import Gridflow, gf  # noqa: F401

PAGES = [
    "/app/department",
    "/app/supervisor",
    "/app/supervisor/map",
    "/app/supervisor/charts",
    "/app/supervisor/tickets/GF-0123456789AB",
    "/app/supervisor/orders",
    "/app/department/orders",
]


async def test_desk_pages_are_shells_in_both_languages(gf: Gridflow) -> None:
    for path in PAGES:
        for lang, word in (("zh", "挂图作战"), ("en", "Battle map")):
            response = await gf.http.get(path, params={"lang": lang})
            assert response.status_code == 200, (path, response.text)
            assert response.headers["content-type"].startswith("text/html")
            body = response.text
            found = re.search(
                r'<script id="desk-strings" type="application/json">(.*?)</script>', body, re.S
            )
            assert found, path
            strings = json.loads(found.group(1))
            assert strings["map"] == word
            assert "/static/desk/desk.js" in body
            assert not re.search(r'(src|href)="(https?:)?//', body), "nothing from outside"


async def test_the_ticket_id_in_the_address_is_escaped(gf: Gridflow) -> None:
    response = await gf.http.get('/app/supervisor/tickets/"><img src=x onerror=alert(1)>')
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    escaped = 'data-ticket-id="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"'
    assert escaped in response.text


async def test_a_department_ticket_link_opens_it_in_the_inbox(gf: Gridflow) -> None:
    response = await gf.http.get("/app/department/tickets/GF-0123456789AB", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/app/department#GF-0123456789AB"


async def test_the_map_and_charts_use_only_vendored_libraries(gf: Gridflow) -> None:
    page = (await gf.http.get("/app/supervisor/map")).text
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/vendor/leaflet/leaflet.css" in page
    charts = (await gf.http.get("/app/supervisor/charts")).text
    assert "/static/vendor/chartjs/chart.umd.min.js" in charts
    for asset in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/chartjs/chart.umd.min.js",
        "/static/desk/desk.js",
        "/static/desk/ticket.js",
        "/static/desk/map.js",
        "/static/desk/charts.js",
        "/static/desk/supervisor.js",
        "/static/desk/department.js",
        "/static/desk/desk.css",
    ):
        assert (await gf.http.get(asset)).status_code == 200, asset
