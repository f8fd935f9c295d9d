"""Server CPU per HTTP request against the engine step inside it, measured in one run.

Serves the real application with the production server of the README (gunicorn with
``deploy/gunicorn.conf.py``: threaded worker, keep-alive; narrowed to one worker process with one
thread) on 127.0.0.1 and drives the JSON API over one kept-alive connection per user:

* **complete**: ``POST /api/v1/tasks/<id>/complete`` on a one-task loop diagram, interleaved
  sample by sample with the same engine call the API's view makes, done in this process
  (``Engine.complete`` with the next task), so that both see the same machine;
* **list**: ``GET /api/v1/tasks?page_size=100`` for a user holding 200 open tasks and for one
  holding 2,000.

Server CPU is the worker process's own CPU time, all threads (``/proc/<pid>/task/*/schedstat``, ns) read
before and after each request; the engine step is this process's CPU time around the call.
Figures are medians and p95 in milliseconds of CPU; the ratios are what to compare across
machines (targets: complete <= 1.5x the engine step; list <= 8 ms, 2,000 open <= 1.2x 200 open).

Usage: python bench/http_bench.py [--samples 200] [--pg postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import BENCH_STARTS  # noqa: E402
from _support import free_port  # noqa: E402
from _support import fresh_postgres  # noqa: E402
from _support import stats  # noqa: E402
from _support import wait_until_up  # noqa: E402

from engine import Engine  # noqa: E402
from engine import EngineSettings  # noqa: E402
from engine import passwords  # noqa: E402
from engine.persistence.models import HumanTask  # noqa: E402
from engine.persistence.schema import upgrade  # noqa: E402
from party import PARTY  # noqa: E402

DIAGRAMS = ROOT / "tests" / "diagrams"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def line(label: str, samples: list[float]) -> str:
    median, p95 = stats(samples)
    return f"{label:<58}median {median:7.2f} ms   p95 {p95:7.2f} ms"


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far, all its threads (nanosecond resolution where the kernel
    offers it)."""
    try:
        return sum(int(Path(f"/proc/{pid}/task/{thread}/schedstat").read_text().split()[0])
                   for thread in os.listdir(f"/proc/{pid}/task")) / 1e9
    except OSError:  # no schedstat: clock ticks from /proc/<pid>/stat
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """gunicorn serving ``web:create_app()`` with the README's settings (``deploy/gunicorn.conf.py``:
    threaded worker, keep-alive, access log), narrowed to one worker process with one thread."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret", "PYTHONPATH": str(ROOT),
               "MAX_STARTS_PER_DAY": str(BENCH_STARTS), "DANGJIAN_BIND": f"127.0.0.1:{self.port}",
               "WEB_WORKERS": "1", "WEB_THREADS": "1", "WEB_LOG_LEVEL": "warning"}
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--keep-alive", "60",
             "--max-requests", "0", "web:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        if not wait_until_up(self.port):
            self.stop()
            raise SystemExit("gunicorn did not answer within 60 s")
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        self.worker = int(children[0])

    def client(self, token: str) -> Client:
        return Client(self, token)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Client:
    """One kept-alive connection with a bearer token; each call returns (server CPU s, wall s, body)."""

    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[float, float, dict]:
        payload = json.dumps(body) if body is not None else None
        started_cpu, started = cpu_seconds(self.server.worker), time.perf_counter()
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        # The worker has written the response before the client reads its end: its CPU is final.
        wall, cpu = time.perf_counter() - started, cpu_seconds(self.server.worker) - started_cpu
        if response.status >= 400:
            raise SystemExit(f"{method} {path}: HTTP {response.status} {data[:300]!r}")
        return cpu, wall, json.loads(data) if data else {}


def prepare(url: str, open_tasks: tuple[int, ...], samples: int) -> tuple[Engine, dict[str, str]]:
    """The organisation, the test diagrams, claimed tasks for the readers; API tokens by user."""
    upgrade(create_engine(url))
    engine = Engine(EngineSettings(database_url=url, max_starts_per_day=BENCH_STARTS), domain=PARTY)
    engine.add_unit("511800", "雅安市", kind="city")
    users = ["worker", "inprocess", *(f"reader{count}" for count in open_tasks)]
    for username in users:
        engine.add_user(username, "511800", ["city_org"], password="password-123")
    engine.deploy(DIAGRAMS)
    for count in open_tasks:
        for _ in range(count):
            engine.claim(f"reader{count}", open_task(engine, engine.start("user_loop", "worker", {"passes": 10})))
    return engine, {username: engine.issue_api_token(username) for username in users}


def open_task(engine: Engine, instance_id: int) -> int:
    with engine.db.read() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.status == "open"))


def cpu_of(action: Callable[[], object]) -> float:
    started = time.process_time()
    action()
    return time.process_time() - started


def run(label: str, url: str, samples: int) -> None:
    open_tasks = (200, 2000)
    engine, tokens = prepare(url, open_tasks, samples)
    server = Server(url)
    try:
        worker = server.client(tokens["worker"])
        # Warm both sides (model cache, statement caches, first-connection costs).
        for actor, complete in (("inprocess", None), ("worker", worker)):
            for _ in range(20):
                task_id = open_task(engine, engine.start("user_loop", actor, {"passes": 10_000}))
                if complete is None:
                    engine.complete(actor, task_id, {"note": "x"})
                else:
                    complete.call("POST", f"/api/v1/tasks/{task_id}/complete", {"data": {"note": "x"}})
        step_cpu, http_cpu, http_wall = [], [], []
        mine = {actor: open_task(engine, engine.start("user_loop", actor, {"passes": 10_000}))
                for actor in ("inprocess", "worker")}
        for _ in range(samples):
            task_id = mine["inprocess"]
            # The same call the API's view makes, next task included.
            done: list = []
            step_cpu.append(cpu_of(lambda task_id=task_id, done=done: done.append(
                engine.complete("inprocess", task_id, {"note": "x"}, next_task=True))))
            mine["inprocess"] = done[0].next_task_id
            cpu, wall, body = worker.call("POST", f"/api/v1/tasks/{mine['worker']}/complete", {"data": {"note": "x"}})
            http_cpu.append(cpu)
            http_wall.append(wall)
            mine["worker"] = body["next_task_id"]
        # Interleaved too: the two users' lists alternate request by request.
        readers = {count: server.client(tokens[f"reader{count}"]) for count in open_tasks}
        lists: dict[int, list[float]] = {count: [] for count in open_tasks}
        for sample in range(samples + 10):
            for count, reader in readers.items():
                cpu, _wall, body = reader.call("GET", "/api/v1/tasks?tab=mine&page_size=100")
                assert len(body["tasks"]) == 100 and body["total"] == count
                if sample >= 10:  # the first ten warm the caches
                    lists[count].append(cpu)
        print(f"\n{label}")
        print(line("engine step (Engine.complete, in process), CPU", step_cpu))
        print(line("HTTP complete (POST .../complete), server CPU", http_cpu))
        print(line("HTTP complete, wall time at the client", http_wall))
        for count in open_tasks:
            print(line(f"HTTP list 100 tasks, {count} open, server CPU", lists[count]))
        print(f"ratio complete / engine step, medians: {stats(http_cpu)[0] / stats(step_cpu)[0]:.2f}   "
              f"(target <= 1.50)")
        print(f"ratio list with 2000 / with 200 open, medians: "
              f"{stats(lists[2000])[0] / stats(lists[200])[0]:.2f}   (target <= 1.20; list <= 8 ms)")
    finally:
        server.stop()
        engine.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    passwords.SCRYPT_N = 2**8  # user creation is not what we measure
    run("SQLite", f"sqlite:///{tempfile.mkdtemp()}/http.db", args.samples)
    if args.pg:
        run("PostgreSQL", fresh_postgres(args.pg, "dangjian_http_bench"), args.samples)


if __name__ == "__main__":
    main()
