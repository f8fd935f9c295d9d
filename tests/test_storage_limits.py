"""What users can store is bounded: drafts (kept apart from the inbox's rows), files per project,
processes started per day; each refusal is a clear Chinese message and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine import Engine
from engine import clock
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import InvalidUpload
from engine.errors import NotFound
from engine.persistence.models import Attachment
from engine.persistence.models import AttachmentBlob
from engine.persistence.models import TaskDraft
from party import PARTY
from party.demo.submissions import key_application
from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text

APPLICANT = "county1_applicant"
PDF = b"%PDF-1.4\n" + b"0" * (600 * 1024)


def new_application(engine: Engine) -> int:
    instance_id = engine.start("key_project", APPLICANT, {})
    return engine.my_task_in(APPLICANT, instance_id)


def test_drafts_are_bounded_and_kept_apart_from_task_rows(party_engine):
    task_id = new_application(party_engine)
    party_engine.save_draft(APPLICANT, task_id, {"title": "草稿标题"})
    party_engine.save_draft(APPLICANT, task_id, {"title": "改过的草稿标题"})
    assert party_engine.task(APPLICANT, task_id).draft == {"title": "改过的草稿标题"}
    with pytest.raises(InvalidInput, match="too large"):
        party_engine.save_draft(APPLICANT, task_id, {"title": "长" * 2_000_000})
    assert party_engine.task(APPLICANT, task_id).draft == {"title": "改过的草稿标题"}  # the old one stays
    party_engine.complete(APPLICANT, task_id, key_application("提交后草稿清除"))
    with party_engine.db.read() as session:
        assert session.scalar(select(func.count()).select_from(TaskDraft)) == 0


def test_an_oversized_draft_gets_a_chinese_message_on_the_page(client, party_engine):
    task_id = new_application(party_engine)
    login(client, APPLICANT)
    response = post(client, f"/tasks/{task_id}", {"title": "x" * 1_100_000, "action": "save"}, page=f"/tasks/{task_id}")
    assert response.status_code == 422 and "草稿过大" in text(response)
    assert "x" * 1000 in text(response)  # what was typed comes back


@pytest.fixture
def small_quota(party_engine) -> Engine:
    engine = Engine(replace(party_engine.settings, upload_quota_bytes=1024 * 1024), domain=PARTY)
    yield engine
    engine.db.dispose()


def test_files_of_one_project_have_a_quota_and_own_files_can_be_deleted(small_quota):
    task_id = new_application(small_quota)
    first = small_quota.upload(APPLICANT, task_id, "方案一.pdf", PDF)
    with pytest.raises(InvalidUpload) as refused:
        small_quota.upload(APPLICANT, task_id, "方案二.pdf", PDF + b"1")
    assert refused.value.params["limit"] == 1
    with pytest.raises(NotFound):
        small_quota.delete_attachment("county1_org", first.id)  # not theirs
    small_quota.delete_attachment(APPLICANT, first.id)
    second = small_quota.upload(APPLICANT, task_id, "方案二.pdf", PDF + b"1")  # room again
    with small_quota.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AttachmentBlob)) == 1  # the deleted bytes went
    small_quota.complete(APPLICANT, task_id, {**key_application("附件已提交"), "attachments": [second.reference()]})
    with pytest.raises(InvalidState):
        small_quota.delete_attachment(APPLICANT, second.id)  # submitted with the step: kept
    with small_quota.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 1


def test_deleting_a_file_from_the_task_page(client, party_engine):
    task_id = new_application(party_engine)
    info = party_engine.upload(APPLICANT, task_id, "草稿附件.pdf", PDF)
    login(client, APPLICANT)
    page = text(client.get(f"/tasks/{task_id}"))
    assert f"/attachments/{info.id}/delete" in page
    response = post(client, f"/attachments/{info.id}/delete", {"next": f"/tasks/{task_id}"}, page=f"/tasks/{task_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task_id}")
    assert "草稿附件.pdf" not in text(client.get(f"/tasks/{task_id}"))


def test_processes_started_per_day_are_limited(party_engine):
    limited = Engine(replace(party_engine.settings, max_starts_per_day=2), domain=PARTY)
    try:
        limited.start("key_project", APPLICANT, {})
        limited.start("key_project", APPLICANT, {})
        with pytest.raises(InvalidState, match="started 2 processes today"):
            limited.start("key_project", APPLICANT, {})
        assert limited.start("key_project", "county2_applicant", {})  # others are not affected
        clock.advance(timedelta(days=1))
        assert limited.start("key_project", APPLICANT, {})
    finally:
        limited.db.dispose()


def test_the_start_limit_message_is_chinese_on_the_inbox(app, party_engine):
    limited_app_engine = Engine(replace(party_engine.settings, max_starts_per_day=1), domain=PARTY)
    from web import create_app

    limited = create_app({"ENGINE": limited_app_engine, "TESTING": True, "SECRET_KEY": "test"})
    client = limited.test_client()
    login(client, APPLICANT)
    assert post(client, "/start/key_project").status_code == 302
    response = post(client, "/start/key_project", follow_redirects=True)
    assert "已达每人每日上限" in text(response)
    limited_app_engine.db.dispose()


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                     "\u2069"])
def test_attachment_names_lose_bidirectional_controls(party_engine, control):
    """'方案\u202efdp.exe' would read as '方案exe.pdf': the stored name keeps no override or isolate."""
    task_id = new_application(party_engine)
    stored = party_engine.upload(APPLICANT, task_id, f"方案{control}二{control}.pdf", PDF)
    assert stored.name == "方案二.pdf"
    with party_engine.db.read() as session:
        assert session.scalars(select(Attachment.name)).all() == ["方案二.pdf"]


def test_the_json_limit_states_its_own_size(app, party_engine):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {party_engine.issue_api_token(APPLICANT)}",
               "Content-Type": "application/json"}
    body = '{"data": {"title": "' + "字" * (1024 * 1024) + '"}}'
    response = client.post("/api/v1/tasks/1/complete", data=body.encode("utf-8"), headers=headers)
    assert response.status_code == 413 and "超过 2 MB" in response.get_json()["message"]
