"""Scripts run in evaluator processes under operating-system limits.

* :mod:`.pool`: the server's pool of evaluator processes (:class:`EvaluatorPool`, :func:`shared_pool`);
* :mod:`.process`: one evaluator process and its pipe, seen from the server;
* :mod:`.child`: what runs in the evaluator process (``python -m engine.runtime.isolation.child``);
* :mod:`.frames`: the frames both sides exchange.

Builds on :mod:`engine.runtime.sandbox` (the child runs a :class:`SandboxEnvironment`; the pool is
the environment's :class:`engine.runtime.sandbox.Evaluations`), never the other way round.
"""

from engine.runtime.isolation.pool import EvaluatorPool
from engine.runtime.isolation.pool import shared_pool
from engine.runtime.sandbox import EvaluationFailed
from engine.runtime.sandbox import EvaluatorDied

__all__ = ["EvaluationFailed", "EvaluatorDied", "EvaluatorPool", "shared_pool"]
