"""A small pool of evaluator processes that run diagram scripts under operating-system limits.

Guards inside the server process cannot stop a single C-level operation: a padded string of
gigabytes, a multiplication of huge integers, a structure printed a trillion times over. Each
script therefore runs in a child process (:mod:`engine.runtime.isolation.child`) whose address space
and CPU time the kernel caps. The server thread only waits on a pipe, so other requests and the
database go on meanwhile. A child that dies or overruns its wall-clock allowance is killed and
replaced; the script fails with a readable message and the instance goes to error.

Helper functions (they read the database in the use case's transaction) stay in the server: the
child calls them through the pipe. When a helper refuses (``refuse(...)``), the child's script
stops and the refusal is raised here, as if the script had run in process.

Children start lazily, at most ``size`` of them, each serving one evaluation at a time; they get
no environment variables beyond what Python needs, so no database password reaches them.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from engine import metrics
from engine.runtime.isolation.frames import encode
from engine.runtime.isolation.process import DEFAULT_MEMORY_BYTES
from engine.runtime.isolation.process import EvaluatorProcess
from engine.runtime.sandbox import EvaluationFailed

DEFAULT_POOL_SIZE = 4
# Wall-clock seconds past the CPU budget before the parent kills a child that has not answered: the
# child's own SIGPROF ends a C-level overrun 0.3 s of CPU past the budget; this covers a busy machine.
WALL_GRACE = 0.6


class EvaluatorPool:
    """At most ``size`` evaluator processes, started on demand, each lent to one evaluation at a time."""

    def __init__(self, size: int = DEFAULT_POOL_SIZE, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.size, self.memory_bytes = size, memory_bytes
        self._idle: list[EvaluatorProcess] = []
        self._count = 0
        self._available = threading.Condition()
        self._pid = os.getpid()

    def _take(self) -> EvaluatorProcess:
        with self._available:
            if self._pid != os.getpid():  # forked (a server worker): the parent's children are not ours
                self._idle, self._count, self._pid = [], 0, os.getpid()
            while not self._idle and self._count >= self.size:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        metrics.EVALUATORS_STARTED.inc()
        try:
            return EvaluatorProcess(self.memory_bytes)
        except BaseException:
            self._drop()
            raise

    def _give_back(self, evaluator: EvaluatorProcess) -> None:
        with self._available:
            self._idle.append(evaluator)
            self._available.notify()

    def _drop(self) -> None:
        metrics.EVALUATORS_STARTED.dec()
        with self._available:
            self._count -= 1
            self._available.notify()

    def run(self, request: dict[str, Any], helpers: Mapping[str, Callable[..., Any]],
            cpu_seconds: float) -> dict[str, Any]:
        """Run one request (see :mod:`engine.runtime.isolation.child`); its ``done`` answer.

        :raises EvaluationFailed: the script failed (its own error, or a limit it hit at a bytecode).
        :raises EvaluatorDied: the child was stopped by a limit inside one C-level operation.
        Any exception a helper raised (a refusal) is raised again as it was.
        """
        evaluator = self._take()
        healthy = False
        metrics.EVALUATIONS.inc()
        metrics.EVALUATORS_BUSY.inc()
        try:
            answer = self._exchange(evaluator, {**request, "helpers": sorted(helpers), "cpu": cpu_seconds},
                                    helpers, wall_seconds=cpu_seconds + WALL_GRACE)
            healthy = True
            return answer
        finally:
            metrics.EVALUATORS_BUSY.dec()
            if healthy and evaluator.alive():
                self._give_back(evaluator)
            else:
                evaluator.kill()
                self._drop()
                self._replace_soon()

    def _replace_soon(self) -> None:
        """Start a child in the background for the one just ended, so the next evaluation's time limit
        is not spent on starting Python (a second under load)."""
        with self._available:
            if self._count >= self.size or self._pid != os.getpid():
                return
            self._count += 1

        def start() -> None:
            try:
                evaluator = EvaluatorProcess(self.memory_bytes)
            except BaseException:  # noqa: BLE001 - the next evaluation starts one itself
                self._drop()
                return
            self._give_back(evaluator)

        threading.Thread(target=start, name="evaluator-start", daemon=True).start()

    @staticmethod
    def _exchange(evaluator: EvaluatorProcess, request: dict[str, Any], helpers: Mapping[str, Callable[..., Any]],
                  wall_seconds: float) -> dict[str, Any]:
        evaluator.send({"op": "run", **request})
        helper_error: BaseException | None = None
        while True:
            message = evaluator.receive(wall_seconds)
            if message.get("op") == "call":
                try:
                    value = helpers[message["name"]](*message.get("args", []), **message.get("kwargs", {}))
                    encode({"value": value})  # a result the pipe cannot carry fails here, in the server
                    reply = {"op": "reply", "value": value}
                except Exception as error:  # noqa: BLE001 - the script stops; the error is raised below
                    helper_error = error
                    reply = {"op": "reply", "error": str(error)}
                evaluator.send(reply)
                continue
            if helper_error is not None:
                raise helper_error
            if message.get("op") == "failed":
                raise EvaluationFailed(message.get("type", "Error"), message.get("message", ""),
                                       int(message.get("line") or 0))
            return message

    def close(self) -> None:
        with self._available:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        metrics.EVALUATORS_STARTED.dec(len(idle))
        for evaluator in idle:
            evaluator.kill()


_POOL: EvaluatorPool | None = None
_POOL_LOCK = threading.Lock()


def shared_pool() -> EvaluatorPool:
    """The process's pool, created on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = EvaluatorPool()
            atexit.register(_POOL.close)
        return _POOL
