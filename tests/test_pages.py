"""What people trip over in the pages (issue 18), through the Flask test client: a score sheet that
keeps its rows, reassignment without double votes, repeated steps that start clean, links one may
open, figures that agree with their rows, wording people can read."""

from __future__ import annotations

import re

import pytest

from engine.errors import InvalidInput
from tests.test_score_sheet import at_early_acceptance
from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text

APPLICANT = "county1_applicant"


def score_form(scores: list[int], reasons: list[str] | None = None) -> dict:
    data = {"action": "submit", "methods": ["听取汇报"], "opinion": "意见"}
    for index, score in enumerate(scores):
        data[f"criteria.{index}.score"] = str(score)
        if reasons and reasons[index]:
            data[f"criteria.{index}.deduction"] = reasons[index]
    return data


def test_a_score_sheet_sent_back_with_errors_keeps_its_criteria_and_a_deduction_needs_its_reason(client, party):
    instance_id = at_early_acceptance(party, APPLICANT, "评分表重绘项目")
    task = party.task("panel1", "score", instance_id)
    login(client, "panel1")
    page = f"/tasks/{task.id}"
    response = post(client, page, score_form([41, 18, 13, 5, 17], ["", "略", "略", "", "略"]), page=page)
    assert response.status_code == 422
    html = text(response)
    for criterion in ("目标达成与考核指标完成", "过程管理与质量节点", "效益与示范推广", "每有一项未完成扣4分"):
        assert criterion in html
    # the rows' maxima are drawn again too
    assert 'id="f-criteria-0-max">40<' in html.replace("\n", "")

    # a deduction without its reason is refused, beside that row's reason cell
    response = post(client, page, score_form([36, 20, 15, 5, 20]), page=page)
    assert response.status_code == 422
    assert 'id="criteria.0.deduction-error"' in text(response)
    assert "目标达成与考核指标完成" in text(response)
    response = post(client, page, score_form([40, 20, 15, 5, 20]), page=page)
    assert response.status_code == 302


def test_a_draft_of_a_score_sheet_keeps_its_criteria(client, party):
    instance_id = at_early_acceptance(party, APPLICANT, "评分表草稿项目")
    task = party.task("panel1", "score", instance_id)
    login(client, "panel1")
    page = f"/tasks/{task.id}"
    response = post(client, page, {**score_form([30]), "action": "save"}, page=page)
    assert response.status_code == 302
    html = text(client.get(page))
    assert "过程管理与质量节点" in html and 'value="30"' in html


