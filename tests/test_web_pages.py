"""The web app's server side without a browser: page shells, strings, the service worker, the
vendored libraries (tests/test_browser_worker.py drives the pages in chromium)."""

import json
import re
from pathlib import Path

from api.web import pages
from tests.api_fixtures import Gridflow, gf  # noqa: F401

WEB = Path(pages.__file__).parent
WORKER_PAGES = ["/app/worker", "/app/worker/tickets", "/app/worker/ticket", "/app/worker/checks"]


def test_both_languages_have_the_same_strings() -> None:
    zh = json.loads((WEB / "i18n" / "zh.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert zh.keys() == en.keys()
    assert all(v.strip() for v in [*zh.values(), *en.values()])


def test_every_string_a_page_uses_exists() -> None:
    zh = json.loads((WEB / "i18n" / "zh.json").read_text(encoding="utf-8"))
    sources = [
        *WEB.glob("templates/*.html"),
        *WEB.glob("templates/worker/*.html"),
        *WEB.glob("static/js/*.js"),
    ]
    used = {
        key
        for path in sources
        for key in re.findall(
            r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""", path.read_text(encoding="utf-8")
        )
    }
    assert used and used <= zh.keys(), used - zh.keys()


def test_nothing_is_loaded_from_outside() -> None:
    own = [
        *WEB.glob("templates/**/*.html"),
        *WEB.glob("static/js/*.js"),
        *WEB.glob("static/css/*.css"),
    ]
    for path in own:
        assert not re.search(
            r"""(src|href)=["']?(https?:)?//""", path.read_text(encoding="utf-8")
        ), path


def test_vendored_libraries_keep_their_licences_and_versions() -> None:
    vendor = WEB / "static" / "vendor"
    versions = (vendor / "VERSIONS.md").read_text(encoding="utf-8")
    for name, version, licence in (
        ("htmx", "2.0.11", "LICENSE"),
        ("leaflet", "1.9.4", "LICENSE"),
        ("idb-keyval", "6.3.0", "LICENCE"),
    ):
        assert (vendor / name / licence).is_file()
        assert f"| {version} |" in versions


async def test_login_lists_the_demo_users_and_pages_render_in_both_languages(gf: Gridflow) -> None:
    login = await gf.http.get("/login")
    assert login.status_code == 200 and 'lang="zh-CN"' in login.text
    assert 'data-username="wang" data-password="demo-worker-wang"' in login.text
    assert "王网格员" in login.text
    assert 'data-username="gateway"' not in login.text  # no pages for machines
    assert (await gf.http.get("/", follow_redirects=False)).headers["location"] == "/login"
    english = await gf.http.get("/app/worker?lang=en")
    assert english.status_code == 200 and 'lang="en"' in english.text
    assert "Report a problem" in english.text
    assert english.cookies.get(pages.LANG_COOKIE) == "en"
    assert 'lang="en"' in (await gf.http.get("/app/worker/tickets")).text  # the cookie stays
    gf.http.cookies.clear()
    for path in WORKER_PAGES:
        page = await gf.http.get(path)
        assert page.status_code == 200, path
        boot = re.search(r'<script id="gf-boot" type="application/json">(.*?)</script>', page.text)
        assert boot and json.loads(boot.group(1))["lang"] == "zh"


async def test_the_service_worker_is_served_from_the_root_with_its_shell(gf: Gridflow) -> None:
    response = await gf.http.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    for placeholder in ("__VERSION__", "__PAGES__", "__ASSETS__"):
        assert placeholder not in response.text.split('"use strict";', 1)[1]
    declared_assets = re.search(r"const ASSETS = (\[.*?\]);", response.text)
    assert declared_assets is not None
    assets = json.loads(declared_assets.group(1))
    assert "/static/vendor/leaflet/leaflet.js" in assets and "/static/js/outbox.js" in assets
    for url in assets:
        assert (await gf.http.get(url)).status_code == 200, url
    declared_pages = re.search(r"const PAGES = (\[.*?\]);", response.text)
    assert declared_pages is not None
    for url in json.loads(declared_pages.group(1)):
        assert (await gf.http.get(url)).status_code == 200, url
    manifest = await gf.http.get("/manifest.webmanifest")
    assert manifest.json()["start_url"] == "/app/worker"
