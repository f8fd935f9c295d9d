"""Jobs shared by workers on several hosts: leases taken over after a worker dies, one stepper per
instance, an outbox delivered exactly once across a kill -9, wake-ups, /readyz and /metrics."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from bench._support import free_port
from bench._support import wait_until_up
from engine import Engine
from engine import EngineSettings
from engine import clock
from engine import metrics
from engine.persistence import jobs
from engine.persistence.bookkeeping import OutboxMessage
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Notification
from engine.persistence.models import ProcessInstance
from engine.service.jobs import queue_notice
from party import PARTY

ROOT = Path(__file__).resolve().parent.parent

# A worker process that claims jobs with a short lease and SIGKILLs itself at a chosen point.
VICTIM = """
import os, signal, sys
from datetime import datetime
from engine import Engine, EngineSettings, clock
from party import PARTY
url, now, job = sys.argv[1], sys.argv[2], sys.argv[3]
clock.travel_to(datetime.fromisoformat(now))
engine = Engine(EngineSettings(database_url=url, lease_seconds=4, workflows_dir={workflows!r},
                               forms_dir={forms!r}), domain=PARTY)
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if job == "timer":  # killed inside the transaction that fires the claimed timer
    engine.services.timers._fire = die
    engine.fire_due_timers(owner="victim")
else:  # killed after the receiver stored the notice, before the outbox row is marked delivered
    receive = engine.services.jobs._receive_notification
    def send_then_die(claim):
        receive(claim)
        die()
    engine.services.jobs.outbox_channels = lambda: {{"notification": send_then_die}}
    engine.deliver_outbox(owner="victim")
