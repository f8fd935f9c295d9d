"""Running instances through the engine: tasks, scope, data, quotas, errors, suspension."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from engine import clock
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import InvalidSubmission
from engine.errors import NotAllowed
from engine.errors import NotFound
from engine.errors import Refused
from engine.errors import TaskAlreadyHandled
from engine.errors import TaskClaimedByOther
from engine.runtime.specs import parse_model
from engine.runtime.workflow import ProcessRun
from tests.helpers import do
from tests.helpers import open_tasks
from tests.helpers import steps
from tests.helpers import task_named
from tests.test_serialization import CASES

APPLICATION = {"title": "党员党性定期分析试点", "plan": "目标体系、保证体系、考核体系、支撑体系、效益评估体系"}


def start_application(engine, user="app1", unit="511802", **extra):
    data = {"applicant_unit": unit, "year": 2008, "review_deadline": "2008-04-30", **extra}
    return engine.start("approval", user, data)


def test_happy_path_records_steps_tasks_and_audit(deployed):
    instance_id = start_application(deployed)
    assert steps(deployed, instance_id) == ["submit"]
    do(deployed, "app1", "submit", **APPLICATION)
    assert steps(deployed, instance_id) == ["county_review"]
    do(deployed, "county1", "county_review", decision="approve", opinion="同意")
    do(deployed, "city", "city_review", decision="approve")
    view = deployed.instance("admin", instance_id)
    assert view.status == "completed" and view.steps == [] and view.completed_at is not None
    assert view.title == APPLICATION["title"] and view.year == 2008 and view.unit_code == "511802"
    assert [m[0] for m in view.milestones] == ["submitted", "approved"]
    kinds = [event.kind for event in view.events]
    assert kinds.count("task_completed") == 3 and kinds[0] == "started" and kinds[-1] == "completed"
    submitted = next(e for e in view.events if e.kind == "task_completed")
    assert submitted.actor == "app1" and submitted.data == APPLICATION


def test_return_for_revision_keeps_every_round(deployed):
    instance_id = start_application(deployed)
    do(deployed, "app1", "submit", **APPLICATION)
    do(deployed, "county1", "county_review", decision="return", opinion="请补充考核指标")
    assert steps(deployed, instance_id) == ["submit"]
    detail = deployed.task("app1", task_named(deployed, "app1", "submit").id)
    assert detail.values["title"] == APPLICATION["title"]  # the form comes back filled in
    assert any(s.data.get("opinion") == "请补充考核指标" for s in detail.history)
    do(deployed, "app1", "submit", title=APPLICATION["title"], plan=APPLICATION["plan"] + "，已补充考核指标")
    submissions = [e for e in deployed.instance("admin", instance_id).events
                   if e.kind == "task_completed" and e.bpmn_id == "submit"]
    assert len(submissions) == 2 and submissions[0].data["plan"] != submissions[1].data["plan"]


def test_another_county_can_neither_list_nor_complete(deployed):
    start_application(deployed)
    do(deployed, "app1", "submit", **APPLICATION)
    assert [r.bpmn_id for r in open_tasks(deployed, "county1")] == ["county_review"]
    assert open_tasks(deployed, "county2") == []
    task_id = task_named(deployed, "county1", "county_review").id
    with pytest.raises(NotAllowed):
        deployed.complete("county2", task_id, {"decision": "approve"})
    with pytest.raises(NotAllowed):
        deployed.task("county2", task_id)
    with pytest.raises(NotAllowed):
        deployed.complete("app2", task_id, {"decision": "approve"})
    assert task_named(deployed, "county1", "county_review").status == "open"


def test_applicant_sees_only_own_unit_tasks(deployed):
    start_application(deployed, user="app1", unit="511802")
    start_application(deployed, user="app2", unit="511803")
    assert len(open_tasks(deployed, "app1")) == 1
    assert len(open_tasks(deployed, "app1b")) == 1  # a colleague in the same unit shares the group task
    assert len(open_tasks(deployed, "app2")) == 1
    assert open_tasks(deployed, "town1") == []  # a township is below the county, not above it


def test_invalid_submission_changes_nothing(deployed):
    instance_id = start_application(deployed)
    row = task_named(deployed, "app1", "submit")
    with pytest.raises(InvalidSubmission) as caught:
        deployed.complete("app1", row.id, {"title": "x", "budget": "lots", "secret": 1})
    errors = caught.value.by_field()
    assert set(errors) == {"title", "plan", "budget", ""}
    assert "secret" in errors[""]
    assert steps(deployed, instance_id) == ["submit"]
    assert [e.kind for e in deployed.instance("admin", instance_id).events] == ["started"]


def test_completed_task_cannot_be_completed_again(deployed):
    start_application(deployed)
    row = task_named(deployed, "app1", "submit")
    deployed.complete("app1", row.id, APPLICATION)
    with pytest.raises(TaskAlreadyHandled) as caught:
        deployed.complete("app1", row.id, APPLICATION)
    assert "app1" in caught.value.message


def test_claim_and_unclaim(deployed):
    start_application(deployed)
    row = task_named(deployed, "app1", "submit")
    deployed.claim("app1", row.id)
    assert [r.id for r in deployed.inbox("app1", "mine").rows] == [row.id]
    assert deployed.inbox("app1b", "claimable").rows == []
    with pytest.raises(TaskClaimedByOther):
        deployed.complete("app1b", row.id, APPLICATION)
    with pytest.raises(NotAllowed):
        deployed.unclaim("app1b", row.id)
    deployed.unclaim("app1", row.id)
    assert [r.id for r in deployed.inbox("app1b", "claimable").rows] == [row.id]
    deployed.complete("app1b", row.id, APPLICATION)
    assert [r.id for r in deployed.inbox("app1b", "done").rows] == [row.id]


def test_quota_refuses_a_third_submission_and_changes_nothing(deployed):
    for _ in range(2):
        instance_id = start_application(deployed)
        do(deployed, "app1", "submit", instance_id, **APPLICATION)
    third = start_application(deployed)
    row = task_named(deployed, "app1", "submit", third)
    with pytest.raises(Refused) as caught:
        deployed.complete("app1", row.id, APPLICATION)
    assert "已申报2个项目" in caught.value.message
    assert steps(deployed, third) == ["submit"]
    assert [e.kind for e in deployed.instance("admin", third).events] == ["started"]
    # another unit is not affected
    other = start_application(deployed, user="app2", unit="511803")
    do(deployed, "app2", "submit", other, **APPLICATION)


def test_due_dates_from_duration_workdays_and_data(deployed):
    start_application(deployed)
    submit = task_named(deployed, "app1", "submit")
    assert submit.due_at == clock.now() + timedelta(days=7)
    do(deployed, "app1", "submit", **APPLICATION)
    review = task_named(deployed, "county1", "county_review")
    # 2008-03-03 is a Monday: five working days later is Monday 2008-03-10, end of day in Beijing
    assert review.due_at.isoformat() == "2008-03-10T15:59:59+00:00"
    do(deployed, "county1", "county_review", decision="approve")
    assert task_named(deployed, "city", "city_review").due_at.isoformat() == "2008-04-30T15:59:59+00:00"


def test_script_error_puts_instance_in_error_and_retry_fixes_it(deployed):
    instance_id = deployed.start("failing", "city", {"total": 10, "count": 0})
    view = deployed.instance("admin", instance_id)
    assert view.status == "error" and view.error_element == "divide"
    assert "ZeroDivisionError" in view.error_message
    with pytest.raises(NotAllowed):
        deployed.retry("app1", instance_id, {"count": 5}, reason="不是管理员")
    deployed.retry("admin", instance_id, {"count": 5}, reason="修正数据")
    view = deployed.instance("admin", instance_id)
    assert view.status == "waiting" and view.error_message is None
    assert [s["id"] for s in view.steps] == ["confirm"]
    retried = next(e for e in view.events if e.kind == "retried")
    assert retried.actor == "admin" and retried.data == {"count": 5}


def test_suspend_resume_terminate(deployed):
    instance_id = start_application(deployed)
    row = task_named(deployed, "app1", "submit")
    assert deployed.suspend("admin", instance_id, reason="暂停核查") == "suspended"
    with pytest.raises(InvalidState):
        deployed.complete("app1", row.id, APPLICATION)
    assert open_tasks(deployed, "app1") == []
    with pytest.raises(InvalidInput):  # every repair action needs its reason
        deployed.resume("admin", instance_id, reason=" ")
    deployed.resume("admin", instance_id, reason="核查完毕")
    assert deployed.terminate("admin", instance_id, reason="撤回") == "terminated"
    view = deployed.instance("admin", instance_id)
    assert view.steps == [] and [e.kind for e in view.events][-1] == "terminated"
    assert open_tasks(deployed, "app1") == []
    with pytest.raises(InvalidState):
        deployed.resume("admin", instance_id, reason="再次恢复")


def test_only_starter_roles_may_start(deployed):
    with pytest.raises(NotAllowed):
        deployed.start("approval", "county1", {"applicant_unit": "511802", "year": 2008})
    with pytest.raises(NotFound):
        deployed.start("no_such_process", "app1", {})


def test_panel_members_score_in_parallel_with_recusal(deployed):
    instance_id = deployed.start("scoring", "city", {"panel": ["p1", "p2", "p3"]})
    for member in ("p1", "p2", "p3"):
        assert [r.bpmn_id for r in open_tasks(deployed, member)] == ["score"]
    do(deployed, "p1", "score", score=95)
    do(deployed, "p2", "score", score=0, recuse=True)
    assert open_tasks(deployed, "p1") == []
    do(deployed, "p3", "score", score=85)
    view = deployed.instance("admin", instance_id)
    assert view.status == "completed"
    final = deployed.runs  # noqa: F841 - the data lives in the completed workflow
    completed = [e for e in view.events if e.kind == "task_completed"]
    assert {e.actor for e in completed} == {"p1", "p2", "p3"}


def test_call_activity_task_is_found_and_continues(deployed):
    instance_id = deployed.start("parent", "city", {})
    assert steps(deployed, instance_id) == ["child_task"]
    do(deployed, "city", "child_task", note="子流程")
    assert steps(deployed, instance_id) == ["after"]
    do(deployed, "city", "after")
    assert deployed.instance("admin", instance_id).status == "completed"


def test_assignee_expression_names_the_one_user(deployed):
    instance_id = deployed.start("parent", "city", {})
    deployed.add_user("city2", "511800", ["city_org"], password="password-123")
    do(deployed, "city", "child_task")
    row = task_named(deployed, "city", "after", instance_id)
    assert row.assignee == "city" and [r.id for r in deployed.inbox("city", "mine").rows] == [row.id]
    assert open_tasks(deployed, "city2") == []
    with pytest.raises(NotAllowed):
        deployed.complete("city2", row.id, {})


def test_runtime_refuses_tasks_that_are_not_ready():
    bundle = next(case[1] for case in CASES if case[0].endswith("/approval"))
    model = parse_model(bundle, "approval")
    helpers = {"count_projects": lambda *a, **k: 0, "refuse": lambda r: None}
    run = ProcessRun.start(model, {"applicant_unit": "x", "year": 2008}, helpers=helpers)
    future = next(t for t in run.workflow.get_tasks() if t.task_spec.name == "county_review")
    with pytest.raises(LookupError):
        run.complete(str(future.id), {"decision": "approve"})  # FUTURE: SpiffWorkflow would run it
    ready = run.ready_tasks()[0]
    nested = {"title": "嵌套数据", "plan": "方案", "items": [{"name": "子项一"}]}
    run.complete(ready.id, nested)
    nested["items"].append({"name": "之后修改"})
    submitted = run.workflow.get_task_from_id(UUID(ready.id))
    assert submitted.data["items"] == [{"name": "子项一"}]
    with pytest.raises(LookupError):
        run.complete(ready.id, nested)  # already completed
