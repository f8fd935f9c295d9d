"""Restricted evaluation of everything a diagram can run.

Diagrams are uploaded by administrators, so scripts, gateway conditions, timer and multi-instance
expressions and DMN cells all go through :class:`SandboxEnvironment`:

* code is compiled with RestrictedPython (no imports, no names or attributes starting with ``_``,
  guarded item access and iteration), plus a few rules of our own: no ``try`` (so a script cannot
  swallow its own time-out), and ``**``, ``*``, ``+`` and ``<<`` go through guards that refuse
  results too large to compute;
* only a whitelist of builtins and the helper functions the engine registers are visible;
* each evaluation has a CPU-time budget enforced with a trace function, so an endless loop raises
  :class:`ScriptTimeout` instead of hanging the worker;
* task data is deep-copied before a script runs, so a script that mutates a nested list in place
  cannot rewrite the data already recorded on earlier tasks (SpiffWorkflow copies data shallowly);
* what a script leaves in the task data must be storable (:func:`check_storable`): plain JSON
  values of bounded size and depth, dates and decimals. Anything else (a generator, an exception,
  a huge integer, a structure that is very deep or shares itself a million times over) fails the
  script there, so the instance goes to error at that element instead of failing when it is saved.
"""

from __future__ import annotations

import ast
import builtins
import copy
import math
import operator
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from types import CodeType
from types import ModuleType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython import compile_restricted_eval
from RestrictedPython import compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Eval import default_guarded_getiter
from RestrictedPython.Guards import full_write_guard
from RestrictedPython.Guards import guarded_iter_unpack_sequence
from RestrictedPython.Guards import guarded_unpack_sequence
from RestrictedPython.Guards import safer_getattr
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

SANDBOX_FILENAME = "<string>"  # SpiffWorkflow looks for this name to report the failing line
MAX_SEQUENCE = 1_000_000
MAX_INT_BITS = 100_000
MAX_RANGE = 100_000
DEFAULT_CPU_SECONDS = 1.0
# In the server thread, an operation whose C code walks a whole structure (str(), a comparison, sorted,
# min, max) first checks, in traced steps, that the structure (shared parts counted each time they
# appear) stays within these bounds: one C-level call then holds the interpreter for milliseconds.
MAX_WALKED_NODES = 100_000
MAX_WALKED_TEXT = 2_000_000


class ScriptTimeout(Exception):
    """Raised inside sandboxed code when it exceeds its CPU budget.

    Sandboxed code cannot catch it (``try`` is not allowed there), so it always reaches
    SpiffWorkflow, which marks the task as failed, and the runtime puts the instance in error.
    """


class SandboxViolation(Exception):
    """Raised when sandboxed code asks for something the sandbox refuses (a huge result, …)."""


class UnstorableValue(SandboxViolation):
    """A script left a value in the task data that the state cannot hold."""


# What one stored value may hold: JSON's types plus dates and decimals, within these bounds.
MAX_STORED_DEPTH = 64
MAX_STORED_NODES = 200_000
MAX_STORED_TEXT = 1_000_000
MAX_STORED_INT_DIGITS = 4_000  # below CPython's 4,300-digit limit on int-to-text conversion


def check_storable(name: str, value: Any) -> None:
    """Refuse ``value`` (stored under ``name``) unless the workflow state can hold it as JSON.

    Shared sub-structures count once per place they appear, as JSON would write them.

    :raises UnstorableValue: naming the variable and the reason.
    """
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_STORED_NODES:
            raise UnstorableValue(f"the value of {name} has more than {MAX_STORED_NODES} elements")
        if depth > MAX_STORED_DEPTH:
            raise UnstorableValue(f"the value of {name} is nested more than {MAX_STORED_DEPTH} levels deep")
        problem = _unstorable(item)
        if problem is not None:
            raise UnstorableValue(f"the value of {name} {problem}")
        if isinstance(item, dict):
            stack.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend((member, depth + 1) for member in item)


