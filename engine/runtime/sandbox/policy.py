"""The compile-time policy: RestrictedPython's rules plus ours (no imports, no try, guarded arithmetic)."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from functools import lru_cache
from types import CodeType

from RestrictedPython.compile import compile_restricted_eval
from RestrictedPython.compile import compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer

SANDBOX_FILENAME = "<string>"  # SpiffWorkflow looks for this name to report the failing line


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


def _first_line(errors: Sequence[str]) -> int:
    for message in errors:
        marker = "Line "
        if marker in message:
            digits = message.split(marker, 1)[1].split(":", 1)[0]
            if digits.isdigit():
                return int(digits)
    return 0
