"""Plain scripts run in the server thread: none of them may hold it past its CPU budget.

A property test generates scripts over the grammar :func:`is_plain_script` admits (assignments,
``+=``, item assignments, ``if``, comprehensions, the plain builtins and dict reads), repeats a
block of them up to forty times (doubling a structure at every pass is how one grows it), runs
each admitted script in process against large stored-like data and checks that the thread's CPU
time stays within the budget plus a few milliseconds of slack: no single C-level operation
(which the budget's trace cannot interrupt) may run for long.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import time
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from engine.runtime.sandbox import SandboxEnvironment
from engine.runtime.sandbox import is_plain
from engine.runtime.sandbox import is_plain_script

BUDGET = 0.2
SLACK = 0.2  # what one guarded C-level step may add, on a machine shared with other test runs
NAMES = ("x", "y", "rows", "text", "d", "n", "items")
HELPERS: frozenset[str] = frozenset()


def stored_like_data() -> dict[str, Any]:
    """Data a hostile form could have stored: within check_storable's bounds, as large as they allow."""
    return {
        "x": [1, 2, 3], "y": {"a": "字" * 10}, "n": 7,
        "rows": [[index % 7] * 40 for index in range(2_500)],
        "text": "字" * 400_000,
        "d": {f"k{index}": ["v" * 20] * 5 for index in range(5_000)},
        "items": [{"name": "名" * 200, "rows": list(range(20))} for _ in range(1_000)],
    }


CONSTANTS = ("0", "1", "2", "'s'", "'字字'", "[]", "{}", "[1, 2]", "{'a': 1}", "()", "None", "True")
CALLS = ("len", "min", "max", "sum", "abs", "round", "bool", "int", "float", "str", "any", "all", "sorted",
         "list", "dict", "set")


def expressions() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(NAMES) | st.sampled_from(CONSTANTS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(("+", "-", "//", "/")), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(CALLS), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(("sum", "min", "max", "dict")), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            st.tuples(inner, st.sampled_from(("'a'", "'k1'", "0", "-1", "1:", ":3"))).map(lambda t: f"{t[0]}[{t[1]}]"),
            st.tuples(inner, st.sampled_from(("get('a')", "get('k1', [])", "items()", "values()", "keys()"))).map(
                lambda t: f"{t[0]}.{t[1]}"),
            st.tuples(inner, st.sampled_from(("==", "<", "in", "not in", "!=")), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} and {t[1]})"),
            inner.map(lambda e: f"[v for v in {e}]"),
            inner.map(lambda e: f"[v['rows'] for v in {e}]"),
            inner.map(lambda e: f"[str(v) for v in {e}]"),
            inner.map(lambda e: f"{{k: v for k, v in {e}.items()}}"),
            inner.map(lambda e: f"sorted({e}, key=str)"),
        )

    return st.recursive(leaves, extend, max_leaves=6)


def statements() -> st.SearchStrategy[str]:
    target = st.sampled_from(NAMES)
    simple = st.one_of(
        st.tuples(target, expressions()).map(lambda t: f"{t[0]} = {t[1]}"),
        st.tuples(target, expressions()).map(lambda t: f"{t[0]} += {t[1]}"),
        st.tuples(target, expressions(), expressions()).map(lambda t: f"{t[0]}[{t[1]}] = {t[2]}"),
        expressions(),
        st.just("pass"),
    )
    conditional = st.tuples(expressions(), simple).map(lambda t: f"if {t[0]}:\n    {t[1]}")
    return simple | conditional


@st.composite
def scripts(draw: st.DrawFn) -> str:
    block = draw(st.lists(statements(), min_size=1, max_size=5))
    times = draw(st.integers(min_value=1, max_value=40))
    tail = draw(st.lists(statements(), max_size=2))
    return "\n".join(block * times + tail)


class NoPool:
    def run(self, *_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a plain script went to the evaluator pool")


def cpu_time_of(script: str, data: dict[str, Any]) -> float:
    """Thread CPU seconds ``script`` takes in the server's sandbox, whatever it raises."""
    environment = SandboxEnvironment(cpu_seconds=BUDGET, pool=NoPool())
    context = copy.deepcopy(data)
    gc.collect()
    gc.disable()  # a collection of the test process's own garbage is not the script's cost
    try:
        started = time.thread_time()
        with contextlib.suppress(Exception):  # a refusal or a time-out is an acceptable end
            environment.execute(script, context)
        return time.thread_time() - started
    finally:
        gc.enable()


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return stored_like_data()


@pytest.fixture(scope="module")
def overhead(data: dict[str, Any]) -> float:
    """What running any script costs around it (copying the data in, checking it out)."""
    return max(cpu_time_of("pass", data) for _ in range(3))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(script=scripts())
@example(script="y = {}\ny['a'] = x\ny['b'] = x\nx = y\n" * 60 + "n = len(str(x))")
@example(script="y = {}\ny['a'] = x\ny['b'] = x\nx = y\n" * 60 + "n = x == d")
@example(script="y = {}\ny['a'] = x\ny['b'] = x\nx = y\n" * 60 + "n = sorted([v for v in x.values()])")
@example(script="x = x + rows\n" * 20 + "x = x + x\n" * 8 + "n = str(x)")
@example(script="x = x + items\nx = x + x\n" * 12 + "n = sorted(x, key=str)")
@example(script="t = text + text\nt = t + t\n" * 10 + "n = t in text")
@example(script="x = [v for v in rows]\nx = x + x\n" * 10 + "n = max(x)")
@example(script="y['k'] = y\n" + "n = str(y) == str(y)\n" * 10)
def test_no_plain_script_exceeds_its_budget(script: str, data: dict[str, Any], overhead: float) -> None:
    if not is_plain_script(script, HELPERS):
        return
    used = cpu_time_of(script, data)
    assert used <= overhead + BUDGET + SLACK, (round(used, 3), script[:400])


@pytest.mark.parametrize("script", [
    "n = len(sum(rows, []))", "n = sum(rows, ())", "n = sum(x, start=[])", "s = ''.join(x)", "s = 'a' * n",
    "s = x * 3", "s = '%9999999d' % n", "s = '{:9999999}'.format(n)", "s = f'{n:9999999}'", "t = tuple(x)",
    "s = text.ljust(n)", "s = text.replace('字', text)",
])
def test_operations_beyond_the_size_of_their_input_go_to_the_pool(script: str) -> None:
    assert not is_plain_script(script, HELPERS)


def test_sums_of_numbers_stay_in_the_server() -> None:
    assert is_plain("sum(scores)", HELPERS) and is_plain("sum(scores, 0.0)", HELPERS)
    assert is_plain("sum(r['score'] for r in rows)", HELPERS)
    assert not is_plain("sum(scores, start)", HELPERS)
