"""People's and units' names as pages show them, looked up in the names a view hands over.

A view that shows people asks the engine for its directory once (:func:`names`) and passes it on:
to its template as ``names`` (the filters of :mod:`web.formatting` read it from there) and to the
exports and error messages it builds. Rendering a page never calls back into the engine.
"""

from __future__ import annotations

from flask_babel import gettext

from engine.service import Directory
from web.services import engine


def names() -> Directory:
    """Everyone's display name and unit, and every unit's name (the engine keeps them a few seconds)."""
    return engine().directory()


def person(names: Directory, username: str | None) -> str:
    """王芳（雨城区委组织部） for ``wangfang``; the name itself when nobody has it (系统, a removed user)."""
    if not username:
        return ""
    found = names.people.get(username)
    if found is None:
        return gettext("System") if username == "system" else username
    name, unit = found
    return f"{name}（{unit}）" if unit else name


def person_name(names: Directory, username: str | None) -> str:
    """The display name alone (where the unit is obvious)."""
    if not username:
        return ""
    found = names.people.get(username)
    return found[0] if found else (gettext("System") if username == "system" else username)


def unit_name(names: Directory, code: str | None) -> str:
    """雨城区委组织部 for its code; the code itself when no unit has it."""
    return names.units.get(code or "", code or "")
