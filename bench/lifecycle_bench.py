"""Engine step cost over a project's whole life, with the shipped diagrams.

Drives one key project and one demonstration project from application to closure over the 2008
calendar (the same user actions as the workflow tests), on SQLite and on PostgreSQL, and prints
for every user step: the live state size after it, the engine step time split into load, run,
save (serialization), projections and write + commit, and the ratio of the step to the median
of the first ten steps. The whole lifecycle runs ``--repeat`` times and every figure is the
median over the repeats, since these machines are shared and noisy.

The closing lines compare the median step of the last ten steps with that of the first ten
(target <= 1.5) and give the live state of the closed project (target <= 80 KB).

Usage: python bench/lifecycle_bench.py [--repeat 3] [--pg postgresql+psycopg://...] [--quiet]
(the PostgreSQL URL defaults to $BENCH_DATABASE_URL, then $TEST_DATABASE_URL; SQLite always runs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import BENCH_STARTS  # noqa: E402
from _support import fresh_postgres  # noqa: E402

import engine.service.runs as runs_module  # noqa: E402
from engine import Engine  # noqa: E402
from engine import EngineSettings  # noqa: E402
from engine import clock  # noqa: E402
from engine import passwords  # noqa: E402
from engine.persistence import records  # noqa: E402
from engine.persistence.models import ProcessInstance  # noqa: E402
from engine.persistence.schema import upgrade  # noqa: E402
from engine.runtime.workflow import ProcessRun  # noqa: E402
from engine.service.completion import CompletionService  # noqa: E402
from engine.service.runs import RunStore  # noqa: E402
from engine.service.tasks import TaskRow  # noqa: E402
from party import PARTY  # noqa: E402
from party.demo.driver import ProjectDriver  # noqa: E402
from party.demo.org import seed_organisation  # noqa: E402

PARTS = ("load", "run", "save", "projections", "commit")


class StepClock:
    """Times the parts of every ``Engine.complete`` by wrapping the functions that do them."""

    def __init__(self) -> None:
        self.current: dict[str, float] | None = None
        self.steps: list[tuple[str, dict[str, float]]] = []

    def _wrap(self, owner: Any, name: str, part: str) -> None:
        original = getattr(owner, name)
        meter = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                if meter.current is not None:
                    meter.current[part] = meter.current.get(part, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)

    def install(self) -> None:
        self._wrap(RunStore, "load", "load")
        self._wrap(ProcessRun, "complete", "run")
        self._wrap(runs_module, "dump_state", "save")
        self._wrap(RunStore, "save", "save_total")
        self._wrap(records, "write_step", "write")
        original = CompletionService.complete
        meter = self

        def complete(engine: Any, actor: str, task_id: int, data: dict, comment: str | None = None) -> int:
            meter.current = {}
            started = time.perf_counter()
            try:
                return original(engine, actor, task_id, data, comment)
            finally:
                total = time.perf_counter() - started
                parts = meter.current
                meter.current = None
                parts["total"] = total
                meter.steps.append(("", parts))

        CompletionService.complete = complete

    @staticmethod
    def split(parts: dict[str, float]) -> dict[str, float]:
        """load, run, save, projections, commit (writes and commit), total: milliseconds."""
        save, save_total, write = parts.get("save", 0.0), parts.get("save_total", 0.0), parts.get("write", 0.0)
        load, run, total = parts.get("load", 0.0), parts.get("run", 0.0), parts["total"]
        projections = save_total - save - write
        commit = total - load - run - save_total + write
        values = {"load": load, "run": run, "save": save, "projections": projections, "commit": commit,
                  "total": total}
        return {key: value * 1000 for key, value in values.items()}


class SizedDriver(ProjectDriver):
    """A project driver that records, after every user step, which step it was and the state size."""

    def __init__(self, engine: Engine, meter: StepClock) -> None:
        super().__init__(engine)
        self.meter = meter
        self.sizes: list[int] = []
        self.labels: list[str] = []

    def complete(self, user: str, task: TaskRow, data: dict[str, Any]) -> None:
        super().complete(user, task, data)
        _label, parts = self.meter.steps[-1]
        self.meter.steps[-1] = (task.bpmn_id, parts)
        self.labels.append(task.bpmn_id)
        self.sizes.append(state_size(self.engine, task.instance_id))


def state_size(engine: Engine, instance_id: int) -> int:
    with engine.db.read() as session:
        state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == instance_id))
        return len(state.encode("utf-8"))


def key_project_life(driver: ProjectDriver) -> None:
    applicant = "county1_applicant"
    driver.at("2008-03-03")
    instance_id = driver.apply(applicant, "党员党性定期分析试点")
    driver.pass_review(applicant, instance_id)
    driver.at("2008-04-10")
    driver.argue_and_approve(instance_id, applicant)
    driver.implement(instance_id, applicant)
    driver.at("2008-12-08")
    driver.benefit(instance_id, applicant, rating="良好")


def demonstration_life(driver: ProjectDriver) -> None:
    applicant = "county2_applicant"
    driver.at("2008-03-03")
    instance_id = driver.apply(applicant, "名山县茶乡党建示范带", kind="demonstration_project")
    driver.pass_review(applicant, instance_id)
    driver.at("2008-04-10")
    driver.argue_and_approve(instance_id, applicant, collaborator=None)
    driver.implement(instance_id, applicant)
    driver.at("2008-12-08")
    driver.benefit(instance_id, applicant, rating="优秀", collaborator=None)


def one_life(url: str, life: Callable[[ProjectDriver], None], meter: StepClock) -> tuple[list, list[int], int]:
    """Run ``life`` on a new database; (labels, per-step parts, sizes, final size)."""
    upgrade(create_engine(url))
    engine = Engine(EngineSettings(database_url=url, max_starts_per_day=BENCH_STARTS, workflows_dir=ROOT / "workflows",
                                   forms_dir=ROOT / "forms" / "schemas"), domain=PARTY)
    try:
        seed_organisation(engine)
        engine.deploy(ROOT / "workflows", actor="admin")
        driver = SizedDriver(engine, meter)
        meter.steps = []
        life(driver)
        with engine.db.read() as session:
            row = session.execute(select(ProcessInstance.status, ProcessInstance.state)).one()
        if row[0] != "completed":
            raise SystemExit(f"the project did not close: status {row[0]}")
        return list(zip(driver.labels, [parts for _, parts in meter.steps], strict=True)), driver.sizes, \
            len(row[1].encode("utf-8"))
    finally:
        engine.db.dispose()


def database_urls(pg: str | None) -> list[tuple[str, Callable[[], str]]]:
    urls: list[tuple[str, Callable[[], str]]] = [
        ("SQLite", lambda: f"sqlite:///{tempfile.mkdtemp()}/lifecycle.db")]
    if pg:
        urls.append(("PostgreSQL", lambda: fresh_postgres(pg, "dangjian_lifecycle_bench")))
    return urls


def report(label: str, lives: list[tuple[list, list[int], int]], quiet: bool) -> tuple[float, int]:
    """Print the per-step table; return (last-ten / first-ten ratio, final state bytes)."""
    steps = len(lives[0][0])
    merged: list[dict[str, float]] = []
    for index in range(steps):
        per_part: dict[str, list[float]] = defaultdict(list)
        for steps_of_life, _sizes, _final in lives:
            for part, value in StepClock.split(steps_of_life[index][1]).items():
                per_part[part].append(value)
        merged.append({part: statistics.median(values) for part, values in per_part.items()})
    names = [name for name, _ in lives[0][0]]
    sizes = lives[0][1]
    first = statistics.median(step["total"] for step in merged[:10])
    last = statistics.median(step["total"] for step in merged[-10:])
    final = lives[0][2]
    print(f"\n{label}: {steps} user steps, medians of {len(lives)} lives (ms)")
    if not quiet:
        header = f"{'#':>3} {'step':<20}{'state KB':>9}" + "".join(f"{p:>12}" for p in (*PARTS, "total")) + \
            f"{'ratio':>8}"
        print(header)
        for index, (name, step) in enumerate(zip(names, merged, strict=True)):
            cells = "".join(f"{step[p]:>12.2f}" for p in (*PARTS, "total"))
            print(f"{index + 1:>3} {name:<20}{sizes[index] / 1024:>9.1f}{cells}{step['total'] / first:>8.2f}")
    print(f"first ten steps, median {first:.2f} ms; last ten, median {last:.2f} ms; "
          f"ratio {last / first:.2f} (target <= 1.50)")
    print(f"live state of the closed project: {final / 1024:.1f} KB (target <= 80 KB); "
          f"largest on the way: {max(sizes) / 1024:.1f} KB")
    return last / first, final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="lives per project and database (medians)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--quiet", action="store_true", help="summary lines only")
    args = parser.parse_args()
    passwords.SCRYPT_N = 2**8  # user creation is not what we measure
    meter = StepClock()
    meter.install()
    try:
        for label, make_url in database_urls(args.pg):
            for project, life in (("key project", key_project_life), ("demonstration project", demonstration_life)):
                lives = [one_life(make_url(), life, meter) for _ in range(args.repeat)]
                report(f"{label}, {project}", lives, args.quiet)
    finally:
        clock.reset()


if __name__ == "__main__":
    main()