def _unstorable(item: Any) -> str | None:
    """Why ``item`` itself (not what it contains) cannot be stored, or None."""
    if item is None or isinstance(item, bool | Decimal | date | list | tuple | set | frozenset):
        return None  # a datetime is a date
    if isinstance(item, int):
        too_long = item.bit_length() > MAX_STORED_INT_DIGITS * 3.32
        return f"has an integer of more than {MAX_STORED_INT_DIGITS} digits" if too_long else None
    if isinstance(item, float):
        return None if math.isfinite(item) else "is not a finite number"
    if isinstance(item, str):
        return f"has a text longer than {MAX_STORED_TEXT} characters" if len(item) > MAX_STORED_TEXT else None
    if isinstance(item, dict):
        bad = next((key for key in item if isinstance(key, bool) or not isinstance(key, str | int)), None)
        return None if bad is None else f"has a key of type {type(bad).__name__}"
    return f"is a {type(item).__name__}, which cannot be stored"


class _Transformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus our own: no imports, no try, guarded arithmetic."""

    _GUARDED = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.Add: "_add_", ast.LShift: "_lshift_"}

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        """``a < b in c`` becomes ``_compare_(('Lt', 'In'), a, b, c)``: the server bounds what it compares."""
        node = self.node_contents_visit(node)
        names = ast.Tuple([ast.Constant(type(op).__name__) for op in node.ops], ast.Load())
        func = ast.Name("_compare_", ast.Load())
        call = ast.Call(func=func, args=[names, node.left, *node.comparators], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_Try(self, node: ast.Try) -> ast.AST:
        self.error(node, "try/except is not allowed in diagram scripts.")
        return node

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "imports are not allowed in diagram scripts.")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "imports are not allowed in diagram scripts.")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        guard = self._GUARDED.get(type(node.op))
        if guard is None:
            return node
        func = ast.copy_location(ast.Name(guard, ast.Load()), node)
        call = ast.Call(func=func, args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)


@lru_cache(maxsize=4096)
def compile_sandboxed(source: str, mode: str) -> CodeType:
    """Compile ``source`` under the sandbox policy; ``mode`` is 'exec' or 'eval'.

    :raises SyntaxError: with every policy or syntax error joined in the message.
    """
    compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    result = compiler(source, filename=SANDBOX_FILENAME, policy=_Transformer)
    if result.errors or result.code is None:
        error = SyntaxError("; ".join(result.errors) or "invalid code")
        error.lineno = _first_line(result.errors)
        raise error
    return result.code


def check_syntax(source: str, mode: str) -> str | None:
    """Return the error message for ``source`` or None when it compiles in the sandbox."""
    try:
        compile_sandboxed(source, mode)
    except SyntaxError as error:
        return str(error)
    return None


def _first_line(errors: tuple[str, ...]) -> int:
    for message in errors:
        marker = "Line "
        if marker in message:
            digits = message.split(marker, 1)[1].split(":", 1)[0]
            if digits.isdigit():
                return int(digits)
    return 0


_CURRENT = threading.local()  # the budget of the evaluation running in this thread, if any


def _charge() -> None:
    """Check the running evaluation's CPU budget from inside a guard (an expensive step counts at once)."""
    budget = getattr(_CURRENT, "budget", None)
    if budget is not None:
        budget.check()


_CONTAINERS = (list, tuple, dict, set, frozenset)


