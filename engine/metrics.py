"""The figures an operator watches, as Prometheus metrics (``prometheus_client``).

Under gunicorn every worker process writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``
(set by ``deploy/gunicorn.conf.py`` before anything imports this module) and ``/metrics`` adds them
up; without that variable the values live in this process (tests, ``flask run``). The backlog of
jobs (outbox, due timers) is read from the database when ``/metrics`` is scraped, since it is the
same for every process (``engine.service.jobs``).
"""

from __future__ import annotations

import os
from pathlib import Path

# Multi-process mode writes a file per process and metric from the first metric created on: the
# folder must exist before (any command may import this, a web host's `dangjian db upgrade` too).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram

# Seconds; a step is tens of milliseconds, a page a little more, a slow report seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds from a timer's due time to its firing: a worker wakes within the polling interval.
LAG_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 86400.0)

REQUEST_SECONDS = Histogram("dangjian_http_request_seconds", "Time to answer a request, by route.",
                            ["route", "method", "status"], buckets=LATENCY_BUCKETS)
COMPLETIONS = Counter("dangjian_task_completions_total", "User tasks completed.")
IDEMPOTENT_REPLAYS = Counter("dangjian_idempotent_replays_total",
                             "API writes repeated with their Idempotency-Key and answered from the stored outcome.")
TIMERS_FIRED = Counter("dangjian_timers_fired_total", "Instances advanced by a due timer.")
TIMER_LAG = Histogram("dangjian_timer_lag_seconds", "From a timer's due time to its firing.", buckets=LAG_BUCKETS)
LEASE_TAKEOVERS = Counter("dangjian_lease_takeovers_total",
                          "Jobs taken over from a worker whose lease ran out.", ["kind"])
OUTBOX_DELIVERED = Counter("dangjian_outbox_delivered_total", "Outbox messages delivered.", ["channel"])
OUTBOX_FAILURES = Counter("dangjian_outbox_failures_total", "Failed outbox deliveries (retried later).",
                          ["channel"])
EVALUATORS_BUSY = Gauge("dangjian_evaluators_busy", "Evaluator processes running a script now.",
                        multiprocess_mode="livesum")
EVALUATORS_STARTED = Gauge("dangjian_evaluators", "Evaluator processes alive (busy or idle).",
                           multiprocess_mode="livesum")
EVALUATIONS = Counter("dangjian_evaluations_total", "Scripts and expressions run in an evaluator process.")
