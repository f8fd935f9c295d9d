"""Scripts run in evaluator processes under operating-system limits.

* :mod:`.pool`: the server's pool of evaluator processes (:class:`EvaluatorPool`, :func:`shared_pool`);
* :mod:`.process`: one evaluator process and its pipe, seen from the server;
* :mod:`.child`: what runs in the evaluator process (``python -m engine.runtime.isolation.child``);
* :mod:`.frames`: the frames both sides exchange.

Builds on :mod:`engine.runtime.sandbox` (the child runs a :class:`SandboxEnvironment`; the pool is
the environment's :class:`engine.runtime.sandbox.Evaluations`), never the other way round.

This file imports nothing: an evaluator process (``python -m engine.runtime.isolation.child``)
loads the package on start, and should not load the pool and its metrics with it. Import
:class:`~engine.runtime.isolation.pool.EvaluatorPool` and ``shared_pool`` from :mod:`.pool`.
"""