def _within_bounds(value: Any) -> Any:
    """``value`` itself, once a walk (stopping at the bounds) shows it holds at most
    :data:`MAX_WALKED_NODES` elements and :data:`MAX_WALKED_TEXT` characters, shared parts counted
    wherever they appear: what one C-level walk of it (str, ==, sorted) may cost.

    :raises SandboxViolation: when it holds more.
    """
    if not isinstance(value, _CONTAINERS):
        return value
    nodes, text, stack = 1, 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            text += len(item)
        elif isinstance(item, _CONTAINERS):
            nodes += len(item)
            if nodes <= MAX_WALKED_NODES:
                stack.extend(item.items() if isinstance(item, dict) else item)
        if nodes > MAX_WALKED_NODES or text > MAX_WALKED_TEXT:
            raise SandboxViolation(f"a value of more than {MAX_WALKED_NODES} elements or {MAX_WALKED_TEXT} "
                                   "characters is too large for a plain script; it runs in an evaluator process")
    _charge()
    return value


_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "Eq": operator.eq, "NotEq": operator.ne, "Lt": operator.lt, "LtE": operator.le, "Gt": operator.gt,
    "GtE": operator.ge, "Is": operator.is_, "IsNot": operator.is_not,
    "In": lambda a, b: a in b, "NotIn": lambda a, b: a not in b,
}


def _compare(names: tuple[str, ...], *operands: Any) -> Any:
    """A comparison chain as Python evaluates it (every operand already evaluated)."""
    result: Any = True
    for index, name in enumerate(names):
        result = _COMPARISONS[name](operands[index], operands[index + 1])
        if not result:
            return result
    return result


def _bounded_compare(names: tuple[str, ...], *operands: Any) -> Any:
    """:func:`_compare` over operands within the walking bounds (in the server thread)."""
    for operand in operands:
        _within_bounds(operand)
    return _compare(names, *operands)


def _bounded_str(*args: Any, **kwargs: Any) -> str:
    return str(*(_within_bounds(arg) for arg in args), **kwargs)


def _bounded_items(args: tuple[Any, ...]) -> list[Any]:
    items = list(args[0]) if len(args) == 1 else list(args)
    _within_bounds(items)
    return items


def _bounded_sorted(iterable: Any, **kwargs: Any) -> list[Any]:
    return sorted(_bounded_items((iterable,)), **kwargs)


def _bounded_min(*args: Any, **kwargs: Any) -> Any:
    return min(_bounded_items(args), **kwargs)


def _bounded_max(*args: Any, **kwargs: Any) -> Any:
    return max(_bounded_items(args), **kwargs)


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _guarded_mul(left: Any, right: Any) -> Any:
    _charge()
    for seq, times in ((left, right), (right, left)):
        size = _size(seq)
        if size is not None and isinstance(times, int) and size * times > MAX_SEQUENCE:
            raise SandboxViolation("result of * is too large")
    return left * right


def _guarded_add(left: Any, right: Any) -> Any:
    _charge()
    size_left, size_right = _size(left), _size(right)
    if size_left is not None and size_right is not None and size_left + size_right > MAX_SEQUENCE:
        raise SandboxViolation("result of + is too large")
    return left + right


def _guarded_pow(base: Any, exponent: Any, modulo: Any = None) -> Any:
    huge = (isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1
            and exponent * math.log2(abs(base)) > MAX_INT_BITS)
    if huge:
        raise SandboxViolation("result of ** is too large")
    return pow(base, exponent) if modulo is None else pow(base, exponent, modulo)


def _guarded_lshift(value: Any, shift: Any) -> Any:
    if isinstance(shift, int) and shift > MAX_INT_BITS:
        raise SandboxViolation("result of << is too large")
    return value << shift


def _limited_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SandboxViolation(f"range() is limited to {MAX_RANGE} elements")
    return result