"""


def run_victim(database_url: str, job: str) -> int:
    script = VICTIM.format(workflows=str(ROOT / "workflows"), forms=str(ROOT / "forms" / "schemas"))
    finished = subprocess.run([sys.executable, "-c", script, database_url, clock.now().isoformat(), job],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert finished.returncode == -signal.SIGKILL, finished.stderr
    return finished.returncode


def timer_events(engine: Engine, instance_id: int) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).where(InstanceEvent.instance_id == instance_id,
                                                         InstanceEvent.kind == "timer_fired"))


def takeovers(kind: str) -> float:
    return metrics.LEASE_TAKEOVERS.labels(kind)._value.get()


def test_a_timer_whose_worker_was_killed_is_taken_over_after_the_lease(deployed, database_url):
    instance_id = deployed.start("timers", "city", {"deadline": "2008-04-30T00:00:00+08:00"})
    clock.advance(timedelta(days=7, seconds=1))
    run_victim(database_url, "timer")  # claimed the timer, then died by SIGKILL while firing it
    with deployed.db.read() as session:
        row = session.execute(select(ProcessInstance.lease_owner, ProcessInstance.lease_until)
                              .where(ProcessInstance.id == instance_id)).one()
    assert row.lease_owner == "victim" and timer_events(deployed, instance_id) == 0
    if (row.lease_until - jobs.wall_now()).total_seconds() > 1:  # not on a machine so loaded it ran out
        assert deployed.fire_due_timers(owner="survivor") == 0  # the lease still runs: nobody else fires it
    time.sleep(max(0.0, (row.lease_until - jobs.wall_now()).total_seconds()) + 0.1)
    before = takeovers("timer")
    assert deployed.fire_due_timers(owner="survivor") == 1
    assert takeovers("timer") == before + 1
    assert timer_events(deployed, instance_id) == 1
    with deployed.db.read() as session:
        assert session.scalar(select(ProcessInstance.lease_owner).where(ProcessInstance.id == instance_id)) is None


def test_an_expired_lease_row_is_taken_over_and_a_live_one_is_not(deployed):
    ids = [deployed.start("timers", "city", {"deadline": "2008-04-30T00:00:00+08:00"}) for _ in range(2)]
    clock.advance(timedelta(days=7, seconds=1))
    with deployed.db.write() as session:
        claims = jobs.claim_due_instances(session, clock.now(), "dead-host:1:aaaaaa", 60, batch=10)
        assert [claim.instance_id for claim in claims] == ids
        session.execute(update(ProcessInstance).where(ProcessInstance.id == ids[0])
                        .values(lease_until=jobs.wall_now() - timedelta(seconds=1)))
    assert deployed.fire_due_timers(owner="survivor") == 1
    assert [timer_events(deployed, instance_id) for instance_id in ids] == [1, 0]


def test_a_heartbeat_keeps_the_lease_and_claims_are_bounded(deployed):
    engine = Engine(replace(deployed.settings, job_batch=3), domain=PARTY, database=deployed.db)
    for _ in range(5):
        engine.start("timers", "city", {"deadline": "2008-04-30T00:00:00+08:00"})
    clock.advance(timedelta(days=7, seconds=1))
    with engine.db.write() as session:
        claims = jobs.claim_due_instances(session, clock.now(), "w1", 1, batch=engine.settings.job_batch)
    assert len(claims) == 3  # the other two stay for other workers
    with engine.db.write() as session:
        assert [c.instance_id for c in jobs.claim_due_instances(session, clock.now(), "w2", 1, batch=3)] == [4, 5]
    time.sleep(0.6)
    assert engine.renew_leases("w1") == 3
    time.sleep(0.6)  # past the first leases, within w1's renewed one
    assert engine.fire_due_timers(owner="w3") == 2  # w2's, which no heartbeat renewed
    assert engine.fire_due_timers(owner="w1") == 3


def test_two_workers_racing_for_one_instance_never_both_step_it(deployed):
    ids = [deployed.start("timers", "city", {"deadline": "2009-01-01T00:00:00+08:00"}) for _ in range(3)]
    clock.advance(timedelta(days=7, seconds=1))
    workers = [Engine(deployed.settings, domain=PARTY) for _ in range(4)]
    barrier = threading.Barrier(len(workers))
    counts: list[int] = []

    def race(index: int, worker: Engine) -> None:
        barrier.wait()
        counts.append(worker.fire_due_timers(owner=f"host{index}"))

    threads = [threading.Thread(target=race, args=pair) for pair in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == len(ids)
    assert [timer_events(deployed, instance_id) for instance_id in ids] == [1, 1, 1]
    for worker in workers:
        worker.db.dispose()


def test_the_instance_lock_keeps_a_second_host_out(deployed, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite: the write transaction itself excludes every other writer")
    instance_id = deployed.start("timers", "city", {"deadline": "2009-01-01T00:00:00+08:00"})
    other = Engine(deployed.settings, domain=PARTY)
    try:
        with deployed.db.write() as session:
            jobs.lock_instance_steps(session, instance_id)
            with pytest.raises(OperationalError, match="lock timeout"), other.db.write() as second:
                second.execute(text("SET LOCAL lock_timeout = '200ms'"))
                jobs.lock_instance_steps(second, instance_id)
        with other.db.write() as second:  # released at the end of the first transaction
            jobs.lock_instance_steps(second, instance_id)
    finally:
        other.db.dispose()


def queue(engine: Engine, key: str = "overdue:task:1:app1") -> None:
    with engine.db.write() as session:
        queue_notice(session, key, username="app1", kind="overdue", instance_id=None, created_at=clock.now())


def notices(engine: Engine) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).select_from(Notification))


def test_an_outbox_message_is_delivered_exactly_once_across_a_kill_between_send_and_mark(org, database_url):
    queue(org)
    queue(org)  # the same cause queued twice is one message
    run_victim(database_url, "notice")  # stored by the receiver, killed before marking it delivered
    with org.db.read() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.delivered_at is None and message.lease_owner == "victim" and notices(org) == 1
    if (message.lease_until - jobs.wall_now()).total_seconds() > 1:
        assert org.deliver_outbox(owner="survivor") == 0  # the lease still runs
    time.sleep(max(0.0, (message.lease_until - jobs.wall_now()).total_seconds()) + 0.1)
    before = takeovers("outbox")
    assert org.deliver_outbox(owner="survivor") == 1  # handed over again: the receiver drops the repeat
    assert takeovers("outbox") == before + 1
    assert notices(org) == 1
    with org.db.read() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.delivered_at is not None and message.attempts == 2
    assert org.backlog().outbox_pending == 0


def test_a_failing_channel_is_retried_later_and_the_others_are_delivered(org, monkeypatch):
    queue(org, "a")
    queue(org, "b")

    def flaky(claim: jobs.MessageClaim) -> None:
        if claim.key == "a":
            raise ConnectionError("SMS gateway away")
        org.services.jobs._receive_notification(claim)

    monkeypatch.setattr(org.services.jobs, "outbox_channels", lambda: {"notification": flaky})
    assert org.deliver_outbox() == 1
    backlog = org.backlog()
    assert backlog.outbox_pending == 1 and backlog.outbox_oldest_age_seconds >= 0
    with org.db.read() as session:
        failed = session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == "a")).one()
    assert "SMS gateway away" in failed.last_error and failed.available_at > jobs.wall_now()
    assert org.deliver_outbox() == 0  # not before its retry time


def test_an_idle_worker_is_woken_by_notify_and_stops_on_sigterm(org, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "WORKER_INTERVAL": "60"}
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        while not any("started" in line for line in lines):  # the signal handlers are in place
            lines.append(worker.stdout.readline())
            assert lines[-1], "".join(lines)
        time.sleep(3)  # one pass done, now idle for up to 60 s
        started = time.monotonic()
        patience = 5 if database_url.startswith("postgresql") else 2
        queue(org)
        while notices(org) == 0 and time.monotonic() - started < patience:
            time.sleep(0.1)
        waited = time.monotonic() - started
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        output = "".join(lines) + output
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    if database_url.startswith("postgresql"):
        assert waited < 5, f"no NOTIFY wake-up ({waited:.1f} s)"
    else:
        assert notices(org) == 0  # SQLite: polling only, the interval has not passed yet


def test_readiness_names_a_database_behind_its_migrations(engine, tmp_path):
    assert engine.readiness() == []
    stale = Engine(EngineSettings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"), domain=PARTY)
    try:
        assert "dangjian db upgrade" in stale.readiness()[0]
    finally:
        stale.db.dispose()


def test_metrics_are_scraped_with_the_backlog_and_request_ids(engine):
    from web import create_app

    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test-secret"})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz", headers={"X-Request-ID": "probe-1"})
    assert ready.status_code == 200 and ready.json == {"status": "ready"}
    assert ready.headers["X-Request-ID"] == "probe-1"
    assert len(client.get("/healthz", headers={"X-Request-ID": "bad id;x"}).headers["X-Request-ID"]) == 32
    queue(engine)
    page = client.get("/metrics")
    assert page.status_code == 200 and page.mimetype == "text/plain"
    body = page.get_data(as_text=True)
    assert 'dangjian_http_request_seconds_count{method="GET",route="/readyz",status="200"}' in body
    for name in ("dangjian_outbox_backlog 1.0", "dangjian_outbox_oldest_age_seconds", "dangjian_timers_due 0.0",
                 "dangjian_task_completions_total", "dangjian_timer_lag_seconds_bucket",
                 "dangjian_evaluators_busy", "dangjian_evaluations_total"):
        assert name in body


def test_metrics_of_gunicorns_processes_are_added_up(engine, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the multi-process files do not depend on the database")
    port, folder = free_port(), tmp_path / "metrics"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "PYTHONPATH": str(ROOT),
           "DANGJIAN_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2", "WEB_THREADS": "2",
           "WEB_LOG_LEVEL": "warning", "WEB_ACCESS_LOG": "/dev/null", "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "deploy/gunicorn.conf.py",
                               "web:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        assert wait_until_up(port)
        for _ in range(20):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/readyz", headers={"Connection": "close"})
            assert connection.getresponse().status == 200
            connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/metrics")
        body = connection.getresponse().read().decode()
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    line = next(line for line in body.splitlines()
                if line.startswith('dangjian_http_request_seconds_count{method="GET",route="/readyz",status="200"}'))
    assert float(line.rsplit(" ", 1)[1]) == 20  # whichever process answered each
    assert len({path.stem.rsplit("_", 1)[-1] for path in folder.glob("*.db")}) >= 2  # both workers write
