"""Cost of one sandboxed evaluation in the server process and in the evaluator pool, in one run.

Scripts run in evaluator processes under OS limits (engine.runtime.isolation); plain expressions
(conditions, due dates, assignments) stay in the server. This measures, interleaved sample by
sample: a typical diagram script (with a helper call) in process and in the pool, a plain
condition in process, and a non-plain expression in the pool. Figures are wall-clock medians and
p95 in milliseconds; the ratios against the in-process script are what to compare across machines.

Usage: python bench/sandbox_bench.py [--samples 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import stats  # noqa: E402

from engine.runtime.isolation import EvaluatorPool  # noqa: E402
from engine.runtime.sandbox import SandboxEnvironment  # noqa: E402

SCRIPT = ("valid = [s['score'] for s in scores if not s.get('recuse') and s.get('score') is not None]\n"
          "argumentation_score = mean(valid)\nrecused = [s['member'] for s in scores if s.get('recuse')]")
CONDITION = "decision == 'return' and rounds < year_plan(year)['max_return_rounds']"
EXPRESSION = "[node['name'] for node in nodes]"
PLAN = {"max_return_rounds": 3}


def context() -> dict:
    scores = [{"member": f"panel{i}", "score": 80 + i, "recuse": i == 3, "opinion": "方案可行，建议立项。"}
              for i in range(1, 6)]
    nodes = [{"name": f"节点{i}", "sub_item": "制度建设", "planned_date": "2008-05-15"} for i in range(6)]
    return {"scores": scores, "nodes": nodes, "decision": "pass", "rounds": 1, "year": 2008,
            "title": "党员党性定期分析试点", "applicant_unit": "511802"}


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    helpers = {"mean": lambda values: round(sum(values) / len(values), 2) if values else None,
               "year_plan": lambda year: PLAN}
    pool = EvaluatorPool(size=1)
    local = SandboxEnvironment(helpers)
    isolated = SandboxEnvironment(helpers, pool=pool)
    cases = {
        "script, in process": lambda: local.execute(SCRIPT, context()),
        "script, in the evaluator pool": lambda: isolated.execute(SCRIPT, context()),
        "plain condition (stays in process)": lambda: isolated.evaluate(CONDITION, context()),
        "other expression, in the evaluator pool": lambda: isolated.evaluate(EXPRESSION, context()),
        "building the context alone": context,
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for action in cases.values():  # warm: the first evaluation starts the evaluator process
            action()
        for _ in range(args.samples):
            for name, action in cases.items():
                samples[name].append(timed(action))
    finally:
        pool.close()
    for name, values in samples.items():
        median, p95 = stats(values)
        print(f"{name:<44}median {median:7.3f} ms   p95 {p95:7.3f} ms")
    ratio = stats(samples["script, in the evaluator pool"])[0] / stats(samples["script, in process"])[0]
    print(f"ratio script in the pool / in process, medians: {ratio:.2f}")


if __name__ == "__main__":
    main()
