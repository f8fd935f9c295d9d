"""The one registration point of a domain: what an organisation's process adds to the generic engine.

The engine runs any configuration of diagrams and forms; what it needs to know of the process
beyond them (the functions its diagrams call, the layout of its year plan, the columns of the
matrix chart, which steps file the application, which process data names the project's unit, …)
it receives here, as one ``Domain`` passed to ``Engine(settings, domain=...)``. A domain package
(``party`` for the party-building process) builds one; the engine never imports such a package.
``GENERIC`` is what an engine runs with when it is given none: no functions beyond the engine's
own, no year plan form, no matrix columns.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

from forms import FieldError

if TYPE_CHECKING:  # the library class is the engine's; only its type is named here
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class MilestoneNode:
    """A column of the matrix chart: the steps whose completion reaches it, and where the year
    plan's calendar plans it (a path into ``calendar``; None: the due date of the step itself).
    The node keyed ``closed`` is reached when the project closes."""

    key: str
    steps: frozenset[str]  # BPMN ids
    plan: tuple[Any, ...] | None = None
    window: tuple[Any, ...] | None = None  # calendar path of the date the node's window opens
    next_window: tuple[Any, ...] | None = None  # ... and of the next one of the same steps


@dataclass(frozen=True)
class YearPlanSchema:
    """How a year plan (stored whole under ``year:YYYY`` in the reference data) is edited through a
    form. The engine itself reads only the plan's ``calendar`` (the matrix's dates, the application
    deadline ``application_close``) and ``reminders``."""

    form_file: str  # the plan form, in the settings' forms folder
    to_form: Callable[[dict[str, Any]], dict[str, Any]]  # stored plan -> the form's values
    from_form: Callable[[int, dict[str, Any], dict[str, Any]], dict[str, Any]]  # (year, values, before) -> plan
    problems: Callable[[dict[str, Any]], list[FieldError]]  # what the form's schema cannot check
    with_choices: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]  # (form, plan) -> form


@dataclass(frozen=True)
class ExpectedApplication:
    """Every unit in scope with an active applicant (of ``unit_kind``, if given) is expected to file
    an application of process kind ``kind`` each year; supervision lists those that have not once
    the year's application window closed."""

    kind: str
    unit_kind: str | None = None


# Instance column <- process data key, for a process whose data names them as the columns do.
GENERIC_BUSINESS_FIELDS: Mapping[str, str] = {
    "title": "title", "year": "year", "sector": "sector", "kind": "kind", "unit_code": "unit_code",
    "responsible": "responsible", "status_text": "status_text",
}


class FunctionLibrary(Protocol):
    """The functions diagrams may call, bound to one transaction's session and instance (the engine's
    ``engine.service.diagram_functions.DiagramFunctions`` or a domain's subclass of it)."""

    def __init__(self, session: Session, instance_id: int | None) -> None: ...

    def as_dict(self) -> dict[str, Callable[..., Any]]:
        """The exported functions by name."""
        ...


@dataclass(frozen=True)
class Domain:
    """An organisation's process as the engine sees it.

    ``functions``: the library class of the functions diagrams may call (its ``EXPORTED`` names),
    a subclass of the engine's ``DiagramFunctions`` instantiated per use case with the transaction's
    session; None: the engine's own functions only.
    ``business_fields``: instance column <- process data key; lists and filters read the columns
    instead of deserializing workflows (columns beyond the instance's own are kept in ``business``).
    """

    name: str = "generic"
    functions: type[FunctionLibrary] | None = None
    business_fields: Mapping[str, str] = field(default_factory=lambda: dict(GENERIC_BUSINESS_FIELDS))
    year_plan: YearPlanSchema | None = None
    milestone_nodes: tuple[MilestoneNode, ...] = ()
    # The steps whose form is the project's application, as filed (printed on A4).
    application_steps: tuple[str, ...] = ()
    # Applications supervision expects of each unit every year, in the order it lists them.
    expected_applications: tuple[ExpectedApplication, ...] = ()
    # The steps whose submitted forms are a project's approval (its sub-items and quality nodes) and
    # its progress reports (each quality node's status), for the project's own matrix; None: none.
    quality_steps: tuple[str, str] | None = None
    # Business fields holding a project's grade, the first one set wins (the ledger's grade column).
    grade_keys: tuple[str, ...] = ()
    # Choices of the ledger's catalogue filter beyond the year plans' catalogue (code -> name).
    extra_catalogue: Mapping[str, str] = field(default_factory=dict)

    def process_data(self, **columns: Any) -> dict[str, Any]:
        """Instance columns (``year=2008, unit_code=...``) as the process data names them, for
        expressions evaluated without the workflow."""
        return {self.business_fields.get(column, column): value for column, value in columns.items()}

    def grade(self, business: Mapping[str, Any]) -> str | None:
        """The project's grade: the first of ``grade_keys`` its business fields set."""
        return next((str(business[key]) for key in self.grade_keys if business.get(key)), None)


GENERIC = Domain()
