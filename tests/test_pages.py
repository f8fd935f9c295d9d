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
    from party.demo.submissions import GOOD_SCORE
    from party.demo.submissions import node_report

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
    from party.demo.submissions import key_application

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


def test_the_applicant_does_not_learn_who_leads_the_panel(app, party, party_engine):
    """The 组长's steps (综合论证意见, each stage's 综合意见) name nobody to the applicant: neither as
    the holder of the open step nor as who did it."""
    from party.demo.org import demo_users

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