_INPLACE = {
    "+=": _guarded_add,
    "-=": lambda a, b: a - b,
    "*=": _guarded_mul,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": lambda a, b: a % b,
    "**=": _guarded_pow,
    "|=": lambda a, b: a | b,
    "&=": lambda a, b: a & b,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    try:
        return _INPLACE[op](target, value)
    except KeyError:
        raise SandboxViolation(f"operator {op} is not allowed") from None


_SAFE_BUILTIN_NAMES = (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int", "isinstance",
    "len", "list", "map", "max", "min", "reversed", "round", "set", "sorted", "str", "sum", "tuple",
    "zip", "None", "True", "False", "ValueError", "KeyError", "TypeError",
)


def _builtins() -> dict[str, Any]:
    table = {name: getattr(builtins, name) for name in _SAFE_BUILTIN_NAMES}
    table.update(range=_limited_range, pow=_guarded_pow)
    return table


_BASE_GLOBALS: dict[str, Any] = {
    "__builtins__": _builtins(),
    "__name__": "sandbox",
    "__metaclass__": type,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_pow_": _guarded_pow,
    "_mul_": _guarded_mul,
    "_add_": _guarded_add,
    "_lshift_": _guarded_lshift,
    # Calls with *args / **kwargs go through _apply_; the callee is already a permitted object.
    "_apply_": lambda function, *args, **kwargs: function(*args, **kwargs),
    "_compare_": _compare,
}
# In the server thread: what walks a whole structure in C first checks its size (see _within_bounds).
_BOUNDED_GLOBALS: dict[str, Any] = {
    **_BASE_GLOBALS,
    "__builtins__": {**_builtins(), "str": _bounded_str, "sorted": _bounded_sorted, "min": _bounded_min,
                     "max": _bounded_max},
    "_compare_": _bounded_compare,
}


class _CpuBudget:
    """A trace function that raises ScriptTimeout once the thread used ``seconds`` of CPU."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.thread_time() + seconds
        self.seconds = seconds
        self.events = 0

    def on_call(self, frame: Any, event: str, arg: Any) -> Callable | None:
        # Only sandboxed frames are traced; library frames run at full speed.
        if frame.f_code.co_filename != SANDBOX_FILENAME:
            return None
        # Opcode events, not line events: `while True: pass` jumps without ever starting a line.
        frame.f_trace_lines = False
        frame.f_trace_opcodes = True
        self.check()
        return self.on_event

    def on_event(self, frame: Any, event: str, arg: Any) -> Callable:
        self.events += 1
        if (self.events & 0x0F) == 0:
            self.check()
        return self.on_event

    def check(self) -> None:
        if time.thread_time() > self.deadline:
            raise ScriptTimeout(f"the script used more than {self.seconds:g} s of CPU time")


def _run_with_budget(code: CodeType, scope: dict[str, Any], seconds: float, mode: str) -> Any:
    budget = _CpuBudget(seconds)
    previous, outer = sys.gettrace(), getattr(_CURRENT, "budget", None)
    sys.settrace(budget.on_call)
    _CURRENT.budget = budget
    try:
        return eval(code, scope) if mode == "eval" else exec(code, scope)
    finally:
        sys.settrace(previous)
        _CURRENT.budget = outer


_PLAIN_NODES = (ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Subscript, ast.Slice, ast.Compare,
                ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Call, ast.keyword,
                ast.BinOp, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Add, ast.Sub, ast.Div, ast.FloorDiv,
                ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot)
# No tuple(): a tuple is hashed by walking it, and tuple() could nest one tuple twice into another.
_PLAIN_CALLS = frozenset({"len", "min", "max", "sum", "abs", "round", "bool", "int", "float", "str", "any", "all",
                          "isinstance", "sorted", "list", "dict", "set"})


# Methods plain code may call: reads of a dict, and pop in a script, each bounded by the data.
_PLAIN_METHODS = frozenset({"get", "items", "keys", "values", "pop"})
# Builtins that combine several arguments into one value: sum(x, x) or dict(x, y=x) would double a
# structure at every statement, so they take at most one argument that is not a constant.
_COMBINING_CALLS = frozenset({"sum", "dict"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@lru_cache(maxsize=4096)
def is_plain(expression: str, helper_names: frozenset[str]) -> bool:
    """True when ``expression`` cannot spend unbounded time or memory in one C-level operation.

    Names, constants (and literals of constants), item access, comparisons, boolean logic,
    ``+ - / //``, calls of the helpers, a few builtins by name and a few dict methods (``get``,
    ``items``…): on stored data (bounded, see :func:`check_storable`) each such operation is
    bounded. A comprehension is plain when it has one ``for`` over a plain iterable and builds each
    element from its own loop variable only, reading each part of the item once (``{'name':
    c['name'], 'max': c['max']}``, never ``{'a': c, 'b': c}``): its loop runs as traced Python code
    (the CPU budget stops it) and what it builds is no larger than the data it reads. No ``*``,
    ``**``, ``%``, shifts, f-strings, other attributes (methods such as ``ljust``), lambdas, and
    outside a comprehension's element no literals holding names. A plain expression is evaluated
    in the server process; everything else (and every script that is not plain, see
    :func:`is_plain_script`) goes to the evaluator pool.
    """
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return False
    # An expression in the server reads the task's data itself (a script works on a copy): no pop.
    return _plain(tree.body, helper_names) and not any(isinstance(node, ast.Attribute) and node.attr == "pop"
                                                       for node in ast.walk(tree))


def _plain(node: ast.AST, helper_names: frozenset[str], own: frozenset[str] | None = None) -> bool:
    """One node of a plain expression and everything under it (see :func:`is_plain`).

    ``own`` is set inside a comprehension's element: the loop variables it may use. There, literals
    may hold names (each element is built anew from distinct parts of one item, see
    :func:`_reads_each_part_once`); elsewhere literals of names could nest a value into an
    exponentially large shared structure that ``==`` or ``str()`` would walk.
    """
    if isinstance(node, _COMPREHENSIONS):
        return _plain_comprehension(node, helper_names)
    if isinstance(node, ast.Call):
        function = node.func
        if isinstance(function, ast.Name):
            callable_ok = function.id in _PLAIN_CALLS or function.id in helper_names
            if function.id in _COMBINING_CALLS:
                arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
                callable_ok = callable_ok and sum(not _constant(argument) for argument in arguments) <= 1
            if function.id == "sum":
                callable_ok = callable_ok and _sums_numbers(node)
        else:
            callable_ok = (isinstance(function, ast.Attribute) and function.attr in _PLAIN_METHODS
                           and _plain(function.value, helper_names, own))
        return callable_ok and all(_plain(arg, helper_names, own) for arg in node.args) \
            and all(_plain(keyword.value, helper_names, own) for keyword in node.keywords)
    if not isinstance(node, _PLAIN_NODES) or isinstance(node, ast.Expression):
        return False
    if isinstance(node, ast.Name) and own is not None and node.id not in own:
        return False
    if own is None and isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict) and not _constant(node):
        return False
    return all(_plain(child, helper_names, own) for child in ast.iter_child_nodes(node))


def _sums_numbers(node: ast.Call) -> bool:
    """``sum(x)`` or ``sum(x, 0)``: a start that is not a number would add sequences, each addition
    copying everything added so far (``sum(rows, [])`` is quadratic in one C-level call)."""
    starts = [*node.args[1:], *(keyword.value for keyword in node.keywords)]
    return all(isinstance(start, ast.Constant) and type(start.value) in (int, float) for start in starts)


def _plain_comprehension(node: Any, helper_names: frozenset[str]) -> bool:
    if len(node.generators) != 1 or node.generators[0].is_async:
        return False
    loop = node.generators[0]
    targets = [loop.target] if isinstance(loop.target, ast.Name) else \
        list(loop.target.elts) if isinstance(loop.target, ast.Tuple) else []
    if not targets or not all(isinstance(target, ast.Name) for target in targets):
        return False
    own = frozenset(target.id for target in targets)
    parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    return _plain(loop.iter, helper_names) and all(_plain(test, helper_names) for test in loop.ifs) \
        and all(_plain(part, helper_names, own) for part in parts) and _reads_each_part_once(parts, own)


def _reads_each_part_once(parts: list[ast.AST], own: frozenset[str]) -> bool:
    """True when no two reads of the loop variables in ``parts`` overlap: each is a path of constant
    keys (``c['name']``, ``c.get('rules', '')``) and none is the start of another (``c`` and
    ``c['name']``, or ``c['rows']`` twice, would put one part twice into the element; repeated over
    statements or nested comprehensions, that doubles a structure each time).
    """
    paths: list[tuple[Any, ...]] = []
    for part in parts:
        _collect_reads(part, own, paths)
    return not any(index != other and paths[other][:len(path)] == path
                   for index, path in enumerate(paths) for other in range(len(paths)))


def _collect_reads(node: ast.AST, own: frozenset[str], paths: list[tuple[Any, ...]]) -> None:
    path = _read_path(node, own)
    if path is not None:
        paths.append(path)
        return
    for child in ast.iter_child_nodes(node):
        _collect_reads(child, own, paths)


def _read_path(node: ast.AST, own: frozenset[str]) -> tuple[Any, ...] | None:
    """(name, key, key…) when ``node`` reads a loop variable through constant keys, else None."""
    if isinstance(node, ast.Name):
        return (node.id,) if node.id in own else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        base = _read_path(node.value, own)
        return None if base is None else (*base, node.slice.value)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and node.args and not node.keywords and all(isinstance(arg, ast.Constant) for arg in node.args)):
        base = _read_path(node.func.value, own)
        return None if base is None else (*base, node.args[0].value)
    return None


@lru_cache(maxsize=4096)
def is_plain_script(script: str, helper_names: frozenset[str]) -> bool:
    """True when every statement of ``script`` is an assignment (``=``, ``+=``, ``-=``) to a name or
    an item, an ``if``, a bare call or ``pass`` whose expressions are all plain (see :func:`is_plain`):
    no loops, nothing that one C-level operation could make unbounded. Such a script runs in the
    server, like a plain expression; every other script goes to the evaluator pool.
    """
    try:
        tree = ast.parse(script, mode="exec")
    except SyntaxError:
        return False
    return all(_plain_statement(statement, helper_names) for statement in tree.body)


def _plain_statement(node: ast.stmt, helper_names: frozenset[str]) -> bool:
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr):
        return _plain(node.value, helper_names)
    if isinstance(node, ast.Assign):
        return all(_plain_target(target, helper_names) for target in node.targets) and _plain(node.value, helper_names)
    if isinstance(node, ast.AugAssign):
        return isinstance(node.op, ast.Add | ast.Sub) and _plain_target(node.target, helper_names) \
            and _plain(node.value, helper_names)
    if isinstance(node, ast.If):
        return _plain(node.test, helper_names) and all(_plain_statement(child, helper_names)
                                                        for child in (*node.body, *node.orelse))
    return False


def _plain_target(node: ast.expr, helper_names: frozenset[str]) -> bool:
    if isinstance(node, ast.Name):
        return True
    return isinstance(node, ast.Subscript) and _plain(node.value, helper_names) and _plain(node.slice, helper_names)


def _constant(node: ast.AST) -> bool:
    return all(isinstance(child, ast.Constant | ast.List | ast.Tuple | ast.Set | ast.Dict | ast.Load)
               for child in ast.walk(node))


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that evaluates everything restricted and time-limited.

    With a ``pool`` (:class:`engine.runtime.isolation.EvaluatorPool`), scripts and every expression
    that is not plain run in a child process under operating-system limits on memory and CPU.
    ``bounded`` (the server's default): str(), comparisons, sorted, min and max refuse structures
    beyond the walking bounds; an evaluator process, under its own limits, runs without them.
    """

    def __init__(self, helpers: Mapping[str, Callable] | None = None,
                 cpu_seconds: float = DEFAULT_CPU_SECONDS, pool: Any = None, bounded: bool = True) -> None:
        super().__init__(dict(helpers or {}))
        self.cpu_seconds = cpu_seconds
        self.pool = pool
        self._base = _BOUNDED_GLOBALS if bounded else _BASE_GLOBALS
        self._helper_names = frozenset(self.globals)

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        if self.pool is not None and not is_plain(expression, self._helper_names):
            answer = self._in_pool({"mode": "eval", "source": expression, "context": context,
                                    "external": external_context or {}})
            return answer.get("value")
        code = compile_sandboxed(expression, "eval")
        scope = {**self._base, **self.globals, **(external_context or {}), **context}
        return _run_with_budget(code, scope, self.cpu_seconds, "eval")

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        if self.pool is not None and not is_plain_script(script, self._helper_names):
            answer = self._in_pool({"mode": "exec", "source": script, "context": context,
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
        _run_with_budget(code, scope, self.cpu_seconds, "exec")
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

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported")

    def _in_pool(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run a request in the evaluator pool; a failure is raised as the child's own exception type."""
        from engine.runtime.isolation import EvaluationFailed
        from engine.runtime.isolation import EvaluatorDied

        compile_sandboxed(request["source"], request["mode"])  # policy errors: here, with the line
        try:
            return self.pool.run(request, self.globals, self.cpu_seconds)
        except EvaluatorDied as died:
            raise ScriptTimeout(str(died)) if "CPU" in str(died) or "longer" in str(died) \
                else SandboxViolation(str(died)) from None
        except EvaluationFailed as failed:
            _raise_at_line(_as_exception(failed.kind, str(failed).split(": ", 1)[-1]), failed.line)
            raise  # not reached


def _as_exception(kind: str, message: str) -> BaseException:
    """The child's exception as a local one of the same type (a sandbox or builtin error)."""
    import builtins

    if kind == "MemoryError":  # the child's, not ours: the script asked for more than its limit
        return SandboxViolation("the script needed more memory than allowed")
    local = {cls.__name__: cls for cls in (ScriptTimeout, SandboxViolation, UnstorableValue)}
    cls = local.get(kind) or getattr(builtins, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = type(kind, (SandboxViolation,), {})
    try:
        return cls(message)
    except Exception:  # noqa: BLE001 - an exception type with another constructor
        return SandboxViolation(f"{kind}: {message}")


def _raise_at_line(error: BaseException, line: int) -> None:
    """Raise ``error`` from a frame of the sandbox's file name at ``line``, so the failing line is reported."""
    code = compile("\n" * (max(line, 1) - 1) + "raise error", SANDBOX_FILENAME, "exec")
    exec(code, {"error": error})


def evaluate_expression(expression: str, context: dict[str, Any], helpers: Mapping[str, Callable],
                        cpu_seconds: float = DEFAULT_CPU_SECONDS) -> Any:
    """Evaluate ``expression`` outside any workflow (a start condition), in process: it must be plain.

    :raises SandboxViolation: for an expression that is not plain (it would need an evaluator process).
    """
    if not is_plain(expression, frozenset(helpers)):
        raise SandboxViolation("a start condition must be a plain expression")
    return SandboxEnvironment(helpers, cpu_seconds).evaluate(expression, dict(context))


def make_script_engine(helpers: Mapping[str, Callable] | None = None,
                       cpu_seconds: float = DEFAULT_CPU_SECONDS, isolated: bool = False) -> PythonScriptEngine:
    """A SpiffWorkflow script engine whose every evaluation path runs in the sandbox.

    ``isolated``: scripts and non-plain expressions run in the shared evaluator pool.
    """
    pool = None
    if isolated:
        from engine.runtime.isolation import shared_pool

        pool = shared_pool()
    return PythonScriptEngine(environment=SandboxEnvironment(helpers, cpu_seconds, pool))
