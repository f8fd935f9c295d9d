"""The party-building process (党建项目) as a domain of the engine: the functions its diagrams call,
its year plan, the columns of its matrix chart, its application steps and grades, and the demo.

``PARTY`` is what ``Engine(settings, domain=PARTY)`` receives; the engine never imports this package.
"""

from __future__ import annotations

from engine.domain import Domain
from engine.domain import ExpectedApplication
from party.functions import OWN_PROJECT
from party.functions import PartyFunctions
from party.matrix_nodes import NODES
from party.year_plan import YEAR_PLAN

# Instance column <- process data key. Lists read these instead of deserializing workflows.
BUSINESS_FIELDS = {
    "title": "title",
    "year": "year",
    "sector": "sector",
    "kind": "application_kind",
    "unit_code": "applicant_unit",
    "responsible": "responsible_person",
    "status_text": "status_text",
    "catalogue": "catalogue_project",
    "stage_grade": "stage_grade",
    "benefit_rating": "benefit_rating",
}

PARTY = Domain(
    name="party",
    functions=PartyFunctions,
    business_fields=BUSINESS_FIELDS,
    year_plan=YEAR_PLAN,
    milestone_nodes=NODES,
    # The steps whose form is the application (申报书) of a key project or a demonstration project.
    application_steps=("submit_key", "submit_demo"),
    # Every unit with an applicant files a key project a year; every county a 示范片/带 as well.
    expected_applications=(ExpectedApplication("key_project"), ExpectedApplication("demonstration", "county")),
    # 立项 (the approved sub-items and quality nodes) and the quarterly reports (each node's status).
    quality_steps=("approve", "report"),
    # The benefit evaluation's rating once there is one, else the grade of the latest acceptance stage.
    grade_keys=("benefit_rating", "stage_grade"),
    extra_catalogue={"own": OWN_PROJECT},
)
