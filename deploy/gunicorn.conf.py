"""gunicorn settings for the web application (``gunicorn -c deploy/gunicorn.conf.py 'web:create_app()'``).

Threads in a few worker processes: a request mostly waits on the database or an evaluator
process, and the engine's caches (parsed diagrams, actors) are shared by a process's threads.
Everything can be overridden by the environment variables named below.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

bind = os.environ.get("DANGJIAN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 5  # seconds an idle keep-alive connection stays open (nginx reuses them)
timeout = 60  # a worker silent this long is restarted (scripts are limited to seconds)
graceful_timeout = 30
max_requests = 5000  # recycle workers now and then, with jitter so they do not restart together
max_requests_jitter = 500
accesslog = os.environ.get("WEB_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus multi-process mode: each worker process writes its figures to files here and /metrics
# adds them up. Set before the application (and prometheus_client) is imported in the workers.
# A `dangjian worker` on the same host may share the folder: its figures then show on /metrics too.
METRICS_DIR = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"dangjian-metrics-{bind.rsplit(':', 1)[-1]}")))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server: Arbiter) -> None:
    """Create the metrics folder and drop the files of processes that no longer run."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for path in METRICS_DIR.glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)


def child_exit(server: Arbiter, worker: Worker) -> None:
    """A gunicorn worker ended: its live gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
# gunicorn's control socket defaults to ~/.gunicorn/gunicorn.ctl: a second server on the host would take
# it over and remove it on exit. Each server gets its own, next to its instance folder (set
# GUNICORN_CONTROL_SOCKET to choose another path); nothing here uses it otherwise.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or os.path.join(
    os.environ.get("INSTANCE_PATH") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                    "instance"),
    f"gunicorn-{bind.replace(':', '-').replace('/', '_')}.ctl")
