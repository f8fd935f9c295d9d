"""Field views: what a template needs to draw a form, computed from the schema, values and errors.

No HTML here: the web layer's macros turn each :class:`FieldView` into inputs. Arrays of objects
become tables with one row per item plus a blank template row for adding rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from forms.errors import FieldError
from forms.options import table_rows

INDEX_PLACEHOLDER = "__index__"


@dataclass
class FieldView:
    name: str
    key: str
    label: str
    help: str
    widget: str
    required: bool
    value: Any
    errors: list[FieldError] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)
    columns: list[FieldView] = field(default_factory=list)
    rows: list[list[FieldView]] = field(default_factory=list)
    blank_rows: list[list[FieldView]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    readonly: bool = False
    fixed_rows: bool = False  # a table whose rows the process gives: none added or removed

    @property
    def values(self) -> list[str]:
        """The value as a list of strings, for multi-selects."""
        if isinstance(self.value, list):
            return [str(v) for v in self.value]
        return [] if self.value in (None, "") else [str(self.value)]

    @property
    def text(self) -> str:
        return "" if self.value is None else str(self.value)


def _choices(schema: dict[str, Any]) -> list[tuple[str, str]]:
    labels = schema.get("x-enum-labels", {})
    return [(str(value), str(labels.get(str(value), value))) for value in schema.get("enum", []) if value is not None]


def _widget(schema: dict[str, Any]) -> str:
    declared = schema.get("x-widget")
    if declared:
        return str(declared)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if schema.get("readOnly"):
        return "readonly"
    if kind == "array":
        items = schema.get("items", {})
        return "table" if items.get("type") == "object" else "multiselect"
    if "enum" in schema:
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return kind
    if schema.get("format") == "date":
        return "date"
    return "text"


def _attrs(schema: dict[str, Any]) -> dict[str, Any]:
    names = {"minimum": "min", "maximum": "max", "minLength": "minlength", "maxLength": "maxlength"}
    attrs = {html: schema[key] for key, html in names.items() if key in schema}
    if schema.get("type") == "integer":
        attrs["step"] = 1
    return attrs


def _errors_for(path: str, errors: list[FieldError]) -> list[FieldError]:
    return [error for error in errors if error.path == path]


def build_field(key: str, schema: dict[str, Any], value: Any, required: bool, errors: list[FieldError],
                prefix: str = "") -> FieldView:
    name = f"{prefix}.{key}" if prefix else key
    widget = _widget(schema)
    view = FieldView(name=name, key=key, label=schema.get("title", key), help=schema.get("description", ""),
                     widget=widget, required=required, value=value, errors=_errors_for(name, errors),
                     choices=_choices(schema.get("items", {}) if widget == "multiselect" else schema),
                     attrs=_attrs(schema), readonly=bool(schema.get("readOnly")))
    if widget == "table":
        # A table whose rows the process gives is drawn with those rows whatever the value holds (a
        # draft, a submission sent back with errors): the fixed columns are never posted.
        value = view.value = table_rows(schema, value)
        items = schema.get("items", {})
        view.columns = build_fields(items, {}, [], f"{name}.{INDEX_PLACEHOLDER}")
        view.rows = [build_fields(items, row if isinstance(row, dict) else {}, errors, f"{name}.{index}")
                     for index, row in enumerate(value if isinstance(value, list) else [])]
        view.attrs.update({k: schema[k] for k in ("minItems", "maxItems") if k in schema})
        # Blank rows let rows be added without JavaScript; rows left empty are ignored on submit.
        view.fixed_rows = "x-rows" in schema
        count = 0 if view.fixed_rows else max(1 if view.rows else 2, schema.get("minItems", 0) - len(view.rows))
        view.blank_rows = [build_fields(items, {}, [], f"{name}.{index}")
                           for index in range(len(view.rows), len(view.rows) + count)]
        # nested errors are shown in their cells; errors about the table itself stay on it
    return view


def build_fields(schema: dict[str, Any], values: dict[str, Any], errors: list[FieldError],
                 prefix: str = "") -> list[FieldView]:
    """One view per property of an object schema, in schema order."""
    required = set(schema.get("required", []))
    return [build_field(key, prop, values.get(key), key in required, errors, prefix)
            for key, prop in schema.get("properties", {}).items()]


def form_errors(errors: list[FieldError], fields: list[FieldView]) -> list[FieldError]:
    """Errors that belong to no drawn field (e.g. about the form as a whole), to show at the top."""
    shown: set[str] = set()

    def collect(views: list[FieldView]) -> None:
        for view in views:
            shown.add(view.name)
            for row in view.rows:
                collect(row)

    collect(fields)
    return [error for error in errors if error.path not in shown]


def _display_value(schema: dict[str, Any], value: Any) -> Any:
    labels = schema.get("x-enum-labels") or {}
    if schema.get("x-widget") == "files" and isinstance(value, list):
        return [item.get("name", "") for item in value if isinstance(item, dict)]
    if schema.get("type") == "array" and isinstance(value, list):
        items = schema.get("items", {})
        if items.get("type") == "object":
            return [describe(items, row) for row in value if isinstance(row, dict)]
        item_labels = items.get("x-enum-labels") or {}
        return [item_labels.get(str(v), v) for v in value]
    if isinstance(value, bool):
        return value
    return labels.get(str(value), value)


def describe(schema: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, shown value) for every field of ``schema`` present in ``data``, in form order."""
    out = []
    for key, prop in schema.get("properties", {}).items():
        if key in data and data[key] not in (None, "", []):
            out.append((prop.get("title", key), _display_value(prop, data[key])))
    return out
