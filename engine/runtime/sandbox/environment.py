"""The SpiffWorkflow script environment that runs everything in the sandbox, in process or in an evaluator."""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable
from collections.abc import Mapping
from types import ModuleType
from typing import Any
from typing import Protocol

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.runtime.sandbox.budget import DEFAULT_CPU_SECONDS
from engine.runtime.sandbox.budget import run_with_budget
from engine.runtime.sandbox.errors import EvaluationFailed
from engine.runtime.sandbox.errors import EvaluatorDied
from engine.runtime.sandbox.errors import SandboxViolation
from engine.runtime.sandbox.errors import ScriptTimeout
from engine.runtime.sandbox.errors import UnstorableValue
from engine.runtime.sandbox.guards import BASE_GLOBALS
from engine.runtime.sandbox.guards import BOUNDED_GLOBALS
from engine.runtime.sandbox.plain import is_plain
from engine.runtime.sandbox.plain import is_plain_script
from engine.runtime.sandbox.policy import SANDBOX_FILENAME
from engine.runtime.sandbox.policy import compile_sandboxed
from engine.runtime.sandbox.storable import check_storable


class Evaluations(Protocol):
    """Where scripts run out of process (:class:`engine.runtime.isolation.pool.EvaluatorPool`).

    ``run`` raises :class:`EvaluationFailed` when the script failed there and :class:`EvaluatorDied`
    when a limit stopped the process; an error a helper raised is raised again as it was.
    """

    def run(self, request: dict[str, Any], helpers: Mapping[str, Callable[..., Any]],
            cpu_seconds: float) -> dict[str, Any]: ...


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that evaluates everything restricted and time-limited.

    With a ``pool`` (:class:`engine.runtime.isolation.pool.EvaluatorPool`), scripts and every expression
    that is not plain run in a child process under operating-system limits on memory and CPU.
    ``bounded`` (the server's default): str(), comparisons, sorted, min and max refuse structures
    beyond the walking bounds; an evaluator process, under its own limits, runs without them.
    """

    def __init__(self, helpers: Mapping[str, Callable[..., Any]] | None = None,
                 cpu_seconds: float = DEFAULT_CPU_SECONDS, pool: Evaluations | None = None,
                 bounded: bool = True) -> None:
        super().__init__(dict(helpers or {}))
        self.globals: dict[str, Any]
        self.cpu_seconds = cpu_seconds
        self.pool = pool
        self._base = BOUNDED_GLOBALS if bounded else BASE_GLOBALS
        self._helper_names = frozenset(self.globals)

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        if self.pool is not None and not is_plain(expression, self._helper_names):
            answer = self._in_pool(self.pool, {"mode": "eval", "source": expression, "context": context,
                                    "external": external_context or {}})
            return answer.get("value")
        code = compile_sandboxed(expression, "eval")
        scope = {**self._base, **self.globals, **(external_context or {}), **context}
        return run_with_budget(code, scope, self.cpu_seconds, "eval")

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        if self.pool is not None and not is_plain_script(script, self._helper_names):
            answer = self._in_pool(self.pool, {"mode": "exec", "source": script, "context": context,
                                    "external": external_context or {}})
            context.clear()
            context.update(answer.get("context") or {})
            return True
        code = compile_sandboxed(script, "exec")
        reserved = set(self._base) | set(self.globals) | set(external_context or {})
        clash = reserved.intersection(context)
        if clash:
            raise ValueError(f"task data overwrites a predefined name: {sorted(clash)}")
        # Deep copies: an in-place mutation must not reach data recorded on earlier tasks.
        own = {key: copy.deepcopy(value) for key, value in context.items()}
        scope = {**self._base, **self.globals, **(external_context or {}), **own}
        run_with_budget(code, scope, self.cpu_seconds, "exec")
        results = {key: value for key, value in scope.items()
                   if key not in reserved and not callable(value) and not isinstance(value, ModuleType | type)}
        for key, value in results.items():
            # Unchanged values are already stored; comparing with them stops at the first difference.
            if key not in context or value != context[key]:
                check_storable(key, value)
        for key in [key for key in context if key not in scope]:
            del context[key]
        context.update(results)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported")

    def _in_pool(self, pool: Evaluations, request: dict[str, Any]) -> dict[str, Any]:
        """Run a request in the evaluator pool; a failure is raised as the child's own exception type."""
        compile_sandboxed(request["source"], request["mode"])  # policy errors: here, with the line
        try:
            return pool.run(request, self.globals, self.cpu_seconds)
        except EvaluatorDied as died:
            raise ScriptTimeout(str(died)) if "CPU" in str(died) or "longer" in str(died) \
                else SandboxViolation(str(died)) from None
        except EvaluationFailed as failed:
            _raise_at_line(_as_exception(failed.kind, str(failed).split(": ", 1)[-1]), failed.line)
            raise  # not reached


def _as_exception(kind: str, message: str) -> BaseException:
    """The child's exception as a local one of the same type (a sandbox or builtin error)."""
    if kind == "MemoryError":  # the child's, not ours: the script asked for more than its limit
        return SandboxViolation("the script needed more memory than allowed")
    local: dict[str, type[Exception]] = {cls.__name__: cls
                                         for cls in (ScriptTimeout, SandboxViolation, UnstorableValue)}
    found = local.get(kind) or getattr(builtins, kind, None)
    cls = found if isinstance(found, type) and issubclass(found, Exception) else type(kind, (SandboxViolation,), {})
    try:
        error: BaseException = cls(message)
        return error
    except Exception:  # noqa: BLE001 - an exception type with another constructor
        return SandboxViolation(f"{kind}: {message}")


def _raise_at_line(error: BaseException, line: int) -> None:
    """Raise ``error`` from a frame of the sandbox's file name at ``line``, so the failing line is reported."""
    code = compile("\n" * (max(line, 1) - 1) + "raise error", SANDBOX_FILENAME, "exec")
    exec(code, {"error": error})


def evaluate_expression(expression: str, context: dict[str, Any], helpers: Mapping[str, Callable[..., Any]],
                        cpu_seconds: float = DEFAULT_CPU_SECONDS) -> Any:
    """Evaluate ``expression`` outside any workflow (a start condition), in process: it must be plain.

    :raises SandboxViolation: for an expression that is not plain (it would need an evaluator process).
    """
    if not is_plain(expression, frozenset(helpers)):
        raise SandboxViolation("a start condition must be a plain expression")
    return SandboxEnvironment(helpers, cpu_seconds).evaluate(expression, dict(context))
