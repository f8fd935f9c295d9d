"""``dangjian demo``: projects at every stage, created through the engine, seeded only once."""

from __future__ import annotations

from collections import Counter

from party.demo.org import demo_users
from party.demo.seed import PLANS
from party.demo.seed import seed_demo


def test_demo_creates_projects_at_every_stage_once(engine):
    assert seed_demo(engine) is True
    views = [engine.instance("admin", plan.instance_id) for plan in PLANS]
    assert all(view.error_message is None for view in views)
    statuses = Counter(view.business.get("status_text", "").split("（")[0] for view in views)
    for stage in ("申报中", "审核中", "论证中", "实施中", "效益评估", "已结项", "责任追究", "不予立项", "未通过审核"):
        assert statuses[stage] >= 1, (stage, statuses)
    steps = {step["name"] for view in views for step in view.steps}
    assert {"填写重点项目申报书", "分管领导审批", "市委组织部审核", "专家论证评分", "验收评分", "限期整改",
            "填写季度推进情况", "责任追究立案", "协作单位评估意见", "综合效益评估"} <= steps
    events_before = sum(len(view.events) for view in views)
    assert seed_demo(engine) is False  # idempotent
    assert sum(len(engine.instance("admin", plan.instance_id).events) for plan in PLANS) == events_before
    # every demo account can sign in with the documented password
    for user in demo_users()[:5]:
        assert engine.authenticate(user.username, "demo-password").actor.username == user.username


def test_on_the_demos_today_every_working_role_has_something_in_my_inbox(demo_engine):
    """Applicants (who are also the projects' responsible persons), leaders, county and city
    departments, experts and collaborating units each find work on 2008-12-22 (administrators and
    supervisors have no steps of their own)."""
    from engine import clock
    from party.demo.seed import DEMO_TODAY
    from party.demo.submissions import moment

    clock.travel_to(moment(DEMO_TODAY))
    idle = [user.username for user in demo_users()
            if set(user.roles) - {"admin", "supervisor"} and not demo_engine.inbox(user.username, "mine").total]
    assert idle == []  # every account with a role in the diagrams, not only every role


def test_every_open_scoring_step_of_the_demo_can_be_finished_by_another_process(demo_engine):
    """The demo is seeded in one process and served by others: each expert's open score sheet,
    submitted through a fresh engine, moves its project on (no stall, no error)."""
    engine = demo_engine
    from engine import clock
    from party.demo.driver import fresh_engine
    from party.demo.seed import DEMO_TODAY
    from party.demo.submissions import GOOD_SCORE
    from party.demo.submissions import moment
    from party.demo.submissions import score_sheet

    clock.travel_to(moment(DEMO_TODAY))
    experts = [user.username for user in demo_users() if "panel" in user.roles]
    scored: set[int] = set()
    for expert in experts:
        with fresh_engine(engine) as server:
            for row in server.inbox(expert, "mine", page_size=1000).rows:
                if row.bpmn_id not in ("panel_score", "score"):
                    continue
                shown = server.task(expert, row.id).values
                argued = {"recuse": False, "score": 88, "opinion": "方案可行，建议立项。"}
                data = argued if row.bpmn_id == "panel_score" else score_sheet(GOOD_SCORE, shown.get("criteria", []))
                if shown.get("rectification_check"):
                    data["rectification_check"] = [{"verified": "rectified"} for _ in shown["rectification_check"]]
                server.complete(expert, row.id, data)
                scored.add(row.instance_id)
    assert scored, "the demo has open score sheets on its today"
    for instance_id in scored:
        view = engine.instance("admin", instance_id)
        assert view.status == "waiting" and view.error_message is None, (instance_id, view.error_message)
        remaining = {step["id"] for step in view.steps}
        assert remaining and not remaining & {"panel_score", "score"}, (instance_id, remaining)


def test_demo_projects_read_like_ya_an_in_2008(demo_engine):
    """Each key project in its own catalogue entry (or a unit's own), several sectors, the unit's
    own people in each 申报书, whose 项目责任人 is the person later held responsible."""
    from party.demo.org import PEOPLE
    from party.demo.seed import PLANS

    engine = demo_engine
    key = [plan for plan in PLANS if plan.kind == "key_project"]
    codes = [plan.catalogue for plan in key if plan.catalogue != "own"]
    assert len(codes) == len(set(codes)) and len({plan.sector for plan in key}) == 4
    assert all("乡村振兴" not in plan.title for plan in PLANS)
    assert len({people[0] for people in PEOPLE.values()}) == len(PEOPLE)  # distinct people per unit
    for plan in PLANS:
        view = engine.instance("admin", plan.instance_id)
        filed = [e for e in view.events if e.bpmn_id in ("submit_key", "submit_demo") and e.data]
        if not filed or not view.business.get("responsible"):
            continue
        responsible = view.business["responsible"]
        person = PEOPLE[responsible.split("_", 1)[0]][0]
        assert filed[-1].data["project_leader"].startswith(person), (plan.title, responsible)
