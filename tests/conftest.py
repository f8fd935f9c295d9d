"""Fixtures shared by every test: databases (SQLite and PostgreSQL), the engine, the clock.

Database tests run once per backend. PostgreSQL comes from ``TEST_DATABASE_URL`` (``.ci/run`` and
``bin/test`` start a throwaway server and set it); without it the PostgreSQL half is skipped,
unless ``REQUIRE_POSTGRES=1`` makes that an error, as in CI.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from engine import Engine
from engine import EngineSettings
from engine import clock
from engine import passwords
from engine.clock import BUSINESS_TZ
from engine.persistence.db import is_sqlite
from engine.persistence.schema import all_tables
from engine.persistence.schema import upgrade
from party import PARTY

if TYPE_CHECKING:
    from party.demo.driver import ProjectDriver

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = ROOT / "tests" / "diagrams"
START = datetime(2008, 3, 3, 9, 0, tzinfo=BUSINESS_TZ)
BACKENDS = ["sqlite", "postgresql"]


# The modules whose tests take longest (whole workflow paths, browsers, server processes, leases that
# must run out), run first: the test processes (``pytest -n 2``) then share out the many short tests
# at the end and finish together, rather than one of them finishing the workflow paths alone.
# Only the order changes; a module not named keeps its place after these.
LONGEST_FIRST = (
    "test_workflows", "test_gunicorn_steps", "test_browser", "test_browser_modeler", "test_browser_pages",
    "test_browser_board", "test_browser_inbox", "test_browser_documents", "test_browser_plans", "test_demo",
    "test_jobs", "test_compaction", "test_matrix", "test_decisions", "test_signoff", "test_cross_process",
    "test_panel", "test_deadlines_fair", "test_stalls", "test_score_sheet", "test_routing", "test_lifecycle",
    "test_migrations", "test_versions", "test_notices", "test_ledger", "test_county_scope", "test_applications",
    "test_pages",
)


@pytest.hookimpl(tryfirst=True)  # before --failed-first / --new-first, which then still win
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: a module's order is kept


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Tests create many users; production-strength scrypt would cost ~60 ms each."""
    saved = passwords.SCRYPT_N
    passwords.SCRYPT_N = 2**8
    yield
    passwords.SCRYPT_N = saved


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A database of our own on the test server, migrated once per worker."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        yield None
        return
    name = f"dangjian_test_{_worker()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file copied for each test (cheaper than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


class _Emptier:
    """Empties the test's PostgreSQL database between tests: ``DELETE FROM`` every table, children
    first, and restart the tables' id sequences, in one round trip on a connection kept open for the
    session. On tables of a few rows this is ~10x cheaper than ``TRUNCATE … RESTART IDENTITY``, which
    gives each of the twenty tables a new file; the result is the same (no rows, ids from 1)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, poolclass=NullPool)
        self.connection = self.engine.connect()
        names = [table.name for table in all_tables().sorted_tables]
        sequences = self.connection.execute(text(
            "SELECT DISTINCT quote_ident(n.nspname) || '.' || quote_ident(s.relname) FROM pg_class s "
            "JOIN pg_namespace n ON n.oid = s.relnamespace "
            "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE s.relkind = 'S' AND t.relname = ANY(:names)"), {"names": names}).scalars().all()
        self.connection.rollback()
        self.sql = "; ".join([f'DELETE FROM "{name}"' for name in reversed(names)]
                             + [f"ALTER SEQUENCE {sequence} RESTART" for sequence in sequences])

    def __call__(self) -> None:
        with self.connection.begin():
            self.connection.exec_driver_sql(self.sql)

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


@pytest.fixture(scope="session")
def empty_postgres(postgres_url: str | None) -> Iterator[_Emptier | None]:
    if postgres_url is None:
        yield None
        return
    emptier = _Emptier(postgres_url)
    yield emptier
    emptier.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
                 postgres_url: str | None, empty_postgres: _Emptier | None) -> str:
    """An empty, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    if postgres_url is None:
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    assert empty_postgres is not None
    empty_postgres()
    return postgres_url


def _backend(request: pytest.FixtureRequest) -> str | None:
    callspec = getattr(request.node, "callspec", None)
    return callspec.params.get("database_url") if callspec is not None else None


