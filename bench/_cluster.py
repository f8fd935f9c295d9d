"""The simulated cluster of bench/cluster_bench.py: one PostgreSQL database, three gunicorn
instances and three ``dangjian worker`` processes, each a process group that can be killed and
restarted, and timers planted in bulk."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import BENCH_STARTS  # noqa: E402
from _support import free_port  # noqa: E402
from _support import wait_until_up  # noqa: E402
from load_bench import NOTE_FORM  # noqa: E402
from load_bench import task_diagram  # noqa: E402

from engine import Engine  # noqa: E402
from engine import EngineSettings  # noqa: E402
from engine.persistence.schema import upgrade  # noqa: E402
from party import PARTY  # noqa: E402
from tests.bpmn_builder import Process  # noqa: E402

BIN = Path(sys.executable).parent


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
