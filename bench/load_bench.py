"""Load on the production set-up of the README: gunicorn (deploy/gunicorn.conf.py) and the timer worker.

Sixteen API users on 127.0.0.1 (one kept-alive connection each) start, claim, complete and list
for ``--seconds`` (60 by default) on a fresh SQLite database (or PostgreSQL with ``--pg``). Some of
the processes they start wait on a 5-second timer that the worker must fire. Reports p50/p95/max
per operation and the errors.

Then a fault phase of the same load: one web worker and the timer worker are killed with SIGKILL in
the middle (gunicorn starts a new web worker; the script starts a new timer worker). Requests that
were in flight on the killed worker fail at the client; afterwards the database must show nothing
lost or doubled: every acknowledged completion recorded once, audit events equal completed tasks,
every due timer fired.

Usage: python bench/load_bench.py [--seconds 60] [--users 16] [--pg postgresql+psycopg://...]
Target on 2 cores with SQLite: 0 errors in the steady phase, complete p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import BENCH_STARTS  # noqa: E402
from _support import Recorder  # noqa: E402
from _support import free_port  # noqa: E402
from _support import fresh_postgres  # noqa: E402
from _support import wait_until_up  # noqa: E402

from engine import Engine  # noqa: E402
from engine import EngineSettings  # noqa: E402
from engine import passwords  # noqa: E402
from engine.persistence.schema import upgrade  # noqa: E402
from party import PARTY  # noqa: E402
from tests.bpmn_builder import Process  # noqa: E402

BIN = Path(sys.executable).parent
NOTE_FORM = {"type": "object", "title": "说明", "properties": {"note": {"type": "string", "title": "说明"}}}


def timed_diagram() -> str:
    """start → wait 5 s → a task for 市委组织部 → end: the worker must fire the timer."""
    p = Process("load_timer", "定时办理", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.timer("wait", "等待五秒", "timeDuration", '"PT5S"', "lane_city")
    p.user("after", "定时后办理", "lane_city", form="note.json", dueIn="P5D")
    p.end("end", lane="lane_city")
    p.chain("start", "wait", "after", "end")
    return p.to_xml()


def task_diagram() -> str:
    """start → a script → a task for 市委组织部 → a script → end: one claim and one completion each."""
    p = Process("load_task", "办理一件事", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.script("receive", "登记", "received = True\nstatus_text = '办理中'", "lane_city")
    p.user("work", "办理", "lane_city", form="note.json", dueIn="P5D")
    p.script("close", "办结", "status_text = '已办结'", "lane_city")
    p.end("end", lane="lane_city")
    p.chain("start", "receive", "work", "close", "end")
    return p.to_xml()


class Setup:
    """The database, gunicorn and the timer worker, started as bin/run starts them."""

    def __init__(self, url: str, users: int) -> None:
        self.url = url
        upgrade(create_engine(url))
        engine = Engine(EngineSettings(database_url=url, max_starts_per_day=BENCH_STARTS), domain=PARTY)
        engine.add_unit("511800", "雅安市", kind="city")
        folder = Path(tempfile.mkdtemp())
        (folder / "note.json").write_text(json.dumps(NOTE_FORM), encoding="utf-8")
        (folder / "load_timer.bpmn").write_text(timed_diagram(), encoding="utf-8")
        (folder / "load_task.bpmn").write_text(task_diagram(), encoding="utf-8")
        engine.deploy(folder)
        self.tokens = {}
        for number in range(users):
            username = f"load{number:02d}"
            engine.add_user(username, "511800", ["city_org"], password="password-123")
            self.tokens[username] = engine.issue_api_token(username, "load bench")
        engine.db.dispose()
        self.port = free_port()
        self.env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-bench", "PORT": str(self.port),
                    "MAX_STARTS_PER_DAY": str(BENCH_STARTS), "WORKER_INTERVAL": "1", "WEB_ACCESS_LOG": "/dev/null",
                    "WEB_LOG_LEVEL": "warning", "INSTANCE_PATH": str(folder)}
        self.web = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "web:create_app()"],
                                    cwd=ROOT, env=self.env)
        self.worker = self.start_worker()
        self.wait_until_up()

    def start_worker(self) -> subprocess.Popen:
        return subprocess.Popen([str(BIN / "dangjian"), "worker", "--interval", "1"], cwd=ROOT, env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_until_up(self) -> None:
        if not wait_until_up(self.port):
            raise SystemExit("gunicorn did not come up")

    def web_workers(self) -> list[int]:
        return [int(pid) for pid in Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children").read_text().split()]

    def stop(self) -> None:
        for process in (self.web, self.worker):
            process.send_signal(signal.SIGTERM)
        for process in (self.web, self.worker):
            process.wait(timeout=30)


class User(Recorder, threading.Thread):
    """One API user: start, claim, complete, list, over and over until the phase ends."""

    def __init__(self, setup: Setup, username: str, until: float, results: dict, lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self.setup, self.username, self.until = setup, username, until
        self.results, self.lock = results, lock
        self.headers = {"Authorization": f"Bearer {setup.tokens[username]}", "Content-Type": "application/json"}
        self.connection: http.client.HTTPConnection | None = None
        self.acknowledged: list[int] = []
        self.timed: list[int] = []

    def call(self, operation: str, method: str, path: str, body: dict | None = None) -> dict | None:
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.setup.port, timeout=30)
            self.connection.request(method, path, body=json.dumps(body) if body is not None else None,
                                    headers=self.headers)
            response = self.connection.getresponse()
            payload = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            self.connection = None  # the worker went away: the next request opens a new connection
            self.record(operation, time.perf_counter() - started, f"{type(error).__name__}")
            return None
        self.record(operation, time.perf_counter() - started, None if status < 400 else f"HTTP {status}")
        return json.loads(payload) if status < 400 and payload else None

    def run(self) -> None:
        cycle = 0
        while time.monotonic() < self.until:
            cycle += 1
            process = "load_timer" if cycle % 5 == 0 else "load_task"
            started = self.call("start", "POST", f"/api/v1/processes/{process}/start")
            if started is None:
                continue
            if process == "load_timer":
                self.timed.append(started["instance_id"])
                continue
            task_id = started.get("task_id")
            if task_id is None:
                continue
            self.call("claim", "POST", f"/api/v1/tasks/{task_id}/claim")
            done = self.call("complete", "POST", f"/api/v1/tasks/{task_id}/complete", {"data": {"note": "x"}})
            if done is not None:
                self.acknowledged.append(task_id)
            self.call("list", "GET", "/api/v1/tasks?tab=mine&page_size=20")


def run_phase(setup: Setup, seconds: float, users: int, faults: bool) -> tuple[dict, list[int], list[int]]:
    results: dict = {"times": defaultdict(list), "errors": defaultdict(list)}
    lock = threading.Lock()
    until = time.monotonic() + seconds
    threads = [User(setup, username, until, results, lock) for username in list(setup.tokens)[:users]]
    for thread in threads:
        thread.start()
    if faults:
        time.sleep(seconds / 3)
        victim = setup.web_workers()[0]
        os.kill(victim, signal.SIGKILL)
        print(f"  killed web worker {victim} (SIGKILL) at {seconds / 3:.0f} s")
        time.sleep(seconds / 6)
        setup.worker.send_signal(signal.SIGKILL)
        setup.worker.wait()
        print(f"  killed the timer worker (SIGKILL) at {seconds / 2:.0f} s; starting a new one")
        setup.worker = setup.start_worker()
    for thread in threads:
        thread.join(seconds + 60)
    acknowledged = [task for thread in threads for task in thread.acknowledged]
    timed = [instance for thread in threads for instance in thread.timed]
    return results, acknowledged, timed


def report(results: dict) -> None:
    for operation in ("start", "claim", "complete", "list"):
        times = sorted(results["times"][operation])
        if not times:
            continue
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        errors = results["errors"][operation]
        print(f"  {operation:<9} n={len(times):>6}  p50 {statistics.median(times) * 1000:7.1f} ms  "
              f"p95 {p95 * 1000:7.1f} ms  max {times[-1] * 1000:7.1f} ms  errors {len(errors)}"
              + (f" ({', '.join(sorted(set(errors)))})" if errors else ""))


def check_nothing_lost(url: str, acknowledged: list[int], timed: list[int]) -> bool:
    """Every acknowledged completion recorded once; events equal completed tasks; timers fired."""
    engine = create_engine(url)
    with engine.connect() as connection:
        scalar = connection.execute
        completed = scalar(text("SELECT count(*) FROM human_task WHERE status = 'completed'")).scalar()
        events = scalar(text("SELECT count(*) FROM instance_event WHERE kind = 'task_completed'")).scalar()
        doubled = scalar(text("SELECT count(*) FROM (SELECT task_guid FROM instance_event WHERE kind = "
                              "'task_completed' GROUP BY instance_id, task_guid HAVING count(*) > 1) d")).scalar()
        missing = 0
        for chunk in range(0, len(acknowledged), 500):
            ids = acknowledged[chunk:chunk + 500]
            found = scalar(text(f"SELECT count(*) FROM human_task WHERE status = 'completed' AND id IN "
                                f"({', '.join(str(i) for i in ids)})")).scalar()
            missing += len(ids) - found
        waiting = 0
        if timed:
            waiting = scalar(text("SELECT count(*) FROM process_instance WHERE process_id = 'load_timer' AND "
                                  "status = 'waiting' AND next_timer_due IS NOT NULL")).scalar()
        errored = scalar(text("SELECT count(*) FROM process_instance WHERE status = 'error'")).scalar()
    engine.dispose()
    print(f"  acknowledged completions {len(acknowledged)}, completed tasks {completed}, audit events {events}, "
          f"doubled {doubled}, acknowledged but missing {missing}")
    print(f"  timer instances {len(timed)}, still waiting on a due timer {waiting}; instances in error {errored}")
    return events == completed and doubled == 0 and missing == 0 and waiting == 0 and errored == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    passwords.SCRYPT_N = 2**8
    url = fresh_postgres(args.pg, "dangjian_load_bench") if args.pg else f"sqlite:///{tempfile.mkdtemp()}/load.db"
    setup = Setup(url, args.users)
    try:
        print(f"steady load: {args.users} users for {args.seconds:.0f} s ({'PostgreSQL' if args.pg else 'SQLite'}, "
              "gunicorn 2 workers x 4 threads, timer worker)")
        results, acknowledged, timed = run_phase(setup, args.seconds, args.users, faults=False)
        report(results)
        time.sleep(8)  # the last timers fall due
        steady_ok = check_nothing_lost(url, acknowledged, timed)
        complete = sorted(results["times"]["complete"])
        p95 = complete[round(0.95 * (len(complete) - 1))] if complete else 0
        errors = sum(len(e) for e in results["errors"].values())
        print(f"  steady phase: {errors} errors, complete p95 {p95 * 1000:.0f} ms (target 0 errors, <= 300 ms)")
        print(f"\nfault phase: the same load for {args.seconds / 2:.0f} s with SIGKILLs")
        results, more, more_timed = run_phase(setup, args.seconds / 2, args.users, faults=True)
        report(results)
        time.sleep(10)
        fault_ok = check_nothing_lost(url, acknowledged + more, timed + more_timed)
        print(f"\nnothing lost or doubled: {'yes' if steady_ok and fault_ok else 'NO'}")
    finally:
        setup.stop()


if __name__ == "__main__":
    main()
