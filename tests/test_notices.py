"""Notices clear when their task is dealt with, never repeat, and say what, who and when."""

from __future__ import annotations

from datetime import timedelta

from engine import clock
from engine.persistence.models import Notification
from tests.webhelpers import login
from tests.webhelpers import text

APPLICANT = "county1_applicant"


def open_application(engine) -> tuple[int, int]:
    instance_id = engine.start("key_project", APPLICANT, {})
    return instance_id, engine.my_task_in(APPLICANT, instance_id)


def test_a_completed_tasks_reminder_leaves_its_holders_list_but_stays_on_the_notices_page(app, party_engine):
    from party.demo.submissions import key_application

    _instance_id, task_id = open_application(party_engine)
    party_engine.send_reminder("supervisor", task_id, "请尽快提交申报书")
    assert [n.kind for n in party_engine.notifications(APPLICANT)] == ["reminder"]
    party_engine.complete(APPLICANT, task_id, key_application("已提交的项目"))
    assert party_engine.notifications(APPLICANT) == []  # dealt with: gone from the inbox
    client = app.test_client()
    login(client, APPLICANT)
    assert "请尽快提交申报书" not in text(client.get("/"))
    page = text(client.get("/notifications"))
    assert "请尽快提交申报书" in page and "已办结" in page


def test_the_same_notice_is_shown_once_and_names_task_holder_and_dates(app, party_engine):
    _instance_id, task_id = open_application(party_engine)
    with party_engine.db.write() as session:
        for _ in range(3):  # as a worker that ran three times would have left them
            session.add(Notification(username=APPLICANT, kind="escalated", instance_id=None, human_task_id=task_id,
                                     message="", sender="system", created_at=clock.now()))
    assert [n.kind for n in party_engine.notifications(APPLICANT)] == ["escalated"]
    client = app.test_client()
    login(client, APPLICANT)
    page = text(client.get("/"))
    assert page.count('class="notice escalated') == 1  # one notice line, not three
    holder = party_engine.directory().people[APPLICANT][0]
    assert "办理期限" in page and "发出时间" in page and holder in page


def test_deadline_notices_reach_the_holder_once_and_clear_when_reassigned(party_engine):
    party_engine.add_user("county1_applicant2", "511802", ["applicant"], password="demo-password")
    _instance_id, _ = open_application(party_engine)
    task_id = party_engine.inbox(APPLICANT, "claimable").rows[0].id
    clock.advance(timedelta(days=26))  # three days before the 31 March close: 临期提醒 to both
    party_engine.process_deadlines()
    party_engine.process_deadlines()  # a second pass sends nothing again
    assert [n.kind for n in party_engine.notifications(APPLICANT)] == ["due_soon"]
    party_engine.claim("county1_applicant2", task_id)  # now it is the colleague's
    assert party_engine.notifications(APPLICANT) == []
    assert [n.kind for n in party_engine.notifications("county1_applicant2")] == ["due_soon"]


def test_reminders_of_a_panels_steps_name_the_step_not_the_expert(app, party_engine):
    """催办/督办 of an expert's scoring step: who was urged shows only to those who may see the panel."""
    import io

    from docx import Document

    from party.demo.driver import ProjectDriver
    from tests.webhelpers import post

    party = ProjectDriver(party_engine)
    instance_id = party.apply(APPLICANT, "保密催办项目")
    party.pass_review(APPLICANT, instance_id)
    party.assign_panel(instance_id)
    party.score_argumentation(instance_id, {"panel1": 85})
    late = party.task("panel2", "panel_score", instance_id)
    client = app.test_client()
    login(client, "supervisor")
    page = f"/tasks/{late.id}"
    assert post(client, page, {"action": "remind", "message": "请尽快评分"}, page=page).status_code == 302
    party.at("2008-06-30")
    party_engine.process_deadlines()  # 催办, then 督办 of panel2's and panel3's steps
    party.at("2008-07-15")
    party_engine.process_deadlines()
    experts = ("panel2", "panel3", "考评验收组 张教授", "考评验收组 刘教授")

    kinds = {e.kind for e in party_engine.instance("supervisor", instance_id).events}
    assert {"reminded", "overdue", "escalated"} <= kinds
    shown = text(client.get(f"/projects/{instance_id}"))
    assert "考评验收组 张教授" in shown  # the supervisors may see the panel

    for reader in ("county1_org", APPLICANT):
        events = [e for e in party_engine.instance(reader, instance_id).events
                  if e.kind in ("reminded", "overdue", "escalated")]
        assert events and all(e.step_name for e in events)
        assert not [e for e in events if any(x in repr((e.reason, e.data)) for x in experts)]
    for reader in ("county1_org",):  # the applicant has no project pages
        login(client, reader)
        for path in (f"/projects/{instance_id}", f"/projects/{instance_id}/dossier"):
            response = client.get(path)
            assert response.status_code == 200, (reader, path)
            body = text(response)
            timeline = body[body.index('id="timeline"'):]
            assert "专家论证评分" in timeline
            assert not [x for x in experts if x in timeline], (reader, path)
        docx = Document(io.BytesIO(client.get(f"/projects/{instance_id}/dossier.docx").data))
        timeline = "\n".join(cell.text for row in docx.tables[-1].rows for cell in row.cells)
        assert "专家论证评分" in timeline and not [x for x in experts if x in timeline], reader
