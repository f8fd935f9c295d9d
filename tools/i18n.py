"""Collect every user-visible message and keep the Chinese catalogue complete.

Messages come from ``_()``/``gettext`` calls in ``web/`` (Python and templates), from the message
templates of engine errors (class attributes and the first argument of error constructors), from
the lint's problems (``found(...)`` calls) and phrases marked with ``phrase("...")``, from
upload refusals and from the form-validation messages. ``python -m tools.i18n`` adds the new ones
to ``web/translations/zh/LC_MESSAGES/messages.po`` with an empty translation (to fill in) and
lists them; a test fails while any message has no Chinese.
"""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
ERROR_CLASSES = {"EngineError", "NotFound", "NotAllowed", "Conflict", "TaskAlreadyHandled", "TaskClaimedByOther",
                 "InvalidState", "InvalidSubmission", "Refused", "DeploymentRefused", "ScriptFailed", "InvalidInput",
                 "LoginFailed", "AccountLocked", "NotAuthenticated", "InvalidUpload", "UploadRefused", "FieldError",
                 "XmlError", "FormSchemaError"}


def web_messages() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.do"}}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / "web"), method_map=method_map, options_map=options):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def engine_messages() -> set[str]:
    """Error templates: class-level ``template = "..."`` and literal first arguments of error calls."""
    found = set()
    for path in list((ROOT / "engine").rglob("*.py")) + list((ROOT / "forms").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") in ERROR_CLASSES | {"Exception"}
                                                      for b in node.bases):
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and getattr(statement.targets[0], "id", "") == "template":
                        text = _literal(statement.value)
                        if text:
                            found.add(text)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ERROR_CLASSES:
                texts = [_literal(arg) for arg in node.args] + [
                    _literal(kw.value) for kw in node.keywords if kw.arg in ("template", "reason")]
                found.update(t for t in texts if t and (" " in t or "%(" in t) and t[0].isupper())
                whats = [_literal(kw.value) for kw in node.keywords if kw.arg == "what"]
                found.update(what for what in whats if what)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "phrase" and node.args:
                found.add(_literal(node.args[0]) or "")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "found":  # lint problems
                found.update(t for t in map(_literal, node.args) if t and " " in t and t[0].isupper())
    from forms.validation import _TYPE_NAMES
    from forms.validation import MESSAGES

    found.update(MESSAGES.values())
    found.update(_TYPE_NAMES.values())
    return found


def all_messages() -> set[str]:
    return web_messages() | engine_messages()


def load_catalog() -> Catalog:
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="zh")


def missing(catalog: Catalog | None = None) -> list[str]:
    """Messages without a Chinese translation."""
    catalog = catalog or load_catalog()
    return sorted(m for m in all_messages() if not ((message := catalog.get(m)) and message.string))


def main() -> None:
    catalog = load_catalog()
    added = [m for m in sorted(all_messages()) if catalog.get(m) is None]
    for message in added:
        catalog.add(message, "")
    with CATALOG.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True)
    for message in missing(catalog):
        print(message)


if __name__ == "__main__":
    main()
