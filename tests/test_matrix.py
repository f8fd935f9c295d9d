"""The matrix chart (矩阵管理图): milestone nodes across projects, quality nodes per project, and the
催办 for a late quality node; read from projections only."""

from __future__ import annotations

import io

import docx
import pytest

from engine import Engine
from engine.service import reminders
from engine.service.ledger import LedgerQuery
from engine.service.runs import RunStore
from party.demo.driver import ProjectDriver
from party.demo.submissions import IMPLEMENTATION_DATES
from tests.webhelpers import login

APPLICANT = "county1_applicant"


@pytest.fixture
def implementing(party_engine: Engine) -> tuple[Engine, int]:
    """A key project approved on 10 April 2008, its Q1 report and early acceptance done, seen on 5 August."""
    party = ProjectDriver(party_engine)
    instance_id = party.apply(APPLICANT, "矩阵管理项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.argue_and_approve(instance_id, APPLICANT)
    party.implement(instance_id, APPLICANT, IMPLEMENTATION_DATES[:2])
    party.at("2008-08-05")
    return party_engine, instance_id


def test_milestone_nodes_across_projects(implementing, monkeypatch):
    engine, instance_id = implementing

    def refuse(*_args, **_kwargs):
        raise AssertionError("the matrix chart loaded a workflow state")

    monkeypatch.setattr(RunStore, "load", refuse)
    page = engine.matrix("supervisor", LedgerQuery(state="all"))
    assert [row.instance_id for row in page.rows] == [instance_id]
    cells = page.rows[0].cells
    states = {key: cell.state for key, cell in cells.items()}
    assert states == {"apply": "done", "review": "done", "argue": "done", "approve": "done", "q1": "done",
                      "q2": "late", "q3": "pending", "q4": "pending", "midyear": "late", "early": "done",
                      "mid": "pending", "late": "pending", "benefit": "pending", "closed": "pending"}
    assert str(cells["q1"].planned) == "2008-04-30" and cells["q1"].actual.date().isoformat() == "2008-04-21"
    assert str(cells["argue"].planned) == "2008-04-18" and str(cells["early"].planned) == "2008-05-30"


def test_quality_nodes_from_the_approval_and_the_reports(implementing):
    engine, instance_id = implementing
    matrix = engine.project("supervisor", instance_id).matrix
    assert [item["name"] for item in matrix.sub_items] == ["制度建设", "示范点培育"]
    nodes = {node.name: node for node in matrix.nodes}
    assert nodes["制定实施细则"].status == "done" and not nodes["制定实施细则"].ever_late
    assert nodes["制定实施细则"].owner == "组织科" and nodes["制定实施细则"].done_at is not None
    assert nodes["完成示范点选定"].status == "late" and nodes["完成示范点选定"].ever_late
    assert nodes["形成总结报告"].status == "pending" and not nodes["形成总结报告"].ever_late


def test_a_late_quality_node_urges_the_responsible_person_once(implementing):
    engine, instance_id = implementing
    assert engine.notify_late_quality_nodes() == 0  # the worker's pass sent it when the clock moved on
    notices = [n for n in engine.notifications(APPLICANT, unread_only=False) if n.kind == "node_overdue"]
    assert [(n.message, n.instance_id) for n in notices] == [("完成示范点选定", instance_id)]
    timeline = engine.instance("admin", instance_id).events
    assert [e.reason for e in timeline if e.kind == "node_overdue"] == ["完成示范点选定"]


def test_the_workers_pass_scans_only_when_something_changed_and_writes_only_to_send(implementing, monkeypatch):
    engine, _instance_id = implementing
    engine.services.reminders._late_nodes_checked = None
    monkeypatch.setattr(engine.db, "write", lambda: pytest.fail("a pass with nothing to send opened a write"))
    assert engine.notify_late_quality_nodes() == 0  # scanned: every late node was urged already
    monkeypatch.setattr(reminders, "late_quality_nodes",
                        lambda *_args: pytest.fail("scanned again with nothing changed"))
    assert engine.notify_late_quality_nodes() == 0


def test_matrix_pages(implementing, app, client):
    engine, instance_id = implementing
    engine.notify_late_quality_nodes()
    login(client, "supervisor")
    page = client.get("/projects/matrix?state=all").get_data(as_text=True)
    assert "矩阵管理图" in page and "矩阵管理项目" in page and "一季度汇报" in page and "后期验收" in page
    assert 'data-node="q2" data-state="late"' in page and "2008年4月21日" in page
    project = client.get(f"/projects/{instance_id}").get_data(as_text=True)
    assert 'id="matrix"' in project and "完成示范点选定" in project and "滞后" in project and "曾滞后" in project
    assert "质量节点滞后催办" in project  # on the timeline
    grade = engine.project("supervisor", instance_id).instance.business.get("stage_grade")
    assert grade in ("优秀", "良好") and f"<dd>{grade}" in project  # the early acceptance's grade
    login(client, APPLICANT)
    assert "完成示范点选定" in client.get("/notifications").get_data(as_text=True)
    own = client.get("/projects/matrix")  # their own projects' matrix
    assert own.status_code == 200 and "矩阵管理项目" in own.get_data(as_text=True)


def test_dossier_prints_and_downloads_as_word_without_what_the_reader_may_not_see(implementing, app, client):
    _engine, instance_id = implementing
    login(client, "county1_org")
    page = client.get(f"/projects/{instance_id}/dossier")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "项目档案：矩阵管理项目" in text and "办理材料" in text
    assert "填写重点项目申报书" in text and "项目立项（矩阵管理图）" in text and "完成示范点选定" in text
    assert "print.js" in text and "方案可行，建议立项。" not in text  # the experts' opinions are theirs
    assert "党员党性定期分析试点" in text and "党员素质提高工程" in text and "选优建强" in text  # names, not codes
    assert ">P03<" not in text and ">quality<" not in text
    response = client.get(f"/projects/{instance_id}/dossier.docx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "项目档案：矩阵管理项目" in paragraphs and "中共雅安市委组织部" in paragraphs
    assert "填写重点项目申报书" in paragraphs and "完成示范点选定" in cells and "滞后" in cells
    assert "雨城区" in cells and "方案可行，建议立项。" not in cells
    assert "county1_applicant" not in cells  # people by name
    login(client, "supervisor")
    supervisor_copy = docx.Document(io.BytesIO(client.get(f"/projects/{instance_id}/dossier.docx").data))
    assert any("方案可行，建议立项。" in cell.text for table in supervisor_copy.tables for row in table.rows
               for cell in row.cells)
    login(client, APPLICANT)  # their own project's dossier, without the experts' opinions
    own_copy = docx.Document(io.BytesIO(client.get(f"/projects/{instance_id}/dossier.docx").data))
    assert not any("方案可行，建议立项。" in cell.text for table in own_copy.tables for row in table.rows
                   for cell in row.cells)


def test_node_statuses_come_from_the_quarterly_reports_and_a_late_mark_stays():
    from datetime import date
    from datetime import datetime

    from engine.service.matrix import quality_nodes

    approval = {"sub_items": [{"name": "制度建设", "owner": "组织科"}],
                "nodes": [{"name": "制定实施细则", "sub_item": "制度建设", "planned_date": "2008-05-15"},
                          {"name": "形成总结报告", "sub_item": "制度建设", "planned_date": "2008-11-30"}]}
    q2 = (datetime(2008, 6, 20), {"node_status": [{"node": "制定实施细则", "status": "late"},
                                                  {"node": "形成总结报告", "status": "pending"}]})
    q3 = (datetime(2008, 9, 19), {"node_status": [{"node": "制定实施细则", "status": "done"},
                                                  {"node": "形成总结报告", "status": "pending"}]})
    before = quality_nodes(approval, [q2], date(2008, 7, 1))
    after = quality_nodes(approval, [q2, q3], date(2008, 10, 1))
    assert [(n.status, n.ever_late) for n in before] == [("late", True), ("pending", False)]
    assert [(n.status, n.ever_late, n.done_at) for n in after] == [("done", True, q3[0]), ("pending", False, None)]
