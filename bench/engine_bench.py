"""Engine step cost against its baselines, measured in one run.

(a) one task step on bare SpiffWorkflow in memory (complete a user task, run engine steps);
(b) a raw transaction on the same database writing the same state bytes plus one audit row;
(c) the full engine step: load, check, run, save, projections, commit; after 1, 10 and 100 passes
    through a loop.

The single-step figures (pass 1) interleave (a), (b) and (c) sample by sample, so that the ratio
compares runs made under the same load. (b) and (c) are also reported each back to back in a
tight loop, where caches stay hot (on SQLite, a connection keeps its page cache only while no
other connection writes); the ratio of those is printed too.

Usage: python bench/engine_bench.py [--samples 40] [--pg postgresql+psycopg://...]
(the PostgreSQL URL defaults to $BENCH_DATABASE_URL, then $TEST_DATABASE_URL; SQLite always runs).
Figures are wall-clock medians and p95 in milliseconds; the ratio line is what to compare across
machines, since these are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import BENCH_STARTS  # noqa: E402
from _support import fresh_postgres  # noqa: E402
from _support import stats  # noqa: E402

from engine import Engine  # noqa: E402
from engine import EngineSettings  # noqa: E402
from engine import clock  # noqa: E402
from engine import passwords  # noqa: E402
from engine.persistence.models import HumanTask  # noqa: E402
from engine.persistence.schema import upgrade  # noqa: E402
from engine.runtime.bundles import split_bundles  # noqa: E402
from engine.runtime.serialization import dump_state  # noqa: E402
from engine.runtime.specs import parse_model  # noqa: E402
from engine.runtime.workflow import ProcessRun  # noqa: E402
from engine.service.deploy import sources_in  # noqa: E402
from forms import find_form  # noqa: E402
from party import PARTY  # noqa: E402

DIAGRAMS = ROOT / "tests" / "diagrams"
PASSES = (1, 10, 100)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bare_model():
    sources, locations = sources_in([DIAGRAMS])

    def resolve(name: str, diagram: str) -> str | None:
        found = find_form(name, [locations[diagram].parent])
        return found.read_text(encoding="utf-8") if found else None

    bundle = next(b for b in split_bundles(sources, resolve) if b.process_id == "user_loop")
    return parse_model(bundle.bundle, "user_loop")


def bare_steps(model, count: int) -> Iterator[Callable[[], object]]:
    """(a) at pass 1: completing the first user task of fresh in-memory runs, one per call."""
    for _ in range(count):
        run = ProcessRun.start(model, {"passes": 10_000})
        task = run.ready_tasks()[0]
        yield lambda run=run, task=task: run.complete(task.id, {"note": "x"})


def measure_bare_passes(model, samples: int) -> tuple[dict[int, list[float]], str]:
    """(a) after each pass count of the loop; also the state at pass 1 (what (b) writes)."""
    results: dict[int, list[float]] = {n: [] for n in PASSES}
    state_at_one = ""
    for _ in range(samples):
        run = ProcessRun.start(model, {"passes": 10_000})
        for done in range(1, max(PASSES) + 1):
            task = run.ready_tasks()[0]
            elapsed = timed(lambda run=run, task=task: run.complete(task.id, {"note": "x"}))
            if done in results:
                results[done].append(elapsed)
            if done == 1 and not state_at_one:
                state_at_one = dump_state(run.workflow)
    return results, state_at_one


class RawWriter:
    """(b): one transaction reading and updating a state row and inserting one audit row, same bytes."""

    def __init__(self, url: str, state: str) -> None:
        self.db = create_engine(url)
        self.state = state
        self.payload = json.dumps({"note": "x"})
        self.count = 0
        with self.db.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS bench_state"))
            connection.execute(text("DROP TABLE IF EXISTS bench_event"))
            connection.execute(text("CREATE TABLE bench_state (id INTEGER PRIMARY KEY, state TEXT)"))
            connection.execute(text("CREATE TABLE bench_event (id INTEGER PRIMARY KEY, instance_id INTEGER, "
                                    "at TEXT, data TEXT)"))
            connection.execute(text("INSERT INTO bench_state (id, state) VALUES (1, '')"))

    def write(self) -> None:
        self.count += 1
        with self.db.begin() as connection:
            connection.execute(text("SELECT state FROM bench_state WHERE id = 1"))
            connection.execute(text("UPDATE bench_state SET state = :s WHERE id = 1"), {"s": self.state})
            connection.execute(text("INSERT INTO bench_event (id, instance_id, at, data) VALUES "
                                    "(:i, 1, :at, :d)"), {"i": self.count, "at": "2008-01-01", "d": self.payload})

    def close(self) -> None:
        with self.db.begin() as connection:
            connection.execute(text("DROP TABLE bench_state"))
            connection.execute(text("DROP TABLE bench_event"))
        self.db.dispose()


def engine_for(url: str) -> Engine:
    upgrade(create_engine(url))
    engine = Engine(EngineSettings(database_url=url, max_starts_per_day=BENCH_STARTS), domain=PARTY)
    engine.add_unit("511800", "雅安市", kind="city")
    engine.add_user("city", "511800", ["city_org"], password="password-123")
    engine.deploy(DIAGRAMS)
    return engine


def engine_steps(engine: Engine, count: int) -> Iterator[Callable[[], object]]:
    """(c) at pass 1: completing the first user task of fresh instances, one per call."""
    tasks = [open_task(engine, engine.start("user_loop", "city", {"passes": 10_000})) for _ in range(count)]
    for task_id in tasks:
        yield lambda task_id=task_id: engine.complete("city", task_id, {"note": "x"})


def measure_single_steps(model, engine: Engine, raw: RawWriter, samples: int) -> tuple[list[float], ...]:
    """(a), (b) and (c) at pass 1, interleaved sample by sample so that all three see the same
    machine: on a shared, noisy host, measuring them one after the other skews the ratio."""
    a, b, c = [], [], []
    for bare, step in zip(bare_steps(model, samples), engine_steps(engine, samples), strict=True):
        a.append(timed(bare))
        b.append(timed(raw.write))
        c.append(timed(step))
    return a, b, c


def measure_engine_passes(engine: Engine, samples: int) -> dict[int, list[float]]:
    """(c) after each pass count of the loop."""
    results: dict[int, list[float]] = {n: [] for n in PASSES}
    for _ in range(samples):
        instance_id = engine.start("user_loop", "city", {"passes": 10_000})
        for done in range(1, max(PASSES) + 1):
            task_id = open_task(engine, instance_id)
            elapsed = timed(lambda task_id=task_id: engine.complete("city", task_id, {"note": "x"}))
            if done in results:
                results[done].append(elapsed)
    return results


def open_task(engine: Engine, instance_id: int) -> int:
    with engine.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                            HumanTask.status == "open"))
    if task_id is None:
        view = engine.instance("admin", instance_id)
        raise SystemExit(f"instance {instance_id} has no open task: {view.status} {view.error_message}")
    return task_id


def line(label: str, samples: list[float]) -> str:
    median, p95 = stats(samples)
    return f"{label:<46}median {median:7.2f} ms   p95 {p95:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=30, help="loop instances per pass-count figure; "
                        "single-step figures take ten times as many")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    passwords.SCRYPT_N = 2**8  # user creation is not what we measure
    clock.travel_to(clock.now())

    model = bare_model()
    bare, state = measure_bare_passes(model, args.samples)
    print(f"state at pass 1: {len(state)} bytes; single steps: {args.samples * 10} samples, interleaved "
          f"(a), (b), (c); pass counts: {args.samples} loops")
    for passes in PASSES:
        print(line(f"(a) bare SpiffWorkflow, pass {passes}, in memory", bare[passes]))

    databases = [("SQLite", f"sqlite:///{tempfile.mkdtemp()}/bench.db")]
    if args.pg:
        databases.append(("PostgreSQL", fresh_postgres(args.pg, "dangjian_bench")))
    for label, url in databases:
        engine = engine_for(url)
        raw = RawWriter(url, state)
        a, b, c = measure_single_steps(model, engine, raw, args.samples * 10)
        b_loop = [timed(raw.write) for _ in range(args.samples * 10)]
        c_loop = [timed(step) for step in list(engine_steps(engine, args.samples * 10))]
        raw.close()
        passes = measure_engine_passes(engine, args.samples)
        print(f"\n{label}")
        print(line("(a) bare SpiffWorkflow step (interleaved)", a))
        print(line("(b) raw transaction, same state + audit row", b))
        print(line("(c) full engine step", c))
        print(line("(b) back to back, in a tight loop", b_loop))
        print(line("(c) back to back, in a tight loop", c_loop))
        for count in PASSES[1:]:
            print(line(f"    (c) after {count} passes", passes[count]))
        ratio = stats(c)[0] / (stats(a)[0] + stats(b)[0])
        print(f"ratio (c) / ((a) + (b)), medians: {ratio:.2f}   (target <= 2.00)")
        ratio = stats(c_loop)[0] / (stats(bare[1])[0] + stats(b_loop)[0])
        print(f"  the same, each in a tight loop: {ratio:.2f}")
        engine.db.dispose()


if __name__ == "__main__":
    main()