# Modules whose drivers take their steps warm, in the engine of the test. Every (process, step) they
# complete is also completed cold by the path modules (test_workflows, test_decisions, test_routing,
# test_panel, test_signoff, test_cross_process, ...), which is where the proof that a step is right
# in any server process lies; a cold step costs a fresh parse of the process model (~25 ms, most of
# these tests' time, and over a minute of CPU for the demo alone). A module not named here runs cold:
# add one only when what its driver completes is completed cold elsewhere too (checked on 2026-12-04
# by logging every driver step of the suite on SQLite). These modules:
# - use the driver only to set the scene for what they check: pages, the API, the ledger, notices,
#   documents, backups;
# - test_demo: ``dangjian demo`` seeds every project in one process, and so do its tests.
WARM_MODULES = frozenset({
    "test_api", "test_backup", "test_documents_content", "test_idempotency", "test_ledger", "test_lifecycle",
    "test_matrix", "test_names", "test_notices", "test_pages", "test_plans", "test_sessions",
    "test_storage_limits", "test_web", "test_web_input",
    "test_demo",
})


@pytest.fixture(autouse=True)
def cold_steps(request: pytest.FixtureRequest) -> Iterator[None]:
    """Drivers complete every step in a fresh engine (an empty model cache, as another server
    process would) on the backends named by ``COLD_STEPS`` (default ``sqlite``; ``all``, ``none``),
    except in the modules above (``COLD_STEPS_EVERYWHERE=1`` takes those cold too)."""
    from party.demo.driver import ProjectDriver

    wanted = os.environ.get("COLD_STEPS", "sqlite")
    backend = _backend(request)
    cold = backend is not None and wanted in ("all", backend)
    if request.node.path.stem in WARM_MODULES and os.environ.get("COLD_STEPS_EVERYWHERE") != "1":
        cold = False
    saved = ProjectDriver.cold
    ProjectDriver.cold = cold
    yield
    ProjectDriver.cold = saved


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    clock.travel_to(START)
    yield
    clock.reset()


@pytest.fixture
def engine(database_url: str, frozen_clock: None) -> Iterator[Engine]:
    """An engine on an empty database, with the clock frozen at 2008-03-03 09:00 Beijing."""
    service = Engine(_settings(database_url), domain=PARTY)
    yield service
    service.db.dispose()


@pytest.fixture
def org(engine: Engine) -> Engine:
    """A small organisation: a city, two counties with a township each, and their users."""
    engine.add_unit("511800", "雅安市", kind="city")
    for county, name in (("511802", "雨城区"), ("511803", "名山区")):
        engine.add_unit(county, name, parent="511800", kind="county")
        engine.add_unit(county + "001", name + "某镇", parent=county, kind="township")
    engine.add_unit("dept1", "市级某部门", parent="511800", kind="department")
    users = [
        ("admin", "511800", ["admin"]), ("city", "511800", ["city_org"]), ("sup", "511800", ["supervisor"]),
        ("county1", "511802", ["county_org"]), ("county2", "511803", ["county_org"]),
        ("app1", "511802", ["applicant"]), ("app2", "511803", ["applicant"]),
        ("app1b", "511802", ["applicant"]),
        ("town1", "511802001", ["applicant"]), ("dept1", "dept1", ["applicant"]),
        ("p1", "511800", ["panel"]), ("p2", "511800", ["panel"]), ("p3", "511800", ["panel"]),
    ]
    for username, unit, roles in users:
        engine.add_user(username, unit, roles, password="password-123")
    return engine


@pytest.fixture
def deployed(org: Engine) -> Engine:
    """The organisation plus every test diagram deployed."""
    org.deploy(DIAGRAMS, actor="admin")
    return org


@dataclass(frozen=True)
class PartySnapshot:
    """The demo organisation and the shipped workflows, seeded once per test session."""

    sqlite_file: Path  # a migrated, seeded SQLite file to copy
    rows: dict[str, list[dict]]  # every table's rows, to insert into an emptied PostgreSQL database


def _settings(url: str) -> EngineSettings:
    # Tests start many processes as one user on one (frozen) day: the daily limit has its own test.
    return EngineSettings(database_url=url, max_starts_per_day=10_000, workflows_dir=ROOT / "workflows",
                          forms_dir=ROOT / "forms" / "schemas")


def _snapshot(path: Path, seed: Callable[[Engine], object]) -> PartySnapshot:
    """``seed`` run once on the SQLite file at ``path`` (at the tests' start time), kept as that file
    and as every table's rows."""
    clock.travel_to(START)
    seeded = Engine(_settings(f"sqlite:///{path}"), domain=PARTY)
    try:
        seed(seeded)
        with seeded.db.read() as session:
            rows = {table.name: [dict(row._mapping) for row in session.execute(select(table))]
                    for table in all_tables().sorted_tables}
    finally:
        seeded.db.dispose()
        clock.reset()
    return PartySnapshot(path, rows)


