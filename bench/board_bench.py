"""The supervisors' pages at a city's scale: 10,000 projects and 100,000 task rows.

The projects are written straight into the projection tables the pages read (instances with their
business fields, their task rows: nine done and one or two open each), so the run takes seconds
instead of driving 10,000 lifecycles; the pages never load a workflow state, so the states are
left empty. Each page is requested through the Flask application in this process (server time,
no network), interleaved request by request with the inbox page of a city user holding 200 open
tasks, the baseline measured in the same run.

Pages: the ledger's first page; the ledger filtered to overdue projects and sorted by waiting
time; the ledger of one county (a county organisation department's own view); 卡点分析; a project page,
its progress diagram's data and its printable dossier; the matrix chart (矩阵管理图), all and overdue.
Target: p95 <= 150 ms on SQLite for each, and the ratio to the inbox page.

Usage: python bench/board_bench.py [--projects 10000] [--samples 40] [--pg postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import insert
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import fresh_postgres  # noqa: E402
from _support import stats  # noqa: E402

from engine import Engine  # noqa: E402
from engine import EngineSettings  # noqa: E402
from engine import clock  # noqa: E402
from engine.persistence.models import HumanTask  # noqa: E402
from engine.persistence.models import InstanceEvent  # noqa: E402
from engine.persistence.models import ProcessInstance  # noqa: E402
from engine.persistence.models import ProcessVersion  # noqa: E402
from engine.persistence.models import Unit  # noqa: E402
from engine.persistence.schema import upgrade  # noqa: E402
from party import PARTY  # noqa: E402
from party.demo.org import seed_organisation  # noqa: E402
from party.demo.submissions import approval  # noqa: E402
from party.demo.submissions import moment  # noqa: E402
from web import create_app  # noqa: E402

STEPS = ["填写重点项目申报书", "分管领导审批", "县(区)委组织部初审", "市委组织部审核", "专家论证评分", "立项审批",
         "填写季度推进情况", "季度报告审核", "验收评分", "综合效益评估"]
BPMN_IDS = ["submit_key", "leader_approval", "county_review", "city_review", "panel_score", "approve", "report",
            "review", "score", "evaluate"]
SECTORS = ["quality", "urban_rural", "democracy", "nonpublic", "demonstration"]


def populate(engine: Engine, projects: int, seed: int = 7) -> None:
    """``projects`` instances with ten task rows each, spread over the demo's units and the year."""
    rng = random.Random(seed)
    now = clock.now()
    with engine.db.write() as session:
        version_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "key_project"))
        units = list(session.execute(select(Unit.code, Unit.path).where(Unit.kind != "city")))
        instances, tasks, events = [], [], []
        for number in range(1, projects + 1):
            unit, path = rng.choice(units)
            started = now - timedelta(days=rng.randint(5, 280))
            closed = rng.random() < 0.2
            instances.append({"id": number, "process_id": "key_project", "version_id": version_id,
                              "status": "completed" if closed else "waiting", "lock_version": 1,
                              "current_steps": [], "started_by": "city_org", "started_at": started,
                              "updated_at": started, "completed_at": now if closed else None,
                              "title": f"基层党建项目第{number}号", "year": 2008, "unit_code": unit, "unit_path": path,
                              "sector": rng.choice(SECTORS), "kind": "key", "business": {"status_text": "实施中"},
                              "serializer_version": "bench", "state": "{}"})
            open_count = 0 if closed else (2 if rng.random() < 0.1 else 1)
            for index in range(10):
                is_open = index >= 10 - open_count
                created = started + timedelta(days=index * 3)
                due = created + timedelta(days=rng.randint(3, 40))
                holder = rng.choice(["city_org", "county1_org", "panel1", None])
                tasks.append({"instance_id": number, "task_guid": f"{number:08d}-{index:04d}",
                              "bpmn_id": BPMN_IDS[index], "name": STEPS[index], "process": "key_project",
                              "role": "city_org", "scope_unit": unit,
                              "scope_path": path, "status": "open" if is_open else "completed",
                              "created_at": created, "due_at": due, "holder": holder if is_open else None,
                              "completed_at": None if is_open else due - timedelta(days=1),
                              "completed_by": None if is_open else "city_org", "ever_overdue": rng.random() < 0.2})
            # the approval with its matrix, as the audit trail keeps it (the matrix chart reads it)
            events.append({"instance_id": number, "at": started + timedelta(days=15), "actor": "city_org",
                           "kind": "task_completed", "bpmn_id": "approve", "step_name": "项目立项（矩阵管理图）",
                           "data": approval("county1_applicant", "county1_leader", "511800D01")})
        session.execute(insert(ProcessInstance), instances)
        session.execute(insert(HumanTask), tasks)
        session.execute(insert(InstanceEvent), events)
        # the baseline's user: 200 open tasks held by one city user
        session.execute(insert(HumanTask), [
            {"instance_id": n, "task_guid": f"inbox-{n}", "bpmn_id": "inbox", "name": "市委组织部审核",
             "process": "key_project", "role": "city_org", "status": "open", "created_at": now,
             "due_at": now + timedelta(days=n % 30), "holder": "bench_city", "ever_overdue": False}
            for n in range(1, 201)])


