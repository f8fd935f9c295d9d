"""The script engine a workflow runs with: the sandbox, in process or with the shared evaluator pool."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.runtime.isolation.pool import shared_pool
from engine.runtime.sandbox import DEFAULT_CPU_SECONDS
from engine.runtime.sandbox import SandboxEnvironment


def make_script_engine(helpers: Mapping[str, Callable[..., Any]] | None = None,
                       cpu_seconds: float = DEFAULT_CPU_SECONDS, isolated: bool = False) -> Any:
    """A SpiffWorkflow script engine whose every evaluation path runs in the sandbox.

    ``isolated``: scripts and non-plain expressions run in the shared evaluator pool.
    """
    pool = shared_pool() if isolated else None
    return PythonScriptEngine(environment=SandboxEnvironment(helpers, cpu_seconds, pool))
