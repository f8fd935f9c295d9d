"""Fixtures of the browser tests: one headless Chromium per test process, and the demo site.

Runs Debian's ``/usr/bin/chromium`` through Playwright (never a downloaded browser). Screenshots
land in ``test-artifacts/screenshots/``. Without Chromium the tests are skipped, unless
``REQUIRE_BROWSER=1`` (as in CI) makes that an error.

Every test gets a database of its own, served on 127.0.0.1: a copy of a file seeded once per test
process (the demo organisation and the shipped workflows, seeded at 2008-03-03 10:00 as each test
used to do itself), rather than seeding again for every test.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine import Engine
from engine import EngineSettings
from engine import clock
from party import PARTY
from party.demo.driver import ProjectDriver
from party.demo.org import seed_organisation
from party.demo.submissions import moment
from tests.conftest import ROOT
from web import create_app

CHROMIUM = "/usr/bin/chromium"
SEEDED_AT = "2008-03-03 10:00"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def demo_site_file(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The demo organisation and the shipped workflows in a migrated SQLite file, seeded once."""
    path = tmp_path_factory.mktemp("browser-site") / "seeded.db"
    shutil.copy(sqlite_template, path)
    engine = Engine(EngineSettings(database_url=f"sqlite:///{path}"), domain=PARTY)
    clock.travel_to(moment(SEEDED_AT))
    try:
        seed_organisation(engine)
        engine.deploy(ROOT / "workflows", actor="admin")
    finally:
        engine.db.dispose()
        clock.reset()
    return path


@contextmanager
def _serve(tmp_path: Path, demo_site_file: Path, **settings) -> Iterator[tuple[str, Engine]]:
    path = tmp_path / "browser.db"
    shutil.copy(demo_site_file, path)
    engine = Engine(EngineSettings(database_url=f"sqlite:///{path}", **settings), domain=PARTY)
    clock.travel_to(moment(SEEDED_AT))
    app = create_app({"ENGINE": engine, "SECRET_KEY": "browser-test"})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", engine
    httpd.shutdown()
    engine.db.dispose()
    clock.reset()


@pytest.fixture
def server(tmp_path: Path, demo_site_file: Path) -> Iterator[str]:
    """The application with the demo organisation and workflows, served on 127.0.0.1."""
    with _serve(tmp_path, demo_site_file) as (base, _engine):
        yield base


@pytest.fixture
def site(tmp_path: Path, demo_site_file: Path) -> Iterator[tuple[str, ProjectDriver]]:
    """The application on the demo organisation, and a driver to set the scene through the engine."""
    with _serve(tmp_path, demo_site_file, max_starts_per_day=100) as (base, engine):
        yield base, ProjectDriver(engine)


# The npm assets pages draw diagrams and charts with (tools/copy_assets.py puts them there).
VENDOR_FILES = [ROOT / "web" / "static" / "vendor" / name for name in (
    "bpmn-js/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-modeler.production.min.js",
    "echarts/echarts.min.js", "modeler/modeler.js", "modeler/form-editor.js")]


@pytest.fixture(scope="session")
def assets() -> None:
    """For a test whose pages draw with bpmn-js or ECharts: skipped when the npm assets are missing
    (a plain ``pytest``), unless ``REQUIRE_BROWSER=1`` (as in CI) makes that an error."""
    missing = [str(path.relative_to(ROOT)) for path in VENDOR_FILES if not path.exists()]
    if missing:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser assets missing: {missing} (bin/test runs npm ci and tools/copy_assets.py)")
        pytest.skip("browser assets not installed (npm ci && python tools/copy_assets.py)")
