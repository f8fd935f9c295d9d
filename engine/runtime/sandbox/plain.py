"""The fast path: which expressions and scripts are plain, bounded enough to run in the server process."""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

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
    names = [target for target in targets if isinstance(target, ast.Name)]
    if not targets or len(names) != len(targets):
        return False
    own = frozenset(target.id for target in names)
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
            and node.args and not node.keywords and isinstance(node.args[0], ast.Constant)
            and all(isinstance(arg, ast.Constant) for arg in node.args)):
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
