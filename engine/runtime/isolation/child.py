"""The child side of the evaluation pool: runs sandboxed code under operating-system limits.

Started by :mod:`engine.runtime.isolation.process` as ``python -m engine.runtime.isolation.child
MEMORY_BYTES``. It caps its own address space (``RLIMIT_AS``), then serves requests read from
stdin and answers on stdout, one frame each (:mod:`engine.runtime.isolation.frames`). Before each
request it arms a profiling timer (``ITIMER_PROF``) for the request's budget plus
:data:`CPU_GRACE` seconds of the process's CPU time: the sandbox's own trace stops a script that
loops in Python at the budget, and if one C-level operation (a huge multiplication, a giant
string) overruns, the kernel's SIGPROF ends the process (no handler is installed: its default
action terminates). The soft ``RLIMIT_CPU``, whole seconds only, stays as a second line one
second further. The parent sees the process die and starts another; it also kills a child that
overruns its wall-clock allowance. Helper functions run in the parent: a call here sends a
``call`` frame and waits for the ``reply``."""

from __future__ import annotations

import os
import resource
import signal
import sys
from typing import Any
from typing import BinaryIO

from engine.runtime.isolation.frames import encode
from engine.runtime.isolation.frames import read_frame
from engine.runtime.sandbox import SANDBOX_FILENAME
from engine.runtime.sandbox import SandboxEnvironment

CPU_GRACE = 0.3  # seconds of CPU past the budget before SIGPROF ends a C-level operation


class HelperFailed(Exception):
    """A helper function failed in the parent (the parent knows the real error)."""


class _Channel:
    """The pipe to the parent; helper calls go through it while a request runs."""

    def __init__(self, incoming: BinaryIO, outgoing: BinaryIO) -> None:
        self.incoming, self.outgoing = incoming, outgoing

    def send(self, message: dict[str, Any]) -> None:
        self.outgoing.write(encode(message))
        self.outgoing.flush()

    def helper(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.send({"op": "call", "name": name, "args": list(args), "kwargs": kwargs})
            reply = read_frame(self.incoming)
            if "error" in reply:
                raise HelperFailed(reply["error"])
            return reply.get("value")

        call.__name__ = name
        return call


def _limit_cpu(seconds: float) -> None:
    """SIGPROF once this request used ``seconds`` + CPU_GRACE of CPU; a soft RLIMIT_CPU one second
    past that (only the soft limit moves: the hard one cannot rise)."""
    signal.setitimer(signal.ITIMER_PROF, seconds + CPU_GRACE)
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime + seconds) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _serve_one(channel: _Channel, request: dict[str, Any]) -> dict[str, Any]:
    helpers = {name: channel.helper(name) for name in request.get("helpers", ())}
    environment = SandboxEnvironment(helpers, float(request.get("cpu", 1.0)), bounded=False)
    context = request.get("context") or {}
    _limit_cpu(float(request.get("cpu", 1.0)))
    try:
        if request["mode"] == "eval":
            value = environment.evaluate(request["source"], context, request.get("external") or None)
            encode({"value": value})  # fails here, not half-way through the answer, on a strange result
            return {"op": "done", "value": value}
        environment.execute(request["source"], context, request.get("external") or None)
        return {"op": "done", "context": context}
    except BaseException as error:  # noqa: BLE001 - every failure of the script goes back to the parent
        return {"op": "failed", "type": type(error).__name__, "message": str(error)[:2000],
                "line": _line_of(error)}
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)  # waiting for the next request costs nothing


def _line_of(error: BaseException) -> int:
    if isinstance(error, SyntaxError):
        return error.lineno or 0
    line, trace = 0, error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == SANDBOX_FILENAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def main() -> None:
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else 512 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)  # exceeding the soft CPU limit ends the process
    signal.signal(signal.SIGPROF, signal.SIG_DFL)  # so does the profiling timer of a request
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when this process ends
    # The protocol owns the real stdout; anything else printed goes to stderr.
    incoming = os.fdopen(os.dup(0), "rb", buffering=0)
    outgoing = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    channel = _Channel(incoming, outgoing)

    while True:
        try:
            request = read_frame(incoming)
        except EOFError:
            return
        try:
            answer = _serve_one(channel, request)
            channel.send(answer)
        except MemoryError:
            os._exit(3)  # nothing sane can be sent now: the parent sees the process end
        except (TypeError, ValueError) as error:  # an answer the pipe cannot carry
            answer = {"op": "failed", "type": type(error).__name__, "message": str(error)[:2000], "line": 0}
            channel.send(answer)
        if answer.get("type") == "MemoryError":
            return  # a fresh process serves the next request, not one whose heap just overflowed


if __name__ == "__main__":
    main()
