"""Process versions in the administrators' hands: check an edited diagram, deploy it with a comment,
list, compare, download and roll back; running projects stay on their version."""

from __future__ import annotations

import pytest

from engine.errors import DeploymentRefused
from engine.errors import InvalidInput
from engine.errors import NotAllowed
from party.demo.driver import ProjectDriver

APPLICANT = "county1_applicant"
ORPHAN_TASK = ('<bpmn:userTask id="orphan_check" name="补充材料核查">'
               '<bpmn:extensionElements><spiffworkflow:properties>'
               '<spiffworkflow:property name="formJsonSchemaFilename" value="no_such_form.json"/>'
               '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')


def renamed_review(xml: str) -> str:
    return xml.replace('name="市委组织部审核"', 'name="市委组织部审核（复核）"', 1)


def test_check_locates_problems_without_storing_anything(party_engine):
    engine = party_engine
    file = engine.model_file("admin", "application_review")
    assert file.name == "application_review.bpmn" and file.version == 1
    broken = file.xml.replace("</bpmn:process>", ORPHAN_TASK + "</bpmn:process>", 1)
    problems = engine.check_model("admin", file.name, broken)
    assert problems and {p.element for p in problems} == {"orphan_check"}
    assert all(p.file == "application_review.bpmn" for p in problems)
    assert engine.check_model("admin", file.name, renamed_review(file.xml)) == []
    with pytest.raises(DeploymentRefused):
        engine.deploy_model("admin", file.name, broken, "加一个核查环节")
    assert [v.version for v in engine.process_versions("admin", "application_review")] == [1]
    with pytest.raises(NotAllowed):
        engine.check_model("city_org", file.name, file.xml)
    with pytest.raises(InvalidInput):
        engine.check_model("admin", "../evil.bpmn", file.xml)


def test_deploy_with_comment_new_projects_follow_running_ones_stay(party_engine):
    engine = party_engine
    party = ProjectDriver(engine)
    running = party.apply(APPLICANT, "第一版申报的项目")
    file = engine.model_file("admin", "application_review")
    with pytest.raises(InvalidInput):
        engine.deploy_model("admin", file.name, renamed_review(file.xml), "  ")
    deployed = engine.deploy_model("admin", file.name, renamed_review(file.xml), "市委审核改为复核")
    assert {(d.process_id, d.version) for d in deployed} >= {("application_review", 2), ("key_project", 2)}
    versions = engine.process_versions("admin", "key_project")
    assert [(v.version, v.current, v.comment, v.running) for v in versions] == [
        (2, True, "市委审核改为复核", 0), (1, False, None, 1)]
    newer = party.apply("county2_applicant", "第二版申报的项目")
    party.pass_review(APPLICANT, running)
    assert engine.instance("admin", running).version == 1 and engine.instance("admin", newer).version == 2
    events = engine.instance("admin", running).events
    assert "市委组织部审核" in [e.step_name for e in events]  # the old step name on the old version

    changes = engine.compare_versions("admin", "application_review", 1, 2)
    assert [(c.element_id, c.change) for c in changes] == [("city_review", "changed")]
    assert ("@name", "市委组织部审核", "市委组织部审核（复核）") in changes[0].properties


def test_rollback_makes_an_earlier_version_current_and_a_restart_keeps_it(party_engine, tmp_path):
    engine = party_engine
    file = engine.model_file("admin", "application_review")
    engine.deploy_model("admin", file.name, renamed_review(file.xml), "市委审核改为复核")
    engine.make_version_current("admin", "key_project", 1)
    assert [v.version for v in engine.process_versions("admin", "key_project") if v.current] == [1]
    party = ProjectDriver(engine)
    assert engine.instance("admin", party.apply(APPLICANT, "回退后的项目")).version == 1
    engine.make_version_current("admin", "key_project", 2)
    engine.deploy(shipped=True)  # a restart: the shipped files did not change
    assert [v.version for v in engine.process_versions("admin", "key_project") if v.current] == [2]
    assert engine.model_file("admin", "application_review").xml == renamed_review(file.xml)
    with pytest.raises(NotAllowed):
        engine.make_version_current("city_org", "key_project", 1)
