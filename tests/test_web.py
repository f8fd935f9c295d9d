"""The staff inbox through the Flask test client: what a browser sees, and what the database holds."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest

from engine import clock
from tests.webhelpers import application_form
from tests.webhelpers import csrf
from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text

APPLICANT = "county1_applicant"


def start_application(client, engine) -> int:
    """Start a key-project application as the signed-in applicant; returns the task id."""
    response = post(client, "/start/key_project")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_pages_need_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_in_out_and_secure_cookie(client):
    response = login(client, APPLICANT)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "发起申报" in text(client.get("/"))
    assert post(client, "/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, party_engine):
    login(client, APPLICANT)
    response = client.post("/start/key_project")
    assert response.status_code == 400 and "页面已过期" in text(response)
    assert party_engine.inbox(APPLICANT, "mine").total == 0


def test_start_submit_and_prg(client, party_engine):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    page = text(client.get(f"/tasks/{task_id}"))
    assert "填写重点项目申报书" in page and "目标体系" in page and 'type="file"' in page
    response = post(client, f"/tasks/{task_id}", application_form(), page=f"/tasks/{task_id}")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "已提交" in text(client.get("/"))
    # the county's only leader gets it straight in 我的待办, with nothing to claim
    assert party_engine.inbox("county1_leader", "mine").total == 1


def test_invalid_form_shows_chinese_messages_and_keeps_what_was_typed(client, party_engine):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    data = application_form(title="短", goal_system="太短", contact_phone="abc")
    response = post(client, f"/tasks/{task_id}", data, page=f"/tasks/{task_id}")
    page = text(response)
    assert response.status_code == 422
    assert "请按提示修改标出的内容" in page and "至少填写 4 个字" in page and "至少填写 30 个字" in page
    assert 'value="短"' in page and ">太短</textarea>" in page and 'value="abc"' in page
    assert party_engine.inbox(APPLICANT, "mine").rows[0].status == "open"


def test_draft_is_kept_and_shown_again(client, party_engine):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    response = post(client, f"/tasks/{task_id}", {"title": "草稿中的项目", "action": "save"}, page=f"/tasks/{task_id}")
    assert response.status_code == 302
    page = text(client.get(f"/tasks/{task_id}"))
    assert "草稿已保存" in page and 'value="草稿中的项目"' in page and "以下为您保存的草稿" in page


def test_table_rows_and_multi_select_are_read_back(client, party_engine):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    data = application_form(**{"indicators.1.name": "满意度", "indicators.1.target": "90%",
                               "indicators.2.name": "", "indicators.2.target": "", "brands": ["xuanyou", "huimin"]})
    post(client, f"/tasks/{task_id}", data, page=f"/tasks/{task_id}")
    submitted = next(e for e in party_engine.instance("admin", 1).events if e.kind == "task_completed")
    assert submitted.data["indicators"] == [{"name": "覆盖率", "target": "100%"}, {"name": "满意度", "target": "90%"}]
    assert submitted.data["brands"] == ["xuanyou", "huimin"]


def test_extra_and_wrong_typed_fields_are_refused(app, party_engine):
    party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.inbox(APPLICANT, "mine").rows[0].id
    token = party_engine.issue_api_token(APPLICANT)
    api = app.test_client()
    body = {"data": {**json.loads(json.dumps({k: v for k, v in application_form().items()
                                               if "." not in k and k != "action"})),
                     "indicators": [{"name": "覆盖率", "target": 100}], "is_admin": True}}
    response = api.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert "is_admin" in fields[""] and "indicators.0.target" in fields
    assert party_engine.inbox(APPLICANT, "mine").rows[0].status == "open"


def test_other_units_task_completed_task_and_claimed_task(client, app, party_engine):
    party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.inbox(APPLICANT, "mine").rows[0].id
    login(client, "county2_applicant")
    response = client.get(f"/tasks/{task_id}")
    assert response.status_code == 403 and "无权办理" in text(response)
    response = post(client, f"/tasks/{task_id}", application_form())
    assert response.status_code == 403
    # claimed by a colleague: only the claimant may act
    party_engine.add_user("county1_applicant2", "511802", ["applicant"], password="demo-password")
    party_engine.claim(APPLICANT, task_id)
    other = app.test_client()
    login(other, "county1_applicant2")
    response = post(other, f"/tasks/{task_id}", application_form())
    holder = party_engine.directory().people[APPLICANT][0]
    assert response.status_code == 409 and f"已被 {holder}" in text(response)
    assert f"已被 {APPLICANT}" not in text(response)
    # completed: a clear message saying by whom and when
    from party.demo.submissions import key_application

    party_engine.complete(APPLICANT, task_id, key_application("已办项目"))
    login(client, APPLICANT)
    response = post(client, f"/tasks/{task_id}", application_form(), page="/")
    assert response.status_code == 409 and f"已由 {holder}" in text(response)
    assert f"已由 {APPLICANT}" not in text(response)
    assert re.search(r"于 2008年3月3日 \d\d:\d\d", text(response))  # the moment as people read it


def test_attachments_upload_download_and_scope(client, app, party_engine):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    pdf = b"%PDF-1.4\n%test document\n"
    data = application_form(**{"attachments__upload": (io.BytesIO(pdf), "申报书.pdf")})
    response = post(client, f"/tasks/{task_id}", data, page=f"/tasks/{task_id}", content_type="multipart/form-data")
    assert response.status_code == 302
    submitted = next(e for e in party_engine.instance("admin", 1).events if e.kind == "task_completed")
    ref = submitted.data["attachments"][0]
    assert ref["name"] == "申报书.pdf" and len(ref["sha256"]) == 64
    download = client.get(f"/attachments/{ref['id']}")
    assert download.status_code == 200 and download.data == pdf
    assert "attachment;" in download.headers["Content-Disposition"]
    outsider = app.test_client()
    login(outsider, "county2_applicant")
    assert outsider.get(f"/attachments/{ref['id']}").status_code == 403
    reviewer = app.test_client()  # the county reviewer may read the applicant's files
    login(reviewer, "county1_org")
    assert reviewer.get(f"/attachments/{ref['id']}").status_code == 200


@pytest.mark.parametrize("name,content,message", [
    ("report.pdf", b"MZ\x90\x00 this is an executable", "文件内容与扩展名 .pdf 不符"),
    ("tool.exe", b"MZ\x90\x00", "不能上传此类文件"),
    ("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 10), "文件超过 1 MB"),
])
def test_bad_uploads_are_refused_and_nothing_is_lost(client, party_engine, name, content, message):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    data = application_form(**{"attachments__upload": (io.BytesIO(content), name)})
    response = post(client, f"/tasks/{task_id}", data, page=f"/tasks/{task_id}", content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 422 and message in page
    assert 'value="党员党性定期分析试点"' in page  # what was typed comes back
    assert party_engine.inbox(APPLICANT, "mine").rows[0].status == "open"


def test_oversized_request_gets_a_clear_page(client, party_engine):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    data = application_form(**{"attachments__upload": (io.BytesIO(b"%PDF-" + b"0" * (4 * 1024 * 1024)), "x.pdf")})
    response = post(client, f"/tasks/{task_id}", data, page=f"/tasks/{task_id}", content_type="multipart/form-data")
    assert response.status_code == 413 and "上传内容超过 3 MB" in text(response)


def test_office_files_are_checked_inside(client, party_engine):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    data = application_form(**{"attachments__upload": (io.BytesIO(buffer.getvalue()), "方案.docx")})
    response = post(client, f"/tasks/{task_id}", data, page=f"/tasks/{task_id}", content_type="multipart/form-data")
    assert response.status_code == 302


def test_earlier_steps_comments_and_reviewer_opinion(client, app, party_engine):
    from party.demo.submissions import key_application

    instance_id = party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.my_task_in(APPLICANT, instance_id)
    party_engine.complete(APPLICANT, task_id, key_application("可读的项目"))
    leader = party_engine.my_task_in("county1_leader", instance_id)
    login(client, "county1_leader")
    page = text(client.get(f"/tasks/{leader}"))
    assert "本项目已办环节" in page and "可读的项目" in page and "目标体系" in page
    assert 'name="title"' not in page  # earlier data is shown, not editable
    post(client, f"/tasks/{leader}", {"action": "comment", "body": "请注意考核指标的可量化性"}, page=f"/tasks/{leader}")
    post(client, f"/tasks/{leader}", {"action": "submit", "decision": "return", "opinion": "请细化考核指标"},
         page=f"/tasks/{leader}")
    applicant = app.test_client()
    login(applicant, APPLICANT)
    again = party_engine.my_task_in(APPLICANT, instance_id)
    page = text(applicant.get(f"/tasks/{again}"))
    assert "请细化考核指标" in page and "请注意考核指标的可量化性" in page
    assert 'value="可读的项目"' in page  # the returned application comes back filled in


def test_inbox_tabs_counts_search_sort_lights_and_pages(client, party_engine):
    for _ in range(23):
        party_engine.start("key_project", APPLICANT, {})
    login(client, APPLICANT)
    page = text(client.get("/?tab=mine"))  # the unit's only applicant: straight into 我的待办
    assert re.search(r"我的待办 <span class=\"count\">23</span>", page)
    assert re.search(r"待认领 <span class=\"count\">0</span>", page)
    assert "第 1 页，共 2 页" in page and page.count('class="light ') == 20
    assert text(client.get("/?tab=mine&page=2")).count('class="light ') == 3
    clock.advance(timedelta(days=26))  # 2008-03-29: two days before the 31 March deadline
    assert "light yellow" in text(client.get("/?tab=mine"))
    clock.advance(timedelta(days=3))
    assert "light red" in text(client.get("/?tab=mine"))
    assert "暂无事项" in text(client.get("/?tab=mine&q=不存在的项目"))
    assert text(client.get("/?tab=mine&q=申报书")).count('class="light ') == 20
    assert client.get("/?tab=nonsense").status_code == 404


def test_reminders_are_shown_at_the_top(client, party_engine):
    instance_id = party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.my_task_in(APPLICANT, instance_id)
    party_engine.send_reminder("supervisor", task_id, "请尽快提交申报书")
    login(client, APPLICANT)
    page = text(client.get("/"))
    assert page.index("提醒与催办") < page.index("我的待办 <span")
    assert "请尽快提交申报书" in page and "人工催办" in page
    post(client, "/notifications/read")
    assert "请尽快提交申报书" not in text(client.get("/"))


def test_extension_request_and_decision(client, app, party_engine):
    instance_id = party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.my_task_in(APPLICANT, instance_id)
    login(client, APPLICANT)
    response = post(client, f"/tasks/{task_id}", {"action": "extension", "new_due": "2008-04-15",
                                                  "reason": "需补充调研材料"}, page=f"/tasks/{task_id}")
    assert response.status_code == 302 and "已提交市委组织部审批" in text(client.get(f"/tasks/{task_id}"))
    city = app.test_client()
    login(city, "city_org")
    page = text(city.get("/"))
    assert "待审批的延期申请" in page and "需补充调研材料" in page
    request_id = party_engine.extension_requests("city_org")[0].id
    post(city, f"/extensions/{request_id}", {"decision": "approve", "note": "同意"})
    assert party_engine.inbox(APPLICANT, "mine").rows[0].due_at.date().isoformat() == "2008-04-15"
    assert "延期已批准" in text(client.get("/"))


def test_extension_after_the_due_date_is_refused(client, party_engine):
    instance_id = party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.my_task_in(APPLICANT, instance_id)
    clock.advance(timedelta(days=40))
    login(client, APPLICANT)
    post(client, f"/tasks/{task_id}", {"action": "extension", "new_due": "2008-05-15", "reason": "晚了"},
         page=f"/tasks/{task_id}")
    assert "延期申请须在办理期限届满前提出" in text(client.get(f"/tasks/{task_id}"))
    assert party_engine.extension_requests("city_org") == []


def test_quota_message_when_starting_a_third_application(client, party_engine):
    from party.demo.submissions import key_application

    drafts = [party_engine.start("key_project", APPLICANT, {}) for _ in range(3)]  # while the quota was free
    for instance_id, title in zip(drafts, ("第一个项目", "第二个项目"), strict=False):
        party_engine.complete(APPLICANT, party_engine.my_task_in(APPLICANT, instance_id), key_application(title))
    login(client, APPLICANT)
    task_id = party_engine.my_task_in(APPLICANT, drafts[2])
    response = post(client, f"/tasks/{task_id}", application_form(), page=f"/tasks/{task_id}")
    assert response.status_code == 422 and "已申报2个同类项目" in text(response)
    assert 'value="党员党性定期分析试点"' in text(response)  # nothing typed is lost
    response = post(client, "/start/key_project", follow_redirects=True)  # a fourth: refused before writing
    assert "名额已用完" in text(response)


def test_claim_and_give_back(client, party_engine):
    party_engine.add_user("county1_applicant2", "511802", ["applicant"], password="demo-password")
    party_engine.start("key_project", APPLICANT, {})  # two may take it now: it waits in 待认领
    task_id = party_engine.inbox(APPLICANT, "claimable").rows[0].id
    assert party_engine.inbox("county1_applicant2", "claimable").rows[0].id == task_id
    login(client, APPLICANT)
    post(client, f"/tasks/{task_id}", {"action": "claim"}, page=f"/tasks/{task_id}")
    assert party_engine.inbox(APPLICANT, "mine").total == 1
    post(client, f"/tasks/{task_id}", {"action": "unclaim"}, page=f"/tasks/{task_id}")
    assert party_engine.inbox(APPLICANT, "claimable").total == 1


def test_instructions_markdown_is_sanitised(client, party_engine):
    from web.formatting import safe_markdown

    html = safe_markdown("**粗体** <script>alert(1)</script> [链接](javascript:alert(1))")
    assert "<strong>粗体</strong>" in html and "<script>" not in html and "javascript:" not in html


def test_admin_manages_users(client, app, party_engine):
    login(client, "admin")
    page = text(client.get("/admin/users"))
    assert "新建用户" in page and "county1_applicant" in page
    response = post(client, "/admin/users", {"username": "new_staff", "display_name": "新同志", "unit": "511802",
                                             "roles": ["applicant"]}, page="/admin/users")
    assert response.status_code == 302
    password = re.search(r"初始密码（只显示一次）：([A-Za-z0-9_\-]+)", text(client.get("/admin/users"))).group(1)
    staff = app.test_client()
    assert login(staff, "new_staff", password).status_code == 302
    post(client, "/admin/users/new_staff/active", {"active": "0"}, page="/admin/users")
    assert staff.get("/").status_code == 302  # a deactivated user is signed out
    assert login(app.test_client(), "new_staff", password).status_code == 401
    response = post(client, "/admin/users", {"username": "x", "unit": "511802", "roles": ["applicant"]},
                    page="/admin/users")
    assert response.status_code == 422 and "用户名须为" in text(response)
    other = app.test_client()
    login(other, APPLICANT)
    assert other.get("/admin/users").status_code == 403


def test_change_password(client, app):
    login(client, APPLICANT)
    response = post(client, "/password", {"old": "demo-password", "new": "new-password-1", "confirm": "new-password-1"},
                    page="/password")
    assert response.status_code == 302
    assert login(app.test_client(), APPLICANT, "new-password-1").status_code == 302
    assert login(app.test_client(), APPLICANT, "demo-password").status_code == 401


def test_language_switch_persists_and_dates_follow(client, app):
    login(client, APPLICANT)
    assert "我的待办" in text(client.get("/"))
    post(client, "/language", {"lang": "en", "next": "/"})
    page = text(client.get("/"))
    assert "My tasks" in page and "Mar 2008" in page
    other = app.test_client()  # a new sign-in remembers the choice
    login(other, APPLICANT)
    assert "My tasks" in text(other.get("/"))
    post(other, "/language", {"lang": "zh", "next": "/"})
    assert "2008年3月3日" in text(other.get("/"))


def test_csrf_token_is_on_every_form(client, party_engine):
    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    page = text(client.get(f"/tasks/{task_id}"))
    forms = page.count("<form")
    assert forms >= 3 and page.count('name="csrf_token"') == forms
    assert csrf(client, "/")  # and on the inbox
