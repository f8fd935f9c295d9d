"""The documentation and the code stay in step.

- Every environment variable the application reads, and every engine setting, is listed in
  docs/operations.md, and everything listed there is read.
- Every function the engine hands to diagram scripts and expressions, and every built-in they may use,
  is listed in docs/diagrams.md, and everything listed there is available. The functions are found
  where SpiffWorkflow receives them, the script environment of a running process, not in the module
  that defines them today.
- Relative links in the README and docs/ lead to files (and headings) that exist.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import keyword
import os
import re
from pathlib import Path
from typing import Any

import click
import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine import Engine
from engine import EngineSettings

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "docs" / "operations.md"
DIAGRAMS = ROOT / "docs" / "diagrams.md"
# Folders whose Python is not the application (its tests, tools and third-party code).
NOT_APPLICATION = {"tests", "bench", "tools", "node_modules", "docs", "build", "dist", "instance"}
# Variables of the system, passed on rather than configured (the evaluator processes get PATH).
SYSTEM_VARIABLES = {"PATH"}


def documented(path: Path, heading: str) -> list[str]:
    """The names in the first column of the table under ``heading`` (up to the next heading)."""
    names, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            inside = line.strip() == heading
            continue
        match = re.match(r"\|\s*`([A-Za-z_][A-Za-z0-9_]*)", line)
        if inside and match:
            names.append(match.group(1))
    assert names, f"no table under {heading!r} in {path.name}"
    return names


# -- settings ---------------------------------------------------------------------------------


def application_sources() -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders
                         if not name.startswith(".") and name not in NOT_APPLICATION and not name.endswith(".egg-info")]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return found


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
        (isinstance(node, ast.Name) and node.id == "environ")


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def variables_read(source: str) -> set[str]:
    """Environment variables ``source`` reads by name: ``os.environ.get("X")``, ``os.environ["X"]``,
    ``os.environ.setdefault("X", …)``, ``os.getenv("X")``, ``"X" in os.environ``, ``envvar="X"``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            if (isinstance(function, ast.Attribute) and function.attr in ("get", "setdefault", "pop")
                    and _is_environ(function.value)) or \
                    (isinstance(function, ast.Attribute | ast.Name)
                     and getattr(function, "attr", getattr(function, "id", None)) == "getenv"):
                names.add(_literal(node.args[0]))
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            names.add(_literal(node.slice))
        if isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            names.add(_literal(node.left))
        if isinstance(node, ast.keyword) and node.arg == "envvar":
            names.add(_literal(node.value))
    return {name for name in names if name}


def command_variables(command: click.Command) -> set[str]:
    """The variables the options of ``command`` and its subcommands read."""
    names = set()
    for param in command.params:
        envvar = getattr(param, "envvar", None)
        names |= {envvar} if isinstance(envvar, str) else set(envvar or ())
    for sub in getattr(command, "commands", {}).values():
        names |= command_variables(sub)
    return names


def environment_variables() -> set[str]:
    from web.cli import main
    from web.config import SETTINGS

    names = set(SETTINGS) | command_variables(main)
    for path in application_sources():
        names |= variables_read(path.read_text(encoding="utf-8"))
    return names - SYSTEM_VARIABLES


def test_the_scan_finds_every_way_of_reading_a_variable() -> None:
    source = """
import os
from os import environ
a = os.environ.get("A")
b = os.environ["B"]
c = os.environ.setdefault("C", "x")
d = os.getenv("D")
e = "E" in os.environ
f = environ.get("F")
option = click.option("--g", envvar="G")
loop = [os.environ[key] for key in keys]
"""
    assert variables_read(source) == {"A", "B", "C", "D", "E", "F", "G"}


def test_every_environment_variable_is_documented_and_exists() -> None:
    listed = documented(OPERATIONS, "### Environment variables")
    read = environment_variables()
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert sorted(read - set(listed)) == [], "read by the code but not in docs/operations.md"
    assert sorted(set(listed) - read) == [], "in docs/operations.md but read nowhere"


def test_every_engine_setting_is_documented_and_exists() -> None:
    listed = documented(OPERATIONS, "### Engine settings")
    fields = {field.name for field in dataclasses.fields(EngineSettings)}
    assert len(listed) == len(set(listed)), "a setting is listed twice"
    assert sorted(fields - set(listed)) == [], "an EngineSettings field missing from docs/operations.md"
    assert sorted(set(listed) - fields) == [], "in docs/operations.md but not an EngineSettings field"


# -- functions for diagrams --------------------------------------------------------------------


@pytest.fixture
def script_environment(deployed: Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The script environment the engine hands to SpiffWorkflow when it runs a process."""
    made: list[PythonScriptEngine] = []
    original = PythonScriptEngine.__init__

    def recording(self: PythonScriptEngine, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(PythonScriptEngine, "__init__", recording)
    deployed.start("parent", "city", {})
    assert made, "starting a process made no script engine"
    return made[-1].environment


def available_builtins(environment: Any) -> set[str]:
    """The built-in names an expression can read in ``environment``."""
    found = set()
    for name in dir(builtins):
        if name.startswith("_") or keyword.iskeyword(name):
            continue
        try:
            environment.evaluate(f"{name} is None", {})
        except Exception:  # noqa: BLE001 - NameError, or refused by the sandbox: not available
            continue
        found.add(name)
    return found


def test_every_diagram_function_is_documented_and_exists(script_environment: Any) -> None:
    given = set(script_environment.globals)
    listed = documented(DIAGRAMS, "### Functions of the platform")
    assert given, "the script environment holds no functions"
    assert len(listed) == len(set(listed)), "a function is listed twice"
    assert sorted(given - set(listed)) == [], "given to scripts but not in docs/diagrams.md"
    assert sorted(set(listed) - given) == [], "in docs/diagrams.md but not given to scripts"


def test_every_builtin_scripts_may_use_is_documented(script_environment: Any) -> None:
    text = DIAGRAMS.read_text(encoding="utf-8").split("### Python built-ins", 1)[1].split("\n\n", 2)
    listed = set(re.findall(r"`([A-Za-z_]+)`", text[1]))
    available = available_builtins(script_environment)
    assert {"len", "sorted", "ValueError"} <= available  # the probe works
    assert sorted(available - listed) == [], "available to scripts but not in docs/diagrams.md"
    assert sorted(listed - available) == [], "in docs/diagrams.md but not available to scripts"


# -- links --------------------------------------------------------------------------------------


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "deploy" / "README.md"]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lstrip("#").strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {slug(line) for line in text.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _hash, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in anchors(linked)):
            broken.append(target)
    assert broken == []


def test_the_readme_is_read_in_five_minutes() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 120
