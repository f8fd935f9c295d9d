"""What the lint knows about the code in diagrams beyond its syntax: the language an expression that
is not Python was written in (FEEL, XPath, plain words), and the names no script here can read.

Scripts see the process data, the helper functions the engine registers and the sandbox's
built-ins. Process data can hold any name a form, a script or a start request puts there, so the
check is conservative: it flags only names that can never exist here (modules that other engines
put in scope, such as ``datetime`` in SpiffWorkflow's default environment, and the built-ins the
sandbox leaves out on purpose, such as ``locals``), unless something in the same files assigns them.
"""

from __future__ import annotations

import ast
import re

from engine.errors import phrase

# Modules that other script environments offer and that cannot be imported here.
MODULES = frozenset({"datetime", "time", "math", "json", "os", "sys", "re", "random", "decimal", "uuid",
                     "collections", "itertools", "functools", "dateutil", "pytz", "timedelta", "Decimal",
                     "subprocess", "requests"})
# Built-ins the sandbox leaves out: introspection, evaluation, files and output.
HIDDEN_BUILTINS = frozenset({"locals", "globals", "vars", "eval", "exec", "compile", "open", "print", "getattr",
                             "setattr", "delattr", "hasattr", "dir", "breakpoint", "exit", "quit", "help",
                             "__import__", "memoryview"})
NEVER_DEFINED = MODULES | HIDDEN_BUILTINS

FEEL, XPATH, PLAIN = phrase("FEEL"), phrase("XPath"), phrase("plain language")
# Languages named by an expression's language attribute (or the definitions' expressionLanguage).
_LANGUAGE_WORDS = (("feel", FEEL), ("xpath", XPATH), ("javascript", "JavaScript"), ("groovy", "Groovy"),
                   ("juel", "JUEL"), ("ecmascript", "JavaScript"))
_XPATH_CALLS = re.compile(r"\b(getDataObject|getDataInput|getDataOutput|getActivityProperty)\s*\(|\bbpmn:|\bfn:")
_XPATH = re.compile(r"getDataObject\s*\(|\bbpmn:|^\s*/|\bfn:|\$\w+|\bstring\s*\(|\bnumber\s*\(")
# FEEL: a leading '=' (Camunda 8), a lone '=' comparison, ranges [a..b], not(...), 'instance of'.
_FEEL = re.compile(r"^\s*=|(?<![=!<>])=(?!=)|\.\.|\bnot\s*\(|\binstance of\b|\bdate and time\s*\(")
_WORDS = re.compile(r"[\u4e00-\u9fff]|\b[A-Za-z]+\s+[A-Za-z]+\s+[A-Za-z]+\b")


def language_of(text: str, declared: str | None, compiles: bool) -> str | None:
    """The language an expression is written in when that is not Python, or None when it is
    Python (perhaps with a mistake, which its syntax error then names).

    Text that compiles as Python is still XPath when it calls XPath's functions, and plain words
    when it reads names in Chinese (``金额大于一万元`` is a valid Python name, and no data holds it).
    """
    if compiles:
        if _XPATH_CALLS.search(text):
            return XPATH
        return PLAIN if any(not name.isascii() for name in names_read(text, "eval")) else None
    for word, language in _LANGUAGE_WORDS:
        if declared and word in declared.lower():
            return language
    if _XPATH.search(text):
        return XPATH
    if _FEEL.search(text):
        return FEEL
    if _WORDS.search(text):
        return PLAIN
    return None


# FEEL words and operators with their Python spelling, for an example made of the user's own condition.
_FEEL_TO_PYTHON = ((re.compile(r"^\s*="), ""), (re.compile(r"(?<![=!<>])=(?!=)"), "=="),
                   (re.compile(r"\btrue\b"), "True"), (re.compile(r"\bfalse\b"), "False"),
                   (re.compile(r"\bnull\b"), "None"), (re.compile(r"\bnot\s*\("), "not ("))


def in_python(text: str, language: str) -> str | None:
    """``text`` (a FEEL condition) spelled in Python when that is a plain rewrite, else None."""
    if language != FEEL:
        return None
    for pattern, python in _FEEL_TO_PYTHON:
        text = pattern.sub(python, text)
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    return text.strip()


def names_read(text: str, mode: str) -> set[str]:
    """Names ``text`` reads that it does not assign itself (empty when it does not parse)."""
    try:
        tree = ast.parse(text, mode=mode)
    except SyntaxError:
        return set()
    read: set[str] = set()
    written: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else written).add(node.id)
        elif isinstance(node, ast.arg):
            written.add(node.arg)
    return read - written


def names_assigned(text: str, mode: str) -> set[str]:
    """Names ``text`` assigns (what a script leaves in the process data)."""
    try:
        tree = ast.parse(text, mode=mode)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
