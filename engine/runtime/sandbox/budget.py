"""The CPU budget of one evaluation, enforced by a trace function on the sandbox's own frames."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import CodeType
from typing import Any

from engine.runtime.sandbox.errors import ScriptTimeout
from engine.runtime.sandbox.policy import SANDBOX_FILENAME

DEFAULT_CPU_SECONDS = 1.0

_CURRENT = threading.local()  # the budget of the evaluation running in this thread, if any


def charge() -> None:
    """Check the running evaluation's CPU budget from inside a guard (an expensive step counts at once)."""
    budget = getattr(_CURRENT, "budget", None)
    if budget is not None:
        budget.check()


class _CpuBudget:
    """A trace function that raises ScriptTimeout once the thread used ``seconds`` of CPU."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.thread_time() + seconds
        self.seconds = seconds
        self.events = 0

    def on_call(self, frame: Any, event: str, arg: Any) -> Callable[..., Any] | None:
        # Only sandboxed frames are traced; library frames run at full speed.
        if frame.f_code.co_filename != SANDBOX_FILENAME:
            return None
        # Opcode events, not line events: `while True: pass` jumps without ever starting a line.
        frame.f_trace_lines = False
        frame.f_trace_opcodes = True
        self.check()
        return self.on_event

    def on_event(self, frame: Any, event: str, arg: Any) -> Callable[..., Any]:
        self.events += 1
        if (self.events & 0x0F) == 0:
            self.check()
        return self.on_event

    def check(self) -> None:
        if time.thread_time() > self.deadline:
            raise ScriptTimeout(f"the script used more than {self.seconds:g} s of CPU time")


def run_with_budget(code: CodeType, scope: dict[str, Any], seconds: float, mode: str) -> Any:
    budget = _CpuBudget(seconds)
    previous, outer = sys.gettrace(), getattr(_CURRENT, "budget", None)
    sys.settrace(budget.on_call)
    _CURRENT.budget = budget
    try:
        return eval(code, scope) if mode == "eval" else exec(code, scope)
    finally:
        sys.settrace(previous)
        _CURRENT.budget = outer
