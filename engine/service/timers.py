"""Use cases over many instances, one instance per transaction: fire due timers, compact stored states."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from engine import clock
from engine import metrics
from engine.persistence import jobs
from engine.persistence import records
from engine.service.actors import SYSTEM
from engine.service.base import Service
from engine.service.base import worker_identity
from engine.service.runs import COMPACTED
from engine.service.runs import Change

log = logging.getLogger(__name__)


class TimerService(Service):
    def fire_due_timers(self, limit: int = 100, owner: str | None = None, stop: threading.Event | None = None) -> int:
        """Advance waiting instances whose next timer is due, at most ``limit``; returns how many.

        The worker ``owner`` claims bounded batches (``job_batch``) with a lease
        (:func:`engine.persistence.jobs.claim_due_instances`: ``FOR UPDATE SKIP LOCKED`` on
        PostgreSQL), then fires each instance in a transaction of its own under the per-instance
        lock, re-checking that it is still due and still its own; that transaction clears the
        lease. A timer whose worker died is taken over once its lease has run out. After
        downtime, every overdue timer fires now, most overdue first. An instance that fails at any
        point, saving included, is put in error with what failed, in a transaction of its own, and
        the pass goes on with the others. ``stop`` set: the current instance is finished, the rest
        of the batch given back.
        """
        owner = owner or worker_identity()
        advanced = 0
        while advanced < limit and not (stop is not None and stop.is_set()):
            with self.db.write() as session:
                claims = jobs.claim_due_instances(session, clock.now(), owner, self.settings.lease_seconds,
                                                  min(self.settings.job_batch, limit - advanced))
            if not claims:
                break
            for position, claim in enumerate(claims):
                if stop is not None and stop.is_set():
                    self._give_back([other.instance_id for other in claims[position:]], owner)
                    break
                advanced += self._fire_claimed(claim, owner)
        return advanced

    def _fire_claimed(self, claim: jobs.TimerClaim, owner: str) -> int:
        """Fire one claimed instance; 1 when it advanced."""
        if claim.taken_over_from:
            metrics.LEASE_TAKEOVERS.labels("timer").inc()
            log.warning("lease take-over: timer of instance %s from %s", claim.instance_id, claim.taken_over_from)
        try:
            with self.db.write() as session:
                jobs.lock_instance_steps(session, claim.instance_id)
                instance = records.lock_instance(session, claim.instance_id)
                if not jobs.holds_instance(session, claim.instance_id, owner):
                    return 0  # taken over meanwhile (this worker stalled past its lease): the other fires it
                jobs.release_instance(session, claim.instance_id, owner)
                if instance is None or instance.status != "waiting" or not self._still_due(session, claim):
                    return 0  # a user's step moved it on since the claim
                self._fire(session, instance)
        except Exception as error:
            log.exception("timers of instance %s failed; it is put in error", claim.instance_id)
            self.put_in_error(claim.instance_id, error)
            return 0
        metrics.TIMERS_FIRED.inc()
        metrics.TIMER_LAG.observe(max(0.0, (clock.now() - claim.due).total_seconds()))
        return 1

    def _fire(self, session: Any, instance: records.InstanceRecord) -> None:
        run = self.runs.load(session, instance)
        due = run.due_timer_names(clock.now())
        since = time.time()
        run.advance()
        change = Change(SYSTEM)
        change.add("timer_fired", reason=", ".join(due) or None)
        self.runs.save(session, instance, run, change, since=since)

    @staticmethod
    def _still_due(session: Any, claim: jobs.TimerClaim) -> bool:
        due = jobs.next_timer_of(session, claim.instance_id)
        return due is not None and due <= clock.now()

    def _give_back(self, instance_ids: list[int], owner: str) -> None:
        """Clear this worker's leases on claimed instances it will not fire (it is stopping)."""
        with self.db.write() as session:
            for instance_id in instance_ids:
                jobs.release_instance(session, instance_id, owner)

    def resolve_stalled(self) -> tuple[int, int]:
        """Find waiting instances that nothing can move on (no open task, timer or message) and
        settle each in its own transaction; returns (advanced, put in error).

        Finished children of a loop or multi-instance task that were never merged (states saved
        before the specs were wired in every process) are merged and the instance advances, as
        the library would have done. An instance still stuck after that is put in error with the
        element it stands in (``流程无法继续：…``), so that it shows under 运行异常 and an
        administrator can act. The worker runs this every pass; ``dangjian db upgrade`` too.
        """
        with self.db.read() as session:
            candidates = records.idle_instance_ids(session)
        advanced = failed = 0
        for instance_id in candidates:
            try:
                with self.db.write() as session:
                    jobs.lock_instance_steps(session, instance_id)
                    instance = records.lock_instance(session, instance_id)
                    if instance is None or instance.status != "waiting" or records.awaits_anything(
                            instance.current_steps):
                        continue  # moved on since the candidates were read
                    status = self._settle(session, instance)
                advanced += status == "advanced"
                failed += status == "error"
            except Exception as error:
                log.exception("stalled instance %s could not be settled; it is put in error", instance_id)
                self.put_in_error(instance_id, error)
                failed += 1
        return advanced, failed

    def _settle(self, session: Any, instance: records.InstanceRecord) -> str | None:
        """Merge unmerged loop children and advance, or put a stalled run in error; what happened
        ("advanced", "error"), or None when the run was not stalled after all (nothing written)."""
        run = self.runs.load(session, instance)
        since = time.time()
        merged = run.merge_finished_loop_children()
        if merged:
            run.advance()
        stalled = run.snapshot().status == "error"
        if not merged and not stalled:
            return None
        change = Change(SYSTEM)
        if merged:
            change.add("repaired", reason=f"已合并 {merged} 项此前未汇总的已完成子任务")
        self.runs.save(session, instance, run, change, since=since)
        return "error" if stalled else "advanced"

    def put_in_error(self, instance_id: int, error: BaseException, element: str = "") -> None:
        """Record on the instance that the engine failed on it (state untouched), in a new transaction.

        The instance leaves the worker's queue and shows in error, with the message, until an
        administrator retries it.
        """
        message = f"{type(error).__name__}: {error}"[:2000]
        with self.db.write() as session:
            jobs.lock_instance_steps(session, instance_id)
            instance = records.lock_instance(session, instance_id)
            if instance is None or instance.status in ("completed", "terminated"):
                return
            change = Change(SYSTEM)
            change.add("error", reason=message, bpmn_id=element or None)
            records.write_step(session, instance, {"status": "error", "error_element": element or "",
                                                   "error_message": message, "next_timer_due": None,
                                                   "lease_owner": None, "lease_until": None,
                                                   "updated_at": clock.now()}, events=change.rows(instance.id))

    def compact_stored(self) -> int:
        """Compact every instance stored before compaction existed; returns how many were compacted.

        Each instance is loaded, its finished parts moved to the archive and saved again, with its
        status and tasks as they were; nothing runs. The upgrade (``dangjian db upgrade``) calls
        this, and a second call finds nothing to do. An instance that cannot be loaded is logged
        and left as it is.
        """
        if not self.settings.compact_state:
            return 0
        compacted = 0
        skip: set[int] = set()
        while True:
            with self.db.write() as session:
                instance = records.uncompacted_instance(session, COMPACTED, exclude=skip)
                if instance is None:
                    return compacted
                try:
                    run = self.runs.load(session, instance)
                except Exception:  # one unreadable state must not stop the upgrade
                    log.exception("state of instance %s cannot be loaded; left uncompacted", instance.id)
                    skip.add(instance.id)
                    continue
                self.runs.save(session, instance, run, Change(SYSTEM), status=instance.status)
                compacted += 1
