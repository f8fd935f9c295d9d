"""Engine step cost against its baselines, measured in one run.

(a) one task step on bare SpiffWorkflow in memory (complete a user task, run engine steps);
(b) a raw transaction on the same database writing the same state bytes plus one audit row;
(c) the full engine step: load, check, run, save, projections, commit; after 1, 10 and 100 passes
    through a loop.

Usage: python bench/engine_bench.py [--samples 40] [--pg postgresql+psycopg://...]
(the PostgreSQL URL defaults to $BENCH_DATABASE_URL, then $TEST_DATABASE_URL; SQLite always runs).
Figures are wall-clock medians and p95 in milliseconds; the ratio line is what to compare across
machines, since these are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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

DIAGRAMS = ROOT / "tests" / "diagrams"
PASSES = (1, 10, 100)


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


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


def measure_bare(samples: int) -> tuple[dict[int, list[float]], str]:
    """(a): complete the loop's user task in memory, at each pass count; also the state at pass 1."""
    model = bare_model()
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


def measure_raw(url: str, state: str, samples: int) -> list[float]:
    """(b): one transaction updating a state row and inserting one audit row, same bytes."""
    db = create_engine(url)
    with db.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_state (id INTEGER PRIMARY KEY, state TEXT)"))
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_event (id INTEGER PRIMARY KEY, instance_id "
                                "INTEGER, at TEXT, data TEXT)"))
        connection.execute(text("DELETE FROM bench_state"))
        connection.execute(text("INSERT INTO bench_state (id, state) VALUES (1, '')"))
    payload = json.dumps({"note": "x"})
    out = []
    for index in range(samples):
        def write(index: int = index) -> None:
            with db.begin() as connection:
                connection.execute(text("SELECT state FROM bench_state WHERE id = 1"))
                connection.execute(text("UPDATE bench_state SET state = :s WHERE id = 1"), {"s": state})
                connection.execute(text("INSERT INTO bench_event (id, instance_id, at, data) VALUES "
                                        "(:i, 1, :at, :d)"), {"i": index + 1, "at": "2008-01-01", "d": payload})
        out.append(timed(write))
    with db.begin() as connection:
        connection.execute(text("DROP TABLE bench_state"))
        connection.execute(text("DROP TABLE bench_event"))
    db.dispose()
    return out


def engine_for(url: str) -> Engine:
    upgrade(create_engine(url))
    engine = Engine(EngineSettings(database_url=url))
    engine.add_unit("511800", "雅安市", kind="city")
    engine.add_user("city", "511800", ["city_org"], password="password-123")
    engine.deploy(DIAGRAMS)
    return engine


def measure_engine(engine: Engine, samples: int) -> dict[int, list[float]]:
    """(c): the full engine step at each pass count."""
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
        return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.status == "open"))


def fresh_postgres(url: str) -> str:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS dangjian_bench WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE dangjian_bench"))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/dangjian_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=30, help="instances per measurement")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    passwords.SCRYPT_N = 2**8  # user creation is not what we measure
    clock.travel_to(clock.now())

    bare, state = measure_bare(args.samples)
    a_median, a_p95 = stats(bare[1])
    print(f"state at pass 1: {len(state)} bytes; samples per figure: {args.samples}")
    print(f"(a) bare SpiffWorkflow step, in memory        median {a_median:7.2f} ms   p95 {a_p95:7.2f} ms")
    for passes in PASSES[1:]:
        median, p95 = stats(bare[passes])
        print(f"    after {passes:3d} passes                           median {median:7.2f} ms   p95 {p95:7.2f} ms")

    databases = [("SQLite", f"sqlite:///{tempfile.mkdtemp()}/bench.db")]
    if args.pg:
        databases.append(("PostgreSQL", fresh_postgres(args.pg)))
    for label, url in databases:
        raw = measure_raw(url, state, args.samples * 3)
        b_median, b_p95 = stats(raw)
        engine = engine_for(url)
        full = measure_engine(engine, args.samples)
        c_median, c_p95 = stats(full[1])
        print(f"\n{label}")
        print(f"(b) raw transaction, same state + audit row   median {b_median:7.2f} ms   p95 {b_p95:7.2f} ms")
        print(f"(c) full engine step                          median {c_median:7.2f} ms   p95 {c_p95:7.2f} ms")
        for passes in PASSES[1:]:
            median, p95 = stats(full[passes])
            print(f"    after {passes:3d} passes                           median {median:7.2f} ms   "
                  f"p95 {p95:7.2f} ms")
        ratio = c_median / (a_median + b_median)
        print(f"ratio (c) / ((a) + (b)), medians: {ratio:.2f}   (target <= 2.00)")
        engine.db.dispose()


if __name__ == "__main__":
    main()
