"""Moving running projects onto a newer version: preview, migrate, refuse, undo."""

from __future__ import annotations

import pytest

from engine import Engine
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import NotAllowed
from engine.service.versions import ModelFile
from party.demo.driver import ProjectDriver

APPLICANT = "county1_applicant"


def with_archive_step(xml: str) -> str:
    """application_review with a new city step 立项材料归档 between passing and the end."""
    xml = xml.replace('<bpmn:flowNodeRef>end_passed</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>end_passed</bpmn:flowNodeRef><bpmn:flowNodeRef>archive</bpmn:flowNodeRef>')
    xml = xml.replace('<bpmn:sequenceFlow id="flow_passed_end_passed" sourceRef="passed" targetRef="end_passed"/>',
                      '<bpmn:sequenceFlow id="flow_passed_end_passed" sourceRef="passed" targetRef="archive"/>'
                      '<bpmn:sequenceFlow id="flow_archive_end" sourceRef="archive" targetRef="end_passed"/>'
                      '<bpmn:userTask id="archive" name="立项材料归档"><bpmn:extensionElements>'
                      '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
                      'value="city_review.json"/></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')
    xml = xml.replace('<dc:Bounds x="2402" y="607" width="36" height="36"/>',
                      '<dc:Bounds x="2562" y="607" width="36" height="36"/>')
    return xml.replace('<bpmndi:BPMNEdge id="flow_passed_end_passed_di"',
                       '<bpmndi:BPMNShape id="archive_di" bpmnElement="archive"><dc:Bounds x="2380" y="585" '
                       'width="100" height="80"/></bpmndi:BPMNShape>'
                       '<bpmndi:BPMNEdge id="flow_archive_end_di" bpmnElement="flow_archive_end">'
                       '<di:waypoint x="2480" y="625"/><di:waypoint x="2562" y="625"/></bpmndi:BPMNEdge>'
                       '<bpmndi:BPMNEdge id="flow_passed_end_passed_di"', 1)


def leader_step_as_manual_task(xml: str) -> str:
    start = xml.index('<bpmn:userTask id="leader_approval"')
    end = xml.index("</bpmn:userTask>", start)
    return (xml[:start] + xml[start:end].replace("<bpmn:userTask", "<bpmn:manualTask", 1) + "</bpmn:manualTask>"
            + xml[end + len("</bpmn:userTask>"):])


@pytest.fixture
def two_versions(party_engine: Engine) -> tuple[ProjectDriver, int, ModelFile]:
    """A key project waiting at its leader's approval on version 1; version 2 adds 立项材料归档."""
    party = ProjectDriver(party_engine)
    running = party.apply(APPLICANT, "迁移前的项目")
    file = party_engine.model_file("admin", "application_review")
    party_engine.deploy_model("admin", file.name, with_archive_step(file.xml), "审核通过后增加立项材料归档")
    return party, running, file


def test_preview_says_where_it_stands_and_what_comes_next(two_versions):
    party, running, _file = two_versions
    plans = party.engine.version_change_preview("admin", "key_project", 2)
    assert [(p.instance_id, p.from_version, p.to_version, p.now_at, p.next_steps, p.refusals) for p in plans] == [
        (running, 1, 2, ["分管领导审批"], ["分管领导审批"], [])]
    assert party.engine.instance("admin", running).version == 1  # nothing stored
    with pytest.raises(NotAllowed):
        party.engine.version_change_preview("city_org", "key_project", 2)


def test_a_migrated_project_continues_on_the_new_version(two_versions):
    party, running, _file = two_versions
    with pytest.raises(InvalidInput):
        party.engine.change_version("admin", "key_project", 2, [running], " ")
    [result] = party.engine.change_version("admin", "key_project", 2, [running], "按新流程归档立项材料")
    assert result.moved and party.engine.instance("admin", running).version == 2
    assert party.engine.version_change_preview("admin", "key_project", 2) == []
    party.pass_review(APPLICANT, running)
    assert party.steps(running) == ["archive"]  # the step version 2 added
    party.do("city_org", "archive", running, {"decision": "pass", "opinion": "材料已归档"})
    assert party.steps(running) == ["assign_panel"]
    events = party.engine.instance("admin", running).events
    migrated = next(e for e in events if e.kind == "migrated")
    assert migrated.reason == "按新流程归档立项材料" and migrated.data == {"from": 1, "to": 2}
    with pytest.raises(InvalidState):  # steps ran on version 2: no way back
        party.engine.revert_version_change("admin", running, "撤销")


def test_undo_while_nothing_ran_on_the_new_version(two_versions):
    party, running, _file = two_versions
    party.engine.change_version("admin", "key_project", 2, [running], "试迁移")
    party.engine.revert_version_change("admin", running, "撤销试迁移")
    assert party.engine.instance("admin", running).version == 1
    party.pass_review(APPLICANT, running)
    assert party.steps(running) == ["assign_panel"]  # version 1: no archive step
    with pytest.raises(InvalidState):
        party.engine.revert_version_change("admin", running, "再撤销")


def test_a_project_whose_active_step_changed_kind_is_refused(two_versions):
    party, running, file = two_versions
    current = party.engine.model_file("admin", "application_review").xml
    party.engine.deploy_model("admin", file.name, leader_step_as_manual_task(current), "领导审批改为线下")
    [plan] = party.engine.version_change_preview("admin", "key_project", 3)
    assert plan.refusals == [("changed_kind", "分管领导审批")]
    [result] = party.engine.change_version("admin", "key_project", 3, [running], "试迁移")
    assert not result.moved and party.engine.instance("admin", running).version == 1
    assert result.refusals == [("changed_kind", "分管领导审批")]
