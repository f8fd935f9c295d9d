"""Several hosts on one PostgreSQL, simulated on this machine (issue 22).

Three gunicorn instances on ports of their own (``deploy/gunicorn.conf.py``, ``WEB_WORKERS`` each)
behind a bounded round-robin client, and three ``dangjian worker`` processes. ``--users`` staff
(50) start, claim, complete and list through the API for ``--seconds`` (120). ``--timers``
instances (10,000) wait on timers that all fall due at one moment, ``--due-after`` seconds into
the run. A few seconds after that moment one worker is killed with SIGKILL (it holds a batch of
leased timers) and restarted; in the middle of the run one web instance (its master and workers)
is killed with SIGKILL and restarted.

The client sends each request to the next live instance in turn; a connection refused (nothing
sent) is tried on the next instance (a load balancer's "next upstream"). Every POST carries an
``Idempotency-Key`` of its own; a POST cut off in flight (its instance was killed) is repeated on
the next instance with the same key, at most ``MAX_RETRIES`` times: the server does it if the
first attempt did nothing and answers with the first attempt's response if it was done. A GET cut
off is simply sent again. A 409 ``request_in_progress`` (the first attempt is still running) is
repeated after a short pause. Errors are counted after these retries.

Reports p50/p95 per operation, the errors left after retries and the retries, completions
acknowledged vs completed tasks vs audit events, every timer fired exactly once (missing,
duplicates), the time from the due moment until the last timer fired (target <= 60 s for 10,000),
and the lease take-overs the workers logged.

Usage: python bench/cluster_bench.py --pg postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
       [--seconds 120] [--users 50] [--timers 10000] [--due-after 20] [--lease 10] [--web-workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import BENCH_STARTS  # noqa: E402
from _support import Recorder  # noqa: E402
from _support import free_port  # noqa: E402
from _support import fresh_postgres  # noqa: E402
from _support import stats  # noqa: E402
from _support import wait_until_up  # noqa: E402
from load_bench import NOTE_FORM  # noqa: E402
from load_bench import task_diagram  # noqa: E402

from engine import Engine  # noqa: E402
from engine import EngineSettings  # noqa: E402
from engine import passwords  # noqa: E402
from engine.persistence.schema import upgrade  # noqa: E402
from party import PARTY  # noqa: E402
from tests.bpmn_builder import Process  # noqa: E402

BIN = Path(sys.executable).parent
OPERATIONS = ("start", "claim", "complete", "list")
# Repeats of one request cut off in flight (or answered "in progress") before it counts as an error.
MAX_RETRIES = 5
# Connection attempts refused (nothing sent) before a request counts as an error: each instance twice.
MAX_REFUSALS = 6


def mass_timer_diagram() -> str:
    """start → wait until ``due`` (a date in the data) → end."""
    p = Process("cluster_timer", "定时到点", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.timer("wait", "等到点", "timeDate", "due", "lane_city")
    p.end("end", lane="lane_city")
    p.chain("start", "wait", "end")
    return p.to_xml()


class Cluster:
    """The database, three web instances and three workers, each a process group of its own."""

    def __init__(self, url: str, users: int, lease: float, web_workers: int) -> None:
        self.url, self.lease = url, lease
        self.folder = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
        upgrade(create_engine(url))
        engine = Engine(EngineSettings(database_url=url, max_starts_per_day=BENCH_STARTS), domain=PARTY)
        engine.add_unit("511800", "雅安市", kind="city")
        (self.folder / "note.json").write_text(json.dumps(NOTE_FORM), encoding="utf-8")
        (self.folder / "load_task.bpmn").write_text(task_diagram(), encoding="utf-8")
        (self.folder / "cluster_timer.bpmn").write_text(mass_timer_diagram(), encoding="utf-8")
        engine.deploy(self.folder)
        engine.add_user("timekeeper", "511800", ["city_org"], password="password-123")
        self.tokens = {}
        for number in range(users):
            username = f"staff{number:02d}"
            engine.add_user(username, "511800", ["city_org"], password="password-123")
            self.tokens[username] = engine.issue_api_token(username, "cluster bench")
        self.engine = engine
        self.env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "cluster-bench", "WEB_ACCESS_LOG": "/dev/null",
                    "WEB_LOG_LEVEL": "warning", "INSTANCE_PATH": str(self.folder),
                    "MAX_STARTS_PER_DAY": str(BENCH_STARTS), "WEB_WORKERS": str(web_workers)}
        self.ports = [free_port() for _ in range(3)]
        self.webs = [self.start_web(index) for index in range(3)]
        self.workers = [self.start_worker(index) for index in range(3)]
        self.restarted_worker_logs: list[Path] = []
        for port in self.ports:
            if not wait_until_up(port):
                raise SystemExit(f"gunicorn on {port} did not come up")

    def start_web(self, index: int) -> subprocess.Popen:
        port = self.ports[index]
        env = {**self.env, "PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(self.folder / f"metrics-{port}")}
        return subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "web:create_app()"],
                                cwd=ROOT, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=open(self.folder / f"web-{port}.log", "ab"))

    def start_worker(self, index: int) -> subprocess.Popen:
        log = self.folder / f"worker-{index}-{time.monotonic_ns()}.log"
        return subprocess.Popen([str(BIN / "dangjian"), "worker", "--interval", "5", "--lease", str(self.lease)],
                                cwd=ROOT, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=open(log, "ab"))

    def kill_web(self, index: int) -> None:
        """SIGKILL a web instance's master and workers, then start it again."""
        os.killpg(self.webs[index].pid, signal.SIGKILL)
        self.webs[index].wait()
        self.webs[index] = self.start_web(index)

    def kill_worker(self, index: int) -> None:
        """SIGKILL a worker, then start a new one (a new lease owner)."""
        os.killpg(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait()
        self.workers[index] = self.start_worker(index)

    def plant_timers(self, count: int, due: datetime) -> None:
        """``count`` instances waiting on a timer due at ``due``: one started, the rest copied in SQL."""
        first = self.engine.start("cluster_timer", "timekeeper", {"due": due.isoformat()})
        columns = [c for c in self._instance_columns() if c != "id"]
        listed = ", ".join(columns)
        with create_engine(self.url).begin() as connection:
            connection.execute(text(f"INSERT INTO process_instance ({listed}) SELECT {listed} FROM process_instance "
                                    f"CROSS JOIN generate_series(1, :copies) WHERE id = :first"),
                               {"copies": count - 1, "first": first})

    def _instance_columns(self) -> list[str]:
        with create_engine(self.url).connect() as connection:
            return list(connection.execute(text("SELECT * FROM process_instance LIMIT 0")).keys())

    def stop(self) -> None:
        for process in (*self.webs, *self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in (*self.webs, *self.workers):
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


class RoundRobin:
    """The next live web instance, in turn; an instance that refused a connection rests 2 s."""

    def __init__(self, ports: list[int]) -> None:
        self.ports, self.turn, self.resting = ports, 0, dict.fromkeys(ports, 0.0)
        self.lock = threading.Lock()

    def order(self) -> list[int]:
        with self.lock:
            self.turn = (self.turn + 1) % len(self.ports)
            ports = self.ports[self.turn:] + self.ports[:self.turn]
        now = time.monotonic()
        return sorted(ports, key=lambda port: self.resting[port] > now)  # live first, in turn

    def rest(self, port: int) -> None:
        self.resting[port] = time.monotonic() + 2.0


class Staff(Recorder, threading.Thread):
    """One member of staff: start, claim, complete, list, until the run ends."""

    def __init__(self, token: str, balancer: RoundRobin, until: float, results: dict, lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self.balancer, self.until, self.results, self.lock = balancer, until, results, lock
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connections: dict[int, http.client.HTTPConnection] = {}
        self.acknowledged: list[int] = []

    def connection(self, port: int) -> http.client.HTTPConnection:
        """A kept-alive connection to ``port``, or a new one when the server closed it meanwhile
        (a readable idle socket means end of stream: its process is gone), as urllib3 checks."""
        connection = self.connections.get(port)
        if connection is not None and connection.sock is not None and select.select([connection.sock], [], [], 0)[0]:
            connection.close()
            connection = None
        if connection is None:
            connection = self.connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        return connection

    def call(self, operation: str, method: str, path: str, body: dict | None = None) -> dict | None:
        """One request through the balancer. Refused connections go to the next instance. A request
        cut off in flight is sent again to the next instance: a GET as it is (it changes nothing, as
        nginx's proxy_next_upstream repeats it), a POST with the same Idempotency-Key, so that the
        server does it at most once and answers a repeat with the first response."""
        started = time.perf_counter()
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex} if method == "POST" else self.headers
        error, retries, refusals = "no instance", 0, 0
        while refusals < MAX_REFUSALS:
            port = self.balancer.order()[0]
            try:
                status, payload = self.send(port, method, path, body, headers)
            except ConnectionRefusedError:
                self.connections.pop(port, None)
                self.balancer.rest(port)
                refusals += 1
                self.count("failovers")
                continue  # nothing was sent: the next instance may take it
            except (OSError, http.client.HTTPException) as failure:
                self.connections.pop(port, None)
                error = f"{type(failure).__name__} in flight"
                if retries == MAX_RETRIES:
                    break
                retries += 1
                self.count("failovers" if method == "GET" else "retries", operation)
                continue
            if status == 409 and b"request_in_progress" in payload and retries < MAX_RETRIES:
                retries += 1
                self.count("retries", operation)
                time.sleep(0.5)
                continue
            self.record(operation, time.perf_counter() - started, None if status < 400 else f"HTTP {status}")
            return json.loads(payload) if status < 400 and payload else None
        self.record(operation, time.perf_counter() - started, error)
        return None

    def send(self, port: int, method: str, path: str, body: dict | None, headers: dict) -> tuple[int, bytes]:
        """One attempt on one instance: the status and the body. :raises OSError, HTTPException:"""
        connection = self.connection(port)
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()

    def count(self, what: str, operation: str | None = None) -> None:
        """One more fail-over (``failovers``) or repeated POST (``retries``, per operation)."""
        with self.lock:
            if operation is None or what == "failovers":
                self.results[what] += 1
            else:
                self.results[what][operation] += 1

    def run(self) -> None:
        while time.monotonic() < self.until:
            started = self.call("start", "POST", "/api/v1/processes/load_task/start")
            task_id = started.get("task_id") if started else None
            if task_id is None:
                continue
            self.call("claim", "POST", f"/api/v1/tasks/{task_id}/claim")
            if self.call("complete", "POST", f"/api/v1/tasks/{task_id}/complete", {"data": {"note": "x"}}) is not None:
                self.acknowledged.append(task_id)
            self.call("list", "GET", "/api/v1/tasks?tab=mine&page_size=20")


def run(cluster: Cluster, seconds: float, timers: int, due_after: float) -> tuple[dict, list[int], datetime]:
    """The staff's load with the timers and the two kills; results, acknowledged completions, due moment."""
    results: dict = {"times": defaultdict(list), "errors": defaultdict(list), "failovers": 0,
                     "retries": defaultdict(int)}
    lock = threading.Lock()
    due = datetime.now(UTC) + timedelta(seconds=due_after)
    planted = time.monotonic()
    cluster.plant_timers(timers, due)
    print(f"  {timers} timers planted in {time.monotonic() - planted:.1f} s, due at +{due_after:.0f} s")
    begin = time.monotonic()
    until = begin + seconds
    balancer = RoundRobin(cluster.ports)
    staff = [Staff(token, balancer, until, results, lock) for token in cluster.tokens.values()]
    for member in staff:
        member.start()
    wait = max(0.0, (due - datetime.now(UTC)).total_seconds()) + 3
    time.sleep(wait)
    cluster.kill_worker(0)
    print(f"  +{time.monotonic() - begin:.0f} s: worker 0 killed (SIGKILL) while firing, restarted")
    time.sleep(max(0.0, begin + seconds / 2 - time.monotonic()))
    cluster.kill_web(1)
    print(f"  +{time.monotonic() - begin:.0f} s: web instance 1 killed (SIGKILL, master and workers), restarted")
    for member in staff:
        member.join(seconds + 120)
    return results, [task for member in staff for task in member.acknowledged], due


def report(results: dict) -> int:
    """The table per operation (errors counted after retries); returns the errors in total."""
    print(f"  {'operation':<9} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'retries':>8}")
    errors = 0
    for operation in OPERATIONS:
        times = results["times"][operation]
        if not times:
            continue
        p50, p95 = stats(times)
        failed = results["errors"][operation]
        errors += len(failed)
        kinds = ", ".join(f"{kind} x{failed.count(kind)}" for kind in sorted(set(failed)))
        print(f"  {operation:<9} {len(times):>7} {p50:>8.1f} {p95:>8.1f} {len(failed):>7} "
              f"{results['retries'][operation]:>8}  {kinds}")
    print(f"  requests sent to the next instance (connection refused, or a GET cut off): {results['failovers']}")
    print(f"  POSTs repeated with their Idempotency-Key (cut off in flight, or still in progress): "
          f"{sum(results['retries'].values())}")
    return errors


def wait_for_timers(url: str, timers: int, patience: float) -> None:
    """Until every planted instance has fired (or ``patience`` seconds pass)."""
    engine = create_engine(url)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            left = connection.execute(text("SELECT count(*) FROM process_instance WHERE process_id = 'cluster_timer' "
                                           "AND status = 'waiting'")).scalar()
        if not left:
            break
        time.sleep(1)
    engine.dispose()


def check(url: str, acknowledged: list[int], timers: int, due: datetime, logs: Path, starts: int) -> None:
    """What the database holds after the run, against what the client was told (``starts``: the
    starts answered with success; each must be one instance, however often it was repeated)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        value = lambda sql, **params: connection.execute(text(sql), params).scalar()  # noqa: E731
        completed = value("SELECT count(*) FROM human_task WHERE status = 'completed'")
        events = value("SELECT count(*) FROM instance_event WHERE kind = 'task_completed'")
        instances = value("SELECT count(*) FROM process_instance WHERE process_id = 'load_task'")
        missing = 0
        for chunk in range(0, len(acknowledged), 1000):
            ids = acknowledged[chunk:chunk + 1000]
            missing += len(ids) - value("SELECT count(*) FROM human_task WHERE status = 'completed' AND id = ANY(:ids)",
                                        ids=ids)
        fired = dict(connection.execute(text(
            "SELECT i.id, count(e.id) FROM process_instance i LEFT JOIN instance_event e ON e.instance_id = i.id "
            "AND e.kind = 'timer_fired' WHERE i.process_id = 'cluster_timer' GROUP BY i.id")).all())
        last = value("SELECT max(e.at) FROM instance_event e JOIN process_instance i ON i.id = e.instance_id "
                     "WHERE i.process_id = 'cluster_timer' AND e.kind = 'timer_fired'")
        errored = value("SELECT count(*) FROM process_instance WHERE status = 'error'")
        leased = value("SELECT count(*) FROM process_instance WHERE lease_owner IS NOT NULL")
    engine.dispose()
    takeovers = sum(len(re.findall(r"lease take-over", path.read_text(errors="replace")))
                    for path in logs.glob("worker-*.log"))
    never = sum(1 for count in fired.values() if count == 0)
    twice = sum(1 for count in fired.values() if count > 1)
    print(f"  completions: acknowledged {len(acknowledged)}, completed tasks {completed}, audit events {events}, "
          f"acknowledged but missing {missing}")
    print(f"  starts: acknowledged {starts}, instances {instances} (a repeated start made none of its own)")
    print(f"  timers: {len(fired)} planted (asked {timers}), fired once {len(fired) - never - twice}, "
          f"never {never}, more than once {twice}")
    if last is not None:
        print(f"  last timer fired {(last - due).total_seconds():.1f} s after the due moment (target <= 60 s)")
    print(f"  lease take-overs logged by the workers: {takeovers}; leases left held: {leased}; "
          f"instances in error: {errored}")


def scrape(port: int) -> None:
    """A few lines of one web instance's /metrics (its gunicorn processes added up)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/metrics")
    lines = connection.getresponse().read().decode().splitlines()
    requests = sum(float(line.rsplit(" ", 1)[1]) for line in lines
                   if line.startswith("dangjian_http_request_seconds_count{"))
    print(f"  /metrics of instance 0: {requests:.0f} requests timed; " + "; ".join(
        line for line in lines if line.startswith(("dangjian_outbox_backlog ", "dangjian_timers_due ",
                                                   "dangjian_task_completions_total ",
                                                   "dangjian_idempotent_replays_total "))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", required=True, help="a PostgreSQL URL (a database of its own is created)")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--due-after", type=float, default=20)
    parser.add_argument("--lease", type=float, default=10, help="the workers' lease in seconds")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes per instance")
    args = parser.parse_args()
    passwords.SCRYPT_N = 2**8
    url = fresh_postgres(args.pg, "dangjian_cluster_bench")
    cluster = Cluster(url, args.users, args.lease, args.web_workers)
    try:
        print(f"cluster: 3 web instances (ports {cluster.ports}, {args.web_workers} workers x 4 threads each), "
              f"3 workers (lease {args.lease:.0f} s), {args.users} staff for {args.seconds:.0f} s, PostgreSQL")
        results, acknowledged, due = run(cluster, args.seconds, args.timers, args.due_after)
        errors = report(results)
        wait_for_timers(url, args.timers, patience=120)
        check(url, acknowledged, args.timers, due, cluster.folder,
              len(results["times"]["start"]) - len(results["errors"]["start"]))
        scrape(cluster.ports[0])
        print(f"  errors in total: {errors} (target 0)")
    finally:
        cluster.stop()
        cluster.engine.db.dispose()


if __name__ == "__main__":
    main()
