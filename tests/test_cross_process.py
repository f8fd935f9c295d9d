"""Steps finished in another server process: every loop and multi-instance step goes on.

A second gunicorn worker, or the same one after a restart, restores the state onto spec objects it
parsed itself. SpiffWorkflow wires the merge of a finished loop child on the spec lazily, when a
process creates the children, so these tests create the children in one engine (or parsed model)
and finish them in others.
"""

from __future__ import annotations

import pytest

from engine.runtime.serialization import dump_state
from engine.runtime.serialization import load_state
from engine.runtime.specs import parse_model
from engine.runtime.workflow import ProcessRun
from party.demo.driver import ProjectDriver
from party.demo.driver import fresh_engine
from party.demo.submissions import GOOD_SCORE
from party.demo.submissions import score_sheet
from tests.test_workflows import APPLICANT
from tests.test_workflows import approved_project

LOOPS = {
    "parallel": '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>panel</bpmn:loopDataInputRef>'
                '<bpmn:loopDataOutputRef>scores</bpmn:loopDataOutputRef><bpmn:inputDataItem id="member" '
                'name="member"/><bpmn:outputDataItem id="score" name="score"/></bpmn:multiInstanceLoopCharacteristics>',
    "sequential": '<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopDataInputRef>panel'
                  '</bpmn:loopDataInputRef><bpmn:loopDataOutputRef>scores</bpmn:loopDataOutputRef>'
                  '<bpmn:inputDataItem id="member" name="member"/><bpmn:outputDataItem id="score" name="score"/>'
                  '</bpmn:multiInstanceLoopCharacteristics>',
    "standard": '<bpmn:standardLoopCharacteristics loopMaximum="3"/>',
}


def loop_bundle(loop: str) -> dict[str, dict[str, str]]:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="looping" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work" name="评分"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      {LOOPS[loop]}</bpmn:userTask>
    <bpmn:userTask id="after" name="决定"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="after"/>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""
    return {"bpmn": {"looping.bpmn": xml}}


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_each_loop_child_finished_on_freshly_parsed_specs_is_merged(loop):
    bundle = loop_bundle(loop)
    run = ProcessRun.start(parse_model(bundle, "looping"), {"panel": ["p1", "p2", "p3"]})
    state = dump_state(run.workflow)
    for _ in range(3):  # each child in a "process" of its own: a new parse, a restored state
        model = parse_model(bundle, "looping")
        run = ProcessRun(model, load_state(state, model.spec, model.subprocess_specs))
        ready = run.ready_tasks()
        assert [task.meta.bpmn_id for task in ready][:1] == ["work"], loop
        run.complete(ready[0].id, {"score": 80})
        state = dump_state(run.workflow)
    model = parse_model(bundle, "looping")
    run = ProcessRun(model, load_state(state, model.spec, model.subprocess_specs))
    assert [task.meta.bpmn_id for task in run.ready_tasks()] == ["after"]


def finish_in_other_engines(party: ProjectDriver, instance_id: int, bpmn_id: str, members: list[str],
                            data: dict) -> None:
    """The first member in the engine that created the children, each other one in a fresh engine."""
    party.do(members[0], bpmn_id, instance_id, data)
    for member in members[1:]:
        with fresh_engine(party.engine) as other:
            other.complete(member, party.task(member, bpmn_id, instance_id).id, data)


def test_argumentation_scores_from_several_processes_reach_the_decision(party):
    party.cold = False
    instance_id = party.apply(APPLICANT, "党员党性定期分析试点")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    finish_in_other_engines(party, instance_id, "panel_score", party.panel,
                            {"recuse": False, "score": 85, "opinion": "方案可行，建议立项。"})
    assert party.steps(instance_id) == ["panel_opinion"]  # the 组长's collective opinion


def test_acceptance_scores_from_several_processes_reach_the_leaders_summary(party):
    party.cold = False
    instance_id = approved_project(party)
    party.at("2008-04-21")
    party.report(instance_id, APPLICANT)
    party.at("2008-05-19")
    party.apply_for_acceptance(instance_id)
    sheet = party.engine.task("panel1", party.task("panel1", "score", instance_id).id).values["criteria"]
    finish_in_other_engines(party, instance_id, "score", party.panel, score_sheet(GOOD_SCORE, sheet))
    assert "leader_summary" in party.steps(instance_id)


def test_a_collaborators_input_finished_in_another_process_reaches_the_county(party):
    party.cold = False
    instance_id = approved_project(party)
    party.implement(instance_id, APPLICANT)
    party.at("2008-12-08")
    party.self_evaluate(instance_id)
    assert "collaborator_input" in party.steps(instance_id)
    with fresh_engine(party.engine) as other:
        task = party.task("dept1_applicant", "collaborator_input", instance_id)
        other.complete("dept1_applicant", task.id, {"contribution": "按约定提供政策支持。", "assessment": "good"})
    assert party.steps(instance_id) == ["county_assessment"]
