"""Restricted evaluation of everything a diagram can run.

Diagrams are uploaded by administrators, so scripts, gateway conditions, timer and multi-instance
expressions and DMN cells all go through :class:`SandboxEnvironment`:

* code is compiled with RestrictedPython (no imports, no names or attributes starting with ``_``,
  guarded item access and iteration), plus a few rules of our own: no ``try`` (so a script cannot
  swallow its own time-out), and ``**``, ``*``, ``+`` and ``<<`` go through guards that refuse
  results too large to compute (:mod:`.policy`, :mod:`.guards`);
* only a whitelist of builtins and the helper functions the engine registers are visible;
* each evaluation has a CPU-time budget enforced with a trace function, so an endless loop raises
  :class:`ScriptTimeout` instead of hanging the worker (:mod:`.budget`);
* task data is deep-copied before a script runs, so a script that mutates a nested list in place
  cannot rewrite the data already recorded on earlier tasks (SpiffWorkflow copies data shallowly);
* what a script leaves in the task data must be storable (:func:`check_storable`): plain JSON
  values of bounded size and depth, dates and decimals. Anything else (a generator, an exception,
  a huge integer, a structure that is very deep or shares itself a million times over) fails the
  script there, so the instance goes to error at that element instead of failing when it is saved;
* plain expressions and scripts (:mod:`.plain`) run in the server process; with an evaluator pool
  (:class:`Evaluations`, provided by :mod:`engine.runtime.isolation`) everything else runs in a
  child process under operating-system limits.

This package imports nothing else of the runtime: the isolation package and the script engine
(:mod:`engine.runtime.scripting`) build on it.
"""

from engine.runtime.sandbox.budget import DEFAULT_CPU_SECONDS
from engine.runtime.sandbox.environment import Evaluations
from engine.runtime.sandbox.environment import SandboxEnvironment
from engine.runtime.sandbox.environment import evaluate_expression
from engine.runtime.sandbox.errors import EvaluationFailed
from engine.runtime.sandbox.errors import EvaluatorDied
from engine.runtime.sandbox.errors import SandboxViolation
from engine.runtime.sandbox.errors import ScriptTimeout
from engine.runtime.sandbox.errors import UnstorableValue
from engine.runtime.sandbox.plain import is_plain
from engine.runtime.sandbox.plain import is_plain_script
from engine.runtime.sandbox.policy import SANDBOX_FILENAME
from engine.runtime.sandbox.policy import check_syntax
from engine.runtime.sandbox.policy import compile_sandboxed
from engine.runtime.sandbox.storable import check_storable

__all__ = [
    "DEFAULT_CPU_SECONDS", "SANDBOX_FILENAME", "EvaluationFailed", "Evaluations", "EvaluatorDied", "SandboxEnvironment",
    "SandboxViolation", "ScriptTimeout", "UnstorableValue", "check_storable", "check_syntax", "compile_sandboxed",
    "evaluate_expression", "is_plain", "is_plain_script",
]
