"""What sandboxed code runs with: guarded operators, bounded builtins and the globals of each evaluation."""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable
from typing import Any

from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Eval import default_guarded_getiter
from RestrictedPython.Guards import full_write_guard
from RestrictedPython.Guards import guarded_iter_unpack_sequence
from RestrictedPython.Guards import guarded_unpack_sequence
from RestrictedPython.Guards import safer_getattr

from engine.runtime.sandbox.budget import charge
from engine.runtime.sandbox.errors import SandboxViolation

MAX_SEQUENCE = 1_000_000
MAX_INT_BITS = 100_000
MAX_RANGE = 100_000
# In the server thread, an operation whose C code walks a whole structure (str(), a comparison, sorted,
# min, max) first checks, in traced steps, that the structure (shared parts counted each time they
# appear) stays within these bounds: one C-level call then holds the interpreter for milliseconds.
MAX_WALKED_NODES = 100_000
MAX_WALKED_TEXT = 2_000_000


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
    charge()
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
    charge()
    for seq, times in ((left, right), (right, left)):
        size = _size(seq)
        if size is not None and isinstance(times, int) and size * times > MAX_SEQUENCE:
            raise SandboxViolation("result of * is too large")
    return left * right


def _guarded_add(left: Any, right: Any) -> Any:
    charge()
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


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
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


BASE_GLOBALS: dict[str, Any] = {
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
BOUNDED_GLOBALS: dict[str, Any] = {
    **BASE_GLOBALS,
    "__builtins__": {**_builtins(), "str": _bounded_str, "sorted": _bounded_sorted, "min": _bounded_min,
                     "max": _bounded_max},
    "_compare_": _bounded_compare,
}
