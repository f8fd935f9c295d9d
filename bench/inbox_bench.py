"""Server time of the inbox page and the task page with 10,000 projects and 100,000 task rows.

Usage: python bench/inbox_bench.py [--projects 10000] [--tasks 100000] [--samples 200]
       [--database sqlite:///...]  (default: a fresh SQLite file)

Real instances are created through the engine for every kind of open step; the bulk is copied
from them in SQL (same workflow state, new ids), so every task page can still load its workflow.
Times are measured in-process through the Flask test client: routing, engine queries, template
rendering, no network. Target: p95 <= 50 ms on SQLite.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import BENCH_STARTS  # noqa: E402
from _support import stats  # noqa: E402

from engine import Engine  # noqa: E402
from engine import EngineSettings  # noqa: E402
from engine import clock  # noqa: E402
from engine import passwords  # noqa: E402
from engine.persistence.models import HumanTask  # noqa: E402
from engine.persistence.models import ProcessInstance  # noqa: E402
from engine.persistence.schema import upgrade  # noqa: E402
from party import PARTY  # noqa: E402
from party.demo.driver import ProjectDriver  # noqa: E402
from party.demo.org import demo_users  # noqa: E402
from party.demo.org import seed_organisation  # noqa: E402
from party.demo.submissions import moment  # noqa: E402
from web import create_app  # noqa: E402

APPLICANTS = [u.username for u in demo_users() if u.username.endswith("_applicant")]


def seed_templates(engine: Engine) -> list[int]:
    """A few real instances per applicant: drafts and applications waiting for each reviewer."""
    party = ProjectDriver(engine)
    templates = []
    for applicant in APPLICANTS:
        draft = party.start(applicant)
        templates.append(draft)
        submitted = party.apply(applicant, f"{applicant} 的党建项目")
        templates.append(submitted)
    return templates


def copy_instances(engine: Engine, templates: list[int], projects: int, total_tasks: int) -> None:
    """Clone template instances and their open task until there are ``projects`` instances, and add
    completed task rows (the history of earlier steps) until there are ``total_tasks`` task rows."""
    instance_table = ProcessInstance.__table__
    task_table = HumanTask.__table__
    users = [u.username for u in demo_users()]
    with engine.db.write() as session:
        template_rows = {row.id: row for row in session.execute(
            select(instance_table).where(instance_table.c.id.in_(templates))).mappings()}
        open_query = select(task_table).where(task_table.c.instance_id.in_(templates), task_table.c.status == "open")
        open_tasks = {row.instance_id: row for row in session.execute(open_query).mappings()}
        next_id = (session.scalar(select(instance_table.c.id).order_by(instance_table.c.id.desc()).limit(1)) or 0) + 1
        existing = len(templates)
        existing_tasks = session.scalar(select(func.count()).select_from(task_table))
        tasks_per_project = -(-(total_tasks - existing_tasks) // (projects - existing))  # ceiling
        blank_task = {column.name: None for column in task_table.columns if column.name != "id"}
        batch_instances, batch_tasks = [], []
        rng = random.Random(7)
        for number in range(projects - existing):
            source = template_rows[templates[number % len(templates)]]
            instance = {key: value for key, value in source.items() if key != "id"}
            instance.update(id=next_id, title=f"{source['title'] or '党建项目'} #{number}")
            batch_instances.append(instance)
            task = open_tasks.get(source["id"])
            if task is not None:
                batch_tasks.append({**{k: v for k, v in task.items() if k != "id"}, "instance_id": next_id})
            for history in range(tasks_per_project - (1 if task is not None else 0)):
                done_at = clock.now()
                batch_tasks.append({**blank_task,
                    "instance_id": next_id, "task_guid": f"hist-{next_id}-{history}", "bpmn_id": "city_review",
                    "name": "市委组织部审核", "process": "application_review", "lane": None, "role": "city_org",
                    "scope_unit": None, "scope_path": None, "assignee": None, "claimed_by": None, "form": None,
                    "status": "completed", "created_at": done_at, "due_at": done_at, "completed_at": done_at,
                    "completed_by": rng.choice(users), "ever_overdue": rng.random() < 0.1})
            next_id += 1
            if len(batch_tasks) > 5000:
                session.execute(insert(instance_table), batch_instances)
                session.execute(insert(task_table), batch_tasks)
                batch_instances, batch_tasks = [], []
        if batch_instances:
            session.execute(insert(instance_table), batch_instances)
        if batch_tasks:
            session.execute(insert(task_table), batch_tasks)


def measure(app, engine: Engine, samples: int) -> None:
    client_for = {}

    def client(username: str):
        if username not in client_for:
            c = app.test_client()
            with c.session_transaction() as session:
                session["user"] = username
            client_for[username] = c
        return client_for[username]

    viewers = ["county1_applicant", "county1_leader", "county1_org", "city_org", "dept1_applicant"]
    pages = []
    for viewer in viewers:
        for tab in ("mine", "claimable", "done"):
            pages.append((viewer, f"/?tab={tab}"))
        pages.append((viewer, "/?tab=claimable&page=3"))
        pages.append((viewer, "/?tab=claimable&q=党建"))
    task_pages = []
    for viewer in viewers:
        for tab in ("claimable", "mine"):
            for row in engine.inbox(viewer, tab=tab, page_size=20).rows:
                task_pages.append((viewer, f"/tasks/{row.id}"))
    rng = random.Random(1)
    for label, candidates in (("inbox page", pages), ("task page", task_pages)):
        timings = []
        for _ in range(samples):
            viewer, path = rng.choice(candidates)
            started = time.perf_counter()
            response = client(viewer).get(path)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        median, p95 = stats(timings)
        print(f"{label:<12} median {median:6.1f} ms   p95 {p95:6.1f} ms   ({samples} requests over "
              f"{len(candidates)} pages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100_000, help="task rows in all")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/inbox-bench.db"
    passwords.SCRYPT_N = 2**8
    clock.travel_to(moment("2008-03-05 10:00"))
    upgrade(create_engine(url))
    engine = Engine(EngineSettings(database_url=url, max_starts_per_day=BENCH_STARTS), domain=PARTY)
    started = time.perf_counter()
    seed_organisation(engine)
    engine.deploy(ROOT / "workflows", actor="admin")
    templates = seed_templates(engine)
    copy_instances(engine, templates, args.projects, args.tasks)
    with engine.db.read() as session:
        projects = session.scalar(select(ProcessInstance.id).order_by(ProcessInstance.id.desc()).limit(1))
        tasks = session.query(HumanTask).count()
    print(f"database: {url.split(':', 1)[0]}, {projects} projects, {tasks} task rows "
          f"(filled in {time.perf_counter() - started:.0f} s)")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "bench"})
    measure(app, engine, 20)  # warm caches
    measure(app, engine, args.samples)


if __name__ == "__main__":
    main()
