"""What an operator watches: request ids, structured logs, ``/healthz``, ``/readyz``, ``/metrics``.

- Every request gets an id (the proxy's ``X-Request-ID`` when it sends a sane one, else a new one),
  returned in the response header and added to every log line written while it is served.
- ``LOG_FORMAT=json`` writes one JSON object per log line (time, level, logger, message, request
  id); the default stays the readable text format.
- ``/healthz``: the process answers. ``/readyz``: the database answers and its schema is at the
  latest migration (503 with the reason otherwise): a load balancer sends traffic only then.
- ``/metrics``: Prometheus text format: request latency by route, completions, timer lag, lease
  take-overs, evaluator use, summed over gunicorn's processes (multi-process mode when
  ``PROMETHEUS_MULTIPROC_DIR`` is set), plus the job backlog read from the database.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from flask import Flask
from flask import Response
from flask import g
from flask import request
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import REGISTRY
from prometheus_client import CollectorRegistry
from prometheus_client import generate_latest
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from engine import metrics

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage(), "pid": record.process,
                 "request_id": getattr(record, "request_id", REQUEST_ID.get())}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """Add the request id to the root logger's records; ``json`` switches its handlers to JSON lines
    (from level INFO, for a collector; readable text keeps WARNING, as without this module)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO if log_format == "json" else logging.WARNING,
                            format="%(levelname)s %(name)s [%(request_id)s]: %(message)s")
    for handler in root.handlers:
        if not any(isinstance(item, RequestIdFilter) for item in handler.filters):
            handler.addFilter(RequestIdFilter())
        if log_format == "json":
            handler.setFormatter(JsonFormatter())


class BacklogCollector(Collector):
    """The jobs waiting in the database, read at each scrape (the same for every process)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backlog = self.engine.backlog()
        yield GaugeMetricFamily("dangjian_outbox_backlog", "Outbox messages not yet delivered.",
                                value=backlog.outbox_pending)
        yield GaugeMetricFamily("dangjian_outbox_oldest_age_seconds", "Age of the oldest undelivered message.",
                                value=backlog.outbox_oldest_age_seconds)
        yield GaugeMetricFamily("dangjian_timers_due", "Timers due and not yet fired.", value=backlog.timers_due)


def scrape(engine: Any) -> bytes:
    """The metrics page: this host's processes' figures and the database's backlog."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    backlog = CollectorRegistry()
    backlog.register(BacklogCollector(engine))
    return text + generate_latest(backlog)


def init_app(app: Flask, engine: Any) -> None:
    """Request ids, timing and the three operator routes."""
    configure_logging(app.config.get("LOG_FORMAT", "text"))

    @app.before_request
    def start_request() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        g.request_token = REQUEST_ID.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
            metrics.REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started)
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        return response

    @app.teardown_request
    def forget_request(_error: BaseException | None) -> None:
        token = g.pop("request_token", None)
        if token is not None:
            REQUEST_ID.reset(token)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, Any], int]:
        problems = engine.readiness()
        return ({"status": "ready"}, 200) if not problems else ({"status": "unavailable", "problems": problems}, 503)

    @app.get("/metrics")
    def metrics_page() -> Response:
        return Response(scrape(engine), mimetype=CONTENT_TYPE_LATEST)
