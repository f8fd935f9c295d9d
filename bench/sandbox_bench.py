"""Cost of one sandboxed evaluation in the server process and in the evaluator pool, in one run.

Scripts run in evaluator processes under OS limits (engine.runtime.isolation); plain expressions
(conditions, due dates, assignments) stay in the server. This measures, interleaved sample by
sample: a typical diagram script (with a helper call) in process and in the pool, a plain
condition in process, and a non-plain expression in the pool. Figures are wall-clock medians and
p95 in milliseconds; the ratios against the in-process script are what to compare across machines.

Then the bombs: scripts that try to hold the server or exhaust memory in one C-level operation
(padding, formatting, joining, huge integers, quadratic sums, structures sharing themselves), each
run as the server runs it (plain scripts in the server thread, others in the pool) while another
thread evaluates a small script every 10 ms, as a concurrent request would. For each: how it
ended, its wall time, the CPU it used (server thread and evaluator processes) and the longest
latency of the concurrent evaluations. Acceptance: at most 2 s of CPU, at most 0.5 s latency.

Usage: python bench/sandbox_bench.py [--samples 2000] [--no-bombs]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import stats  # noqa: E402

from engine.runtime.isolation.pool import EvaluatorPool  # noqa: E402
from engine.runtime.sandbox import SandboxEnvironment  # noqa: E402

SCRIPT = ("valid = [s['score'] for s in scores if not s.get('recuse') and s.get('score') is not None]\n"
          "argumentation_score = mean(valid)\nrecused = [s['member'] for s in scores if s.get('recuse')]")
CONDITION = "decision == 'return' and rounds < year_plan(year)['max_return_rounds']"
EXPRESSION = "[node['name'] for node in nodes]"
PLAN = {"max_return_rounds": 3}
SHARED = "y = {}\ny['a'] = x\ny['b'] = x\nx = y\n" * 60  # a structure that shares itself 2^60 times
BOMBS = {
    "ljust of 2.5 GB": "x = 'x'.ljust(2500000000)",
    "%-format width 2.5 GB": "x = '%2500000000d' % 1",
    "f-string width 2.5 GB": "x = f'{1:2500000000}'",
    "join of 3 GB": "x = ''.join(['a' * 1000000] * 3000)",
    "squaring a huge integer": "x = 10 ** 30000\nwhile True:\n    x = x * x",
    "huge integer product": "x = (3 ** 60000) * (3 ** 60000)\nfor i in range(30):\n    x = x * x\ny = x // 7",
    "printing a list 10^12 long": "row = [0] * 1000000\nx = len(str([row] * 1000000))",
    "sum(rows, []) (quadratic)": "n = len(sum(rows, []))",
    "sum of tuples (quadratic)": "n = len(sum([tuple(r) for r in rows], ()))",
    "shared 2^60 times, str()": SHARED + "n = len(str(x))",
    "shared 2^60 times, ==": SHARED + "n = x == rows",
    "doubling a list, sorted(key=str)": "x = x + rows\n" + "x = x + x\n" * 9 + "n = sorted(x, key=str)",
}


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


def bomb_data() -> dict:
    """Stored-like data for the bombs: 180,000 elements, about as much as one stored value may hold."""
    rows = [[index % 7] * 30 for index in range(6_000)]
    return {"rows": rows, "x": [1, 2, 3]}


def children_cpu(pool: EvaluatorPool) -> float:
    """CPU seconds of the evaluator processes: those ended and waited for, and those alive."""
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = ended.ru_utime + ended.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for evaluator in list(pool._idle):  # a benchmark may look inside
        try:
            with open(f"/proc/{evaluator.process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total


def run_bomb(environment: SandboxEnvironment, pool: EvaluatorPool, script: str,
             neighbour: Callable[[], object]) -> tuple[str, float, float, float]:
    """(how it ended, wall s, CPU s, longest concurrent latency s) of ``script``, as the server runs it."""
    done = threading.Event()
    latencies: list[float] = []

    def concurrent() -> None:
        while not done.is_set():
            latencies.append(timed(neighbour))
            time.sleep(0.01)

    data = bomb_data()
    thread = threading.Thread(target=concurrent)
    thread.start()
    cpu_before, started = children_cpu(pool), time.monotonic()
    thread_before = time.thread_time()
    try:
        environment.execute(script, data)
        outcome = "finished"
    except Exception as error:  # noqa: BLE001 - how each bomb ends is the figure
        outcome = f"{type(error).__name__}: {error}"[:58]
    thread_cpu, wall = time.thread_time() - thread_before, time.monotonic() - started
    time.sleep(0.05)
    done.set()
    thread.join()
    return outcome, wall, thread_cpu + children_cpu(pool) - cpu_before, max(latencies, default=0.0)


def bombs(helpers: dict) -> bool:
    """Run every bomb; print one line each; True when each stayed within 2 s of CPU and 0.5 s latency."""
    from engine.runtime.sandbox import is_plain_script

    pool = EvaluatorPool(size=2)
    environment, local = SandboxEnvironment(helpers, pool=pool), SandboxEnvironment(helpers)
    environment.execute("x = [i for i in range(3)]", {})  # the first evaluator process is up
    ok = True
    print(f"\n{'bomb':<34}{'runs in':<9}{'wall s':>7}{'CPU s':>7}{'latency s':>10}  ended with")
    try:
        for name, script in BOMBS.items():
            where = "server" if is_plain_script(script, frozenset(helpers)) else "pool"
            outcome, wall, cpu, latency = run_bomb(environment, pool, script,
                                                   lambda: local.execute(SCRIPT, context()))
            ok = ok and cpu <= 2.0 and latency <= 0.5
            print(f"{name:<34}{where:<9}{wall:7.2f}{cpu:7.2f}{latency:10.3f}  {outcome}")
    finally:
        pool.close()
    print("every bomb within 2 s of CPU and 0.5 s of concurrent latency:", "yes" if ok else "NO")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--no-bombs", action="store_true", help="only the cost of ordinary evaluations")
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
    if not args.no_bombs and not bombs(helpers):
        sys.exit(1)


if __name__ == "__main__":
    main()
