"""Field-level validation problems, as data."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem with one submitted field.

    ``path`` is dotted (``sub_items.0.owner``; '' is the whole form); ``template`` is the English
    message with ``%(name)s`` placeholders, the msgid the web layer translates.
    """

    path: str
    code: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        try:
            return self.template % self.params
        except (KeyError, TypeError, ValueError):
            return self.template


class FormSchemaError(Exception):
    """A form file is missing or is not a valid JSON Schema."""