def test_reassigning_a_scoring_step_never_gives_one_expert_two_sheets(client, party, party_engine):
    instance_id = party.apply(APPLICANT, "改派项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)  # panel1, panel2, panel3 each get a sheet
    party.do("panel1", "panel_score", instance_id, {"recuse": False, "score": 80, "opinion": "同意"})
    task = party.task("panel2", "panel_score", instance_id)
    login(client, "city_org")
    html = text(client.get(f"/projects/{instance_id}"))
    form = re.search(rf'/tasks/{task.id}/reassign".*?</select>', html, re.S)
    assert form is not None
    offered = re.findall(r'<option value="([^"]+)"', form.group(0))
    assert offered and not {"panel1", "panel2", "panel3"} & set(offered)
    assert set(offered) <= {"panel4", "panel5"}
    for member in ("panel1", "panel3"):
        with pytest.raises(InvalidInput):
            party_engine.reassign("city_org", task.id, member, "出差")
    party_engine.reassign("city_org", task.id, "panel4", "出差")
    assert [t.bpmn_id for t in party.tasks("panel4", instance_id)] == ["panel_score"]


def test_a_step_repeated_in_a_new_run_is_not_returned_and_starts_clean(party, party_engine):
    from web.demo_projects import GOOD_SCORE
    from web.demo_projects import node_report

    instance_id = party.apply(APPLICANT, "重复步骤项目")
    party.pass_review(APPLICANT, instance_id)
    party.argue_and_approve(instance_id, APPLICANT)
    party.at("2008-04-21")
    party.report(instance_id, APPLICANT)
    party.at("2008-05-19")
    party.score_stage(instance_id, GOOD_SCORE)
    party.at("2008-06-20")
    report = party.task(APPLICANT, "report", instance_id)
    values = party_engine.task(APPLICANT, report.id).values
    assert "filled_by" not in values and "funds_used" not in values and "highlights" not in values
    party.complete(APPLICANT, report, {
        "progress": "第二季度按节点推进，完成了示范点培育的前期准备工作。", "problems": "无", "next_steps": "继续推进",
        "funds_used": 1, "highlights": "无", "filled_by": "李四", "reviewed_by": "刘建华",
        "node_status": node_report(values.get("node_status", []))})
    review = party.task("city_org", "review", instance_id)
    assert review.return_note is None  # the second quarter's review: nobody returned anything
    assert "opinion" not in party_engine.task("city_org", review.id).values
    assert all(row.return_note is None for row in party_engine.inbox("city_org").rows
               if row.instance_id == instance_id)
    party.do("city_org", "review", instance_id, {"decision": "pass", "opinion": "同意"})
    party.at("2008-08-18")
    party.apply_for_acceptance(instance_id)
    sheet = party.task("panel1", "score", instance_id)
    assert sheet.return_note is None
    shown = party_engine.task("panel1", sheet.id).values
    assert "opinion" not in shown and "methods" not in shown
    assert all("score" not in row for row in shown["criteria"])


LINK = re.compile(r'href="(/(?:tasks|projects)/\d+[^"#]*)"')


def links_on(client, *pages: str) -> set[str]:
    found = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        found |= set(LINK.findall(text(response)))
    return found


def test_the_responsible_person_opens_their_project_and_every_link_shown_opens(app, party, party_engine):
    instance_id = party.apply(APPLICANT, "责任人项目")
    party.pass_review(APPLICANT, instance_id)
    party.argue_and_approve(instance_id, APPLICANT)
    party.at("2008-04-21")
    other = party.apply("county3_applicant", "另一个县的项目")
    for user in ("county2_applicant", APPLICANT, "county1_leader", "city_org", "county1_org", "supervisor",
                 "panel1"):
        client = app.test_client()
        login(client, user)
        listed = text(client.get("/projects/"))
        if user in (APPLICANT, "county1_leader"):
            assert "责任人项目" in listed and "另一个县的项目" not in listed, user
        if user in ("county2_applicant", "panel1"):
            assert "责任人项目" not in listed and "另一个县的项目" not in listed, user
        pages = ["/", "/notifications", "/projects/", f"/projects/{instance_id}"] if "责任人项目" in listed else \
            ["/", "/notifications", "/projects/"]
        for link in links_on(client, *pages):
            assert client.get(link).status_code == 200, (user, link)
    assert other


def test_the_city_organisation_department_opens_and_urges_anyones_step(client, party, party_engine):
    instance_id = party.apply(APPLICANT, "催办项目")
    task = party.task("county1_leader", "leader_approval", instance_id)
    login(client, "city_org")
    ledger = text(client.get("/projects/"))
    assert f'href="/tasks/{task.id}"' in ledger
    page = f"/tasks/{task.id}"
    assert client.get(page).status_code == 200
    response = post(client, page, {"action": "remind", "message": "请尽快审批"}, page=page)
    assert response.status_code == 302
    assert [n.kind for n in party_engine.notifications("county1_leader")] == ["reminder"]


def test_a_reader_of_someone_elses_step_does_not_see_its_draft(client, party, party_engine):
    instance_id = party.apply(APPLICANT, "草稿保密项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    task = party.task("panel1", "panel_score", instance_id)
    party_engine.save_draft("panel1", task.id, {"recuse": False, "score": 77, "opinion": "尚未提交的草稿意见"})
    login(client, "city_org")
    page = text(client.get(f"/tasks/{task.id}"))
    assert "尚未提交的草稿意见" not in page and "panel_score" not in page


def test_the_applicant_does_not_learn_who_is_on_the_panel(app, party, party_engine):
    instance_id = party.apply(APPLICANT, "专家保密项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)  # meeting on 2008-04-15
    party.do("panel1", "panel_score", instance_id, {"recuse": False, "score": 80, "opinion": "同意"})
    party_engine.send_reminder("city_org", party.task("panel2", "panel_score", instance_id).id, "请尽快评分")
    client = app.test_client()
    login(client, APPLICANT)
    view = party_engine.instance(APPLICANT, instance_id)  # the API's history too
    assert not [e for e in view.events if not e.withheld and isinstance(e.data, dict) and "panel" in e.data]
    for page in (f"/projects/{instance_id}", f"/projects/{instance_id}/dossier", "/projects/"):
        response = client.get(page)
        assert response.status_code == 200, page
        html = text(response)
        assert "2008年4月15日" not in html and "2008-04-15" not in html, page
        for member in ("panel1", "panel2", "panel3", "考评验收组 "):
            assert member not in html, (page, member)
    city = app.test_client()
    login(city, "city_org")
    assert "2008年4月15日" in text(city.get(f"/projects/{instance_id}/dossier"))


def test_supervision_lists_every_open_step_the_supervisors_were_told_was_escalated(app, party, party_engine):
    first = party.apply(APPLICANT, "督办项目一")
    second = party.apply("county2_applicant", "督办项目二")
    party.at("2008-03-20")
    party_engine.process_deadlines()  # 催办: the leaders' approvals are overdue
    party.at("2008-04-10")
    party_engine.process_deadlines()  # 督办: five working days later
    escalated = {n.task_id for n in party_engine.notifications("supervisor", limit=100) if n.kind == "escalated"}
    assert len(escalated) == 2
    listed = {e.task_id for e in party_engine.supervision("supervisor").escalations}
    assert listed == escalated
    client = app.test_client()
    login(client, "supervisor")
    html = text(client.get("/projects/supervision"))
    assert re.search(r'催办后仍未办结\s*<span class="count">2</span>', html)
    assert "督办项目一" in html and "督办项目二" in html and first and second


def test_a_report_done_early_has_the_same_green_light_on_its_page_and_in_done(app, party):
    instance_id = party.apply(APPLICANT, "灯色一致项目")
    party.pass_review(APPLICANT, instance_id)
    party.argue_and_approve(instance_id, APPLICANT)
    party.at("2008-04-21")  # the first report is due on 2008-04-30
    report = party.task(APPLICANT, "report", instance_id)
    party.report(instance_id, APPLICANT)
    party.at("2008-05-12")  # its due date has passed since
    client = app.test_client()
    login(client, APPLICANT)
    done = text(client.get("/?tab=done"))
    row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*?/tasks/{report.id}".*?</tr>', done, re.S)
    assert row is not None and 'class="light green"' in row.group(0)
    page = text(client.get(f"/tasks/{report.id}"))
    assert 'class="light green"' in page and 'class="light red"' not in page


def test_the_matrix_marks_late_only_where_a_project_stands_and_not_a_revision(party, party_engine):
    from engine.service.ledger import LedgerQuery

    waiting = party.apply(APPLICANT, "停在分管领导的项目")  # not approved by its leader
    party.at("2008-06-20")  # long past the application, argumentation and approval deadlines
    cells = next(row.cells for row in party_engine.matrix("supervisor", LedgerQuery(state="all")).rows
                 if row.instance_id == waiting)
    assert cells["apply"].state == "done"
    assert cells["review"].state == "late"  # where it waits, its step overdue
    later = [key for key, cell in cells.items() if key not in ("apply", "review") and cell.state == "late"]
    assert later == []


def test_a_resubmitted_application_is_not_reached_late_on_its_revision_date(party, party_engine):
    from engine.service.ledger import LedgerQuery

    instance_id = party.apply(APPLICANT, "退回重报项目")  # submitted 2008-03-03
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "return", "opinion": "请补充"})
    party.at("2008-04-02")  # after the application window closed (2008-03-31)
    again = party.task(APPLICANT, "submit_key", instance_id)
    assert again.return_note is not None
    from web.demo_projects import key_application

    party.complete(APPLICANT, again, key_application("退回重报项目"))
    cells = next(row.cells for row in party_engine.matrix("supervisor", LedgerQuery(state="all")).rows
                 if row.instance_id == instance_id)
    assert cells["apply"].state == "done"
    assert cells["apply"].actual.date().isoformat() == "2008-03-03"


def test_every_figure_of_the_summary_pages_equals_the_rows_it_counts(party, party_engine):
    from engine.service.ledger import LedgerQuery

    for applicant, title in ((APPLICANT, "统计核对项目一"), ("county2_applicant", "统计核对项目二"),
                             ("dept1_applicant", "统计核对项目三")):
        instance_id = party.apply(applicant, title)
        if applicant == "county2_applicant":
            party.pass_review(applicant, instance_id)
    party_engine.withdraw("county3_applicant", party.apply("county3_applicant", "统计核对项目四"))
    party.at("2008-04-10")
    for reader in ("supervisor", "county1_org", APPLICANT):
        page = party_engine.ledger(reader, LedgerQuery(state="all"))
        counts = page.counts
        for state, query in (("open", LedgerQuery()), ("overdue", LedgerQuery(overdue=True)),
                             ("error", LedgerQuery(state="error")), ("closed", LedgerQuery(state="closed"))):
            assert counts[state] == party_engine.ledger(reader, query).total, (reader, state)
        found = party_engine.bottlenecks(reader, LedgerQuery())
        for stats in found.by_step:
            rows = party_engine.ledger(reader, LedgerQuery(step=stats.key)).rows
            assert stats.projects == len(rows), (reader, stats.key)
            assert stats.overdue == len(party_engine.ledger(reader, LedgerQuery(step=stats.key, overdue=True)).rows)
        assert sum(s.projects for s in found.by_unit) == sum(s.projects for s in found.by_step)
        matrix = party_engine.matrix(reader, LedgerQuery(state="all"))
        assert matrix.total == page.total


def test_the_application_form_checks_dates_and_numbers_in_words_people_use(client, party_engine):
    from tests.test_web import start_application
    from tests.webhelpers import application_form

    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    page = f"/tasks/{task_id}"
    html = text(client.get(page))
    budget = re.search(r'<input id="f-budget_amount"[^>]*>', html).group(0)
    assert 'type="number"' in budget and 'inputmode="decimal"' in budget
    response = post(client, page, application_form(**{
        "period_start": "2008-12-31", "period_end": "2008-04-01", "schedule.0.start": "2008-05-15",
        "schedule.0.end": "2008-04-01", "budget_amount": "十二万", "brands": []}), page=page)
    assert response.status_code == 422
    html = text(response)
    assert "不得早于“实施周期（开始）”" in html and "不得早于“开始日期”" in html
    assert "请填写数字" in html and "类型不正确" not in html
    assert "行" not in re.search(r'id="brands-error">([^<]*)<', html).group(1)  # a checkbox list: choose


def test_a_score_that_is_not_a_whole_number_is_told_so(party_engine):
    from forms import validate_submission

    schema = {"type": "object", "properties": {"score": {"type": "integer"},
                                               "picks": {"type": "array", "minItems": 3, "items": {"type": "string"}}}}
    errors = {e.path: e.template for e in validate_submission(schema, {"score": "8.5", "picks": ["a"]})}
    assert errors == {"score": "Enter a whole number.", "picks": "Choose at least %(limit)s."}


def test_the_quarterly_report_shows_planned_dates_as_people_write_them(client, party):
    instance_id = party.apply(APPLICANT, "计划日期显示项目")
    party.pass_review(APPLICANT, instance_id)
    party.argue_and_approve(instance_id, APPLICANT)
    party.at("2008-04-21")
    report = party.task(APPLICANT, "report", instance_id)
    login(client, APPLICANT)
    html = text(client.get(f"/tasks/{report.id}"))
    cells = re.findall(r'<p class="readonly" id="f-node_status-\d+-planned">([^<]*)</p>', html)
    assert cells and "2008年5月15日" in cells and not [c for c in cells if re.match(r"\d{4}-", c)]


def deploy_from_modeler(client, name: str, xml: str, comment: str) -> None:
    """Deploy ``xml`` as the modeler's 发布为新版本 does."""
    from tests.webhelpers import csrf

    deployed = client.post("/admin/processes/deploy", json={"name": name, "xml": xml, "comment": comment},
                           headers={"X-CSRFToken": csrf(client, "/admin/processes/")})
    assert deployed.status_code == 200, deployed.get_data(as_text=True)


def test_a_called_process_offers_no_make_current_but_says_what_to_roll_back(client):
    login(client, "admin")
    xml = client.get("/admin/processes/argumentation/versions/1.bpmn").get_data(as_text=True)
    changed = xml.replace('name="进入论证"', 'name="进入项目论证"', 1)
    assert changed != xml
    deploy_from_modeler(client, "argumentation.bpmn", changed, "改名")
    html = text(client.get("/admin/processes/argumentation/versions"))
    assert "/versions/1/current" not in html and "调用它的流程" in html
    key_xml = client.get("/admin/processes/key_project/versions/1.bpmn").get_data(as_text=True)
    renamed = re.sub(r'(<bpmn:process id="key_project"[^>]*name=")([^"]+)"', r'\1\2（第二版）"', key_xml, count=1)
    assert renamed != key_xml
    deploy_from_modeler(client, "key_project.bpmn", renamed, "第二版")
    key = text(client.get("/admin/processes/key_project/versions"))
    form = re.search(r'<form[^>]*action="/admin/processes/key_project/versions/1/current"[^>]*>', key)
    assert form is not None and "data-confirm" in form.group(0) and "设为当前版本" in form.group(0)


def test_an_empty_reminder_is_refused_and_sends_nothing(client, party, party_engine):
    instance_id = party.apply(APPLICANT, "空催办项目")
    task = party.task("county1_leader", "leader_approval", instance_id)
    login(client, "supervisor")
    page = f"/tasks/{task.id}"
    assert 'id="remind-message" name="message" maxlength="2000" required' in text(client.get(page))
    response = post(client, page, {"action": "remind", "message": "  "}, page=page)
    assert response.status_code == 302
    assert party_engine.notifications("county1_leader") == []
    assert "请填写催办内容" in text(client.get(page))


def test_an_administrator_edits_a_users_name_unit_and_roles(client, party_engine):
    login(client, "admin")
    users = text(client.get("/admin/users"))
    assert 'href="/admin/users/county1_leader"' in users and "data-confirm" in users
    page = "/admin/users/county1_leader"
    assert client.get(page).status_code == 200
    response = post(client, page, {"display_name": "雨城区 分管领导 王新", "unit": "511802",
                                   "roles": ["unit_leader", "responsible"]}, page=page)
    assert response.status_code == 302
    info = party_engine.user("county1_leader")
    assert info.display_name == "雨城区 分管领导 王新" and info.roles == ("responsible", "unit_leader")
    response = post(client, "/admin/users/admin", {"display_name": "管理员", "unit": "511800", "roles": ["city_org"]},
                    page="/admin/users/admin")
    assert "admin" in party_engine.user("admin").roles  # nobody removes their own administrator role
    assert response.status_code == 302


def test_a_return_tells_the_applicant_why(party, party_engine):
    instance_id = party.apply(APPLICANT, "退回通知项目")
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "return", "opinion": "请补充经费来源说明"})
    notices = party_engine.notifications(APPLICANT)
    assert [(n.kind, n.message, n.sender) for n in notices] == [("returned", "请补充经费来源说明", "county1_leader")]
    assert notices[0].task_id == party.task(APPLICANT, "submit_key", instance_id).id


