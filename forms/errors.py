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
        return fill(self.template, self.params)


def fill(template: str, params: dict[str, Any]) -> str:
    """``template % params``, or the template itself when the parameters do not fit it."""
    try:
        return template % params if params else template
    except (KeyError, TypeError, ValueError):
        return template


class FormSchemaError(Exception):
    """A form file is missing or is not a valid JSON Schema: an English ``template`` with its
    ``params``, the msgid the web layer translates."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(fill(template, params))
