"""The engine receives the party-building process through one registration point (engine.domain)
and runs without it: no party functions, no year plan form, no matrix columns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine import Engine
from engine import EngineSettings
from engine.errors import NotFound
from party import PARTY

ROOT = Path(__file__).resolve().parent.parent


def test_the_party_package_imports_on_its_own_and_registers_its_functions():
    found = subprocess.run([sys.executable, "-c", "import party; print(party.PARTY.name)"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "party"


def test_an_engine_without_a_domain_offers_only_its_own_functions(tmp_path):
    generic = Engine(EngineSettings(database_url=f"sqlite:///{tmp_path / 'generic.db'}"))
    party = Engine(EngineSettings(database_url=f"sqlite:///{tmp_path / 'party.db'}"), domain=PARTY)
    try:
        with generic.db.read() as session:
            own = set(generic.runs.functions(session, None))
        with party.db.read() as session:
            party_functions = set(party.runs.functions(session, None))
        assert "today" in own and "year_plan" not in own and "catalogue_options" not in own
        assert own < party_functions and {"year_plan", "quota_left", "collaborator_options"} <= party_functions
        assert generic.domain.milestone_nodes == () and generic.domain.application_steps == ()
    finally:
        generic.db.dispose()
        party.db.dispose()


def test_a_domain_without_a_year_plan_form_has_no_plan_form(engine, org):
    from party.demo.org import year_plan

    engine.set_reference("admin", "year:2008", year_plan())
    form, values = engine.plan_form("city", 2008)  # the party's engine shows the plan
    assert values["title"] and "catalogue" in form["properties"]
    generic = Engine(engine.settings, database=engine.db)
    with pytest.raises(NotFound) as refused:
        generic.plan_form("city", 2008)
    assert refused.value.params["what"] == "Year plan"  # the plan is there: the generic domain has no form


def test_process_data_and_grades_are_named_by_the_domain():
    assert PARTY.process_data(year=2008, unit_code="511802") == {"year": 2008, "applicant_unit": "511802"}
    assert PARTY.grade({"stage_grade": "合格", "benefit_rating": "优秀"}) == "优秀"
    assert PARTY.grade({"stage_grade": "合格"}) == "合格"
