"""What the official papers hold: the 立项批复 fixes the project's own 考核指标 (the catalogue's refined
indicators and the application's, adjustable by the city), which the quarterly report and the
score sheets then read; the acceptance grade table declares its hit policy."""

from __future__ import annotations

from party.demo.driver import ProjectDriver
from party.demo.submissions import approval
from tests.conftest import ROOT

APPLICANT = "county1_applicant"  # applies for catalogue P03, 党员党性定期分析试点


def test_approval_fixes_the_projects_indicators_which_reports_and_score_sheets_read(party: ProjectDriver):
    instance_id = party.apply(APPLICANT, "指标核定项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.score_argumentation(instance_id, {"panel1": 86, "panel2": 90, "panel3": 88})
    party.decide(instance_id, "approve")
    task = party.task("city_org", "approve", instance_id)
    shown = party.engine.task("city_org", task.id).values
    rows = shown["project_indicators"]
    assert [(r["name"], r["source"]) for r in rows][:2] == [
        ("党员党性分析覆盖率", "年度目录细化指标"), ("党性分析报告反馈整改率", "年度目录细化指标")]
    assert shown["responsible_unit_name"] == "雨城区"
    data = approval(APPLICANT, "county1_leader", None)
    data["project_indicators"] = [{"target": "100%（含流动党员）"}] + [{} for _row in rows[1:]]
    party.complete("city_org", task, data)
    party.sign(instance_id, "sign_approval")
    party.at("2008-04-21")
    report = party.engine.task(APPLICANT, party.task(APPLICANT, "report", instance_id).id)
    progress = report.values["indicator_progress"]
    assert progress[0] == {"name": "党员党性分析覆盖率", "target": "100%（含流动党员）"} | {
        k: v for k, v in progress[0].items() if k not in ("name", "target")}
    assert progress[1]["target"] == rows[1]["proposed"]  # not adjusted: the proposed target
    party.report(instance_id, APPLICANT)
    party.at("2008-05-19")
    party.apply_for_acceptance(instance_id)
    sheet = party.engine.task("panel1", party.task("panel1", "score", instance_id).id).values
    assert [row["name"] for row in sheet["indicator_check"]] == [row["name"] for row in progress]


def test_the_grade_table_declares_a_hit_policy_its_rules_honour():
    text = (ROOT / "workflows" / "acceptance_grade.dmn").read_text(encoding="utf-8")
    assert 'hitPolicy="UNIQUE"' in text
