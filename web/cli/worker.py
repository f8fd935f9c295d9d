"""The background worker."""

from __future__ import annotations

import logging
import os

import click

from web.cli.common import make_engine
from web.cli.common import reports_errors


@click.command()
@click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
@click.option("--interval", type=float, envvar="WORKER_INTERVAL", default=30.0, show_default=True,
              help="Longest idle sleep in seconds (env WORKER_INTERVAL); NOTIFY and due timers wake it sooner.")
@click.option("--lease", type=float, envvar="WORKER_LEASE_SECONDS", default=60.0, show_default=True,
              help="Seconds a claimed job stays this worker's after its last heartbeat.")
@click.option("--batch", type=click.IntRange(1, 1000), envvar="WORKER_BATCH", default=20, show_default=True,
              help="Jobs claimed at once (the others stay for other workers).")
@click.option("--metrics-port", type=int, envvar="WORKER_METRICS_PORT", default=0,
              help="Serve this worker's Prometheus metrics on this port (0: not served).")
@reports_errors
def worker(once: bool, interval: float, lease: float, batch: int, metrics_port: int) -> None:
    """Fire due timers, send deadline notices and deliver the outbox; then wait for more work.

    Runs beside the web application as a process of its own (``bin/run`` and
    ``deploy/dangjian-worker.service`` start it), any number of them on any hosts against one
    PostgreSQL. SIGTERM or SIGINT: the current job is finished, then it exits.
    """
    import signal
    import threading
    from dataclasses import replace

    from engine.worker import run_worker
    from engine.worker import work_once

    engine = make_engine()
    engine.settings = replace(engine.settings, lease_seconds=lease, job_batch=batch)
    logging.getLogger("engine").setLevel(logging.INFO)
    if once:
        click.echo(f"已推进 {work_once(engine)} 个流程实例")
        return
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=os.environ.get("WORKER_METRICS_ADDR", "127.0.0.1"))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_worker(engine, interval, stop)