def measure(url: str, projects: int, samples: int) -> dict[str, tuple[float, float]]:
    upgrade(create_engine(url))
    engine = Engine(EngineSettings(database_url=url), domain=PARTY)
    clock.travel_to(moment("2008-03-03 09:00"))
    seed_organisation(engine)
    engine.deploy(ROOT / "workflows", actor="admin")
    engine.add_user("bench_city", "511800", ["city_org", "supervisor"], password="bench-password-1")
    clock.travel_to(moment("2008-10-20 10:00"))
    populate(engine, projects)
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    city, county = app.test_client(), app.test_client()
    city.post("/login", data={"username": "bench_city", "password": "bench-password-1"})
    county.post("/login", data={"username": "county1_org", "password": "demo-password"})
    pages = {"inbox (baseline)": (city, "/?tab=mine"),
             "ledger": (city, "/projects/"),
             "ledger overdue by wait": (city, "/projects/?overdue=1&sort=waiting&dir=desc"),
             "ledger of a county": (county, "/projects/"),
             "bottlenecks": (city, "/projects/bottlenecks"),
             "project page": (city, "/projects/4321"),
             "project diagram": (city, "/projects/4321/progress_diagram.json"),
             "matrix chart": (city, "/projects/matrix"),
             "matrix chart, overdue": (city, "/projects/matrix?overdue=1"),
             "project dossier": (city, "/projects/4321/dossier")}
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for client, path in pages.values():  # warm caches
        assert client.get(path).status_code == 200, path
    for _ in range(samples):
        for name, (client, path) in pages.items():
            began = time.perf_counter()
            response = client.get(path)
            timings[name].append(time.perf_counter() - began)
            assert response.status_code == 200
    engine.db.dispose()
    clock.reset()
    return {name: stats(values) for name, values in timings.items()}


def report(label: str, results: dict[str, tuple[float, float]]) -> None:
    _median, base_p95 = results["inbox (baseline)"]
    print(f"\n{label}")
    print(f"{'page':<26}{'median ms':>11}{'p95 ms':>9}{'p95 / inbox p95':>17}")
    for name, (median, p95) in results.items():
        print(f"{name:<26}{median:>11.1f}{p95:>9.1f}{p95 / base_p95:>17.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--pg", help="a PostgreSQL server URL; a database board_bench is made on it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report(f"SQLite, {args.projects} projects", measure(f"sqlite:///{folder}/board.db", args.projects,
                                                             args.samples))
    if args.pg:
        report(f"PostgreSQL, {args.projects} projects",
               measure(fresh_postgres(args.pg, "board_bench"), args.projects, args.samples))


if __name__ == "__main__":
    main()