@pytest.fixture(scope="session")
def party_snapshot(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> PartySnapshot:
    """Seeding the organisation and deploying every workflow costs more than most tests: do it once
    (at the tests' start time) and copy the result into each test's database."""
    from party.demo.org import seed_organisation

    def seed(engine: Engine) -> None:
        seed_organisation(engine)
        engine.deploy(ROOT / "workflows", actor="admin")

    path = tmp_path_factory.mktemp("party") / "party.db"
    shutil.copy(sqlite_template, path)
    return _snapshot(path, seed)


@pytest.fixture(scope="session")
def demo_snapshot(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> PartySnapshot:
    """``dangjian demo`` seeded once from an empty database, as the command does (in one engine, its
    steps warm), for the tests that read the demo; seeding itself is tested on each backend.

    Seeded once per test run: the first test process that needs it seeds it under a lock in the
    folder the run's processes share, the others read it (with the instance ids of the demo's plans).
    """
    from party.demo.driver import ProjectDriver
    from party.demo.seed import PLANS
    from party.demo.seed import seed_demo

    base = tmp_path_factory.getbasetemp()
    folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    stored = folder / "demo-snapshot.pickle"
    with open(folder / "demo-snapshot.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stored.exists():
            path = folder / "demo.db"
            shutil.copy(sqlite_template, path)
            cold, ProjectDriver.cold = ProjectDriver.cold, False
            try:
                snapshot = _snapshot(path, seed_demo)
            finally:
                ProjectDriver.cold = cold
            stored.write_bytes(pickle.dumps((str(path), snapshot.rows, [plan.instance_id for plan in PLANS])))
        path_text, rows, ids = pickle.loads(stored.read_bytes())
    for plan, instance_id in zip(PLANS, ids, strict=True):
        plan.instance_id = instance_id
    return PartySnapshot(Path(path_text), rows)


def _load_rows(url: str, rows: dict[str, list[dict]]) -> None:
    """Insert ``rows`` into the (empty) PostgreSQL database at ``url`` and move its id sequences past them."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in all_tables().sorted_tables:
            if rows.get(table.name):
                connection.execute(table.insert(), rows[table.name])
                if "id" in table.c and table.c.id.autoincrement is not False:
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                            f"(SELECT max(id) FROM \"{table.name}\"))"))
    engine.dispose()


def _engine_on(snapshot: PartySnapshot, database_url: str) -> Engine:
    """An engine on the test's database filled from ``snapshot``."""
    if is_sqlite(database_url):
        shutil.copy(snapshot.sqlite_file, make_url(database_url).database)
    else:
        _load_rows(database_url, snapshot.rows)
    return Engine(_settings(database_url), domain=PARTY)


@pytest.fixture
def party_engine(database_url: str, frozen_clock: None, party_snapshot: PartySnapshot) -> Iterator[Engine]:
    """The demo organisation and the shipped workflows, at 2008-03-03 09:00 Beijing."""
    service = _engine_on(party_snapshot, database_url)
    yield service
    service.db.dispose()


@pytest.fixture
def demo_engine(database_url: str, frozen_clock: None, demo_snapshot: PartySnapshot) -> Iterator[Engine]:
    """The demo as ``dangjian demo`` seeds it (projects at every stage), the clock at 2008-03-03."""
    service = _engine_on(demo_snapshot, database_url)
    yield service
    service.db.dispose()


@pytest.fixture
def party(party_engine: Engine) -> ProjectDriver:
    """A driver of the shipped workflows on the demo organisation, at 2008-03-03."""
    from party.demo.driver import ProjectDriver

    driver = ProjectDriver(party_engine)
    driver.at("2008-03-03")
    return driver


@pytest.fixture
def app(party_engine: Engine):
    """The web application on the party database, with small upload limits (1 MB a file, 3 MB a request)."""
    from dataclasses import replace

    from web import create_app

    web_engine = Engine(replace(party_engine.settings, max_upload_bytes=1024 * 1024), domain=PARTY)
    application = create_app({"ENGINE": web_engine, "TESTING": True, "SECRET_KEY": "test-secret",
                              "MAX_CONTENT_LENGTH": 3 * 1024 * 1024})
    yield application
    web_engine.db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()