def test_the_sign_in_page_promises_the_wait_the_engine_applies(client):
    from engine.service.signin import FIRST_WAIT
    from engine.service.signin import FREE_FAILURES

    page = text(client.get("/login"))
    assert "15 分钟" not in page
    assert f"连续输错 {FREE_FAILURES} 次" in page and f"等待 {int(FIRST_WAIT.total_seconds() // 60)} 分钟" in page


def test_db_upgrade_says_it_created_a_new_schema_and_deploy_dates_by_the_demo_clock(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    from engine import clock
    from tests.conftest import ROOT
    from web.cli import main

    url = f"sqlite:///{tmp_path}/new.db"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0 and "已创建数据库结构" in first.output and "已是最新" not in first.output
    again = runner.invoke(main, ["db", "upgrade"])
    assert "数据库已是最新版本" in again.output
    monkeypatch.setenv("DANGJIAN_CLOCK", "2008-01-02T09:00:00+08:00")
    try:
        deployed = runner.invoke(main, ["deploy", "--shipped", str(ROOT / "workflows")])
    finally:
        clock.reset()
    assert deployed.exit_code == 0, deployed.output
    database = create_engine(url)
    with database.connect() as connection:
        years = {str(row[0])[:4] for row in connection.execute(sql("SELECT deployed_at FROM process_version"))}
    database.dispose()
    assert years == {"2008"}


def test_each_server_has_its_own_gunicorn_control_socket_and_setup_installs_node(monkeypatch, tmp_path):
    import runpy

    from tests.conftest import ROOT

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # the settings file would set it for good
    sockets = set()
    for port in ("5000", "5001"):
        monkeypatch.setenv("PORT", port)
        monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
        sockets.add(runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["control_socket"])
    assert len(sockets) == 2 and not any(".gunicorn/gunicorn.ctl" in path for path in sockets)
    setup = (ROOT / "bin" / "_lib.sh").read_text(encoding="utf-8")
    assert setup.index("ensure_apt node nodejs npm npm") < setup.index("npm ci")


def test_the_applicant_does_not_learn_who_leads_the_panel(app, party, party_engine):
    """The 组长's steps (综合论证意见, each stage's 综合意见) name nobody to the applicant: neither as
    the holder of the open step nor as who did it."""
    from web.demo_org import demo_users

    names = {user.username: user.name for user in demo_users()}
    instance_id = party.apply(APPLICANT, "组长保密项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    for member in party.panel:
        party.do(member, "panel_score", instance_id, {"recuse": False, "score": 85, "opinion": "方案可行。"})
    assert party.steps(instance_id) == ["panel_opinion"]
    client = app.test_client()
    login(client, APPLICANT)

    def shown_to_applicant() -> str:
        return "".join(text(client.get(page)) for page in (f"/projects/{instance_id}",
                                                           f"/projects/{instance_id}/dossier"))

    leader = names[party.panel_member_with("panel_opinion", instance_id)]
    assert leader not in shown_to_applicant()
    party.write_panel_opinion(instance_id)
    assert leader not in shown_to_applicant()
    city = app.test_client()
    login(city, "city_org")
    assert leader in text(city.get(f"/projects/{instance_id}"))


def test_every_link_a_collaborator_and_an_unfiled_draft_show_opens(app, party, party_engine):
    """A collaborating unit's task page offers no project page it may not open, and a draft never
    filed offers no 申报书 to print; each is named as what it is while it has no title."""
    from tests.test_workflows import approved_project

    instance_id = approved_project(party)
    party.implement(instance_id, APPLICANT)
    party.at("2008-12-08")
    party.self_evaluate(instance_id)
    task = party.task("dept1_applicant", "collaborator_input", instance_id)
    draft = party.start("county2_applicant")
    collaborator = app.test_client()
    login(collaborator, "dept1_applicant")
    for link in links_on(collaborator, f"/tasks/{task.id}"):
        assert collaborator.get(link).status_code == 200, link
    city = app.test_client()
    login(city, "city_org")
    page = text(city.get(f"/projects/{draft}"))
    assert f"/projects/{draft}/application" not in page and "（尚未填写项目名称）" in page
    for link in links_on(city, f"/projects/{draft}", "/projects/supervision"):
        assert city.get(link).status_code == 200, link
