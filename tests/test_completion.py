"""Handing in a task from the HTML form: one engine call, one write transaction, one load of the
workflow, and the chosen files stored only when the submission is accepted."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine import Engine
from engine.persistence.models import Attachment
from engine.persistence.models import AttachmentBlob
from engine.persistence.models import InstanceEvent
from party.demo.submissions import key_application
from tests.webhelpers import application_form
from tests.webhelpers import csrf
from tests.webhelpers import login
from tests.webhelpers import text

APPLICANT = "county1_applicant"
PLAN = b"%PDF-1.4\n%implementation plan\n"
BUDGET = b"%PDF-1.4\n%budget table\n"


class Counts:
    """How many write and read transactions, and loads of a workflow, the web engine made."""

    def __init__(self) -> None:
        self.writes = self.reads = self.loads = 0


@pytest.fixture
def counted(app: Any, monkeypatch: pytest.MonkeyPatch) -> Counts:
    """Counts of the web application's engine from now on."""
    engine: Engine = app.config["ENGINE"]
    counts = Counts()
    write, read, load = engine.db.write, engine.db.read, engine.runs.load

    @contextmanager
    def counted_write() -> Iterator[Any]:
        counts.writes += 1
        with write() as session:
            yield session

    @contextmanager
    def counted_read() -> Iterator[Any]:
        counts.reads += 1
        with read() as session:
            yield session

    def counted_load(*args: Any, **kwargs: Any) -> Any:
        counts.loads += 1
        return load(*args, **kwargs)

    monkeypatch.setattr(engine.db, "write", counted_write)
    monkeypatch.setattr(engine.db, "read", counted_read)
    monkeypatch.setattr(engine.runs, "load", counted_load)
    return counts


def new_application(engine: Engine) -> tuple[int, int]:
    instance_id = engine.start("key_project", APPLICANT, {})
    return instance_id, engine.my_task_in(APPLICANT, instance_id)


def submitted(client: Any, task_id: int, **overrides: Any) -> Any:
    """Post the application form of ``task_id`` with two files chosen in its file field."""
    token = csrf(client, f"/tasks/{task_id}")
    files = [(io.BytesIO(PLAN), "实施方案.pdf"), (io.BytesIO(BUDGET), "预算表.pdf")]
    body = {**application_form(**overrides), "attachments__upload": files, "csrf_token": token}
    return client.post(f"/tasks/{task_id}", data=body, content_type="multipart/form-data")


def stored_files(engine: Engine) -> tuple[int, int]:
    with engine.db.read() as session:
        return (session.scalar(select(func.count()).select_from(Attachment)),
                session.scalar(select(func.count()).select_from(AttachmentBlob)))


def test_completing_with_two_files_is_one_transaction_and_one_load(client, party_engine, counted):
    instance_id, task_id = new_application(party_engine)
    login(client, APPLICANT)
    token = csrf(client, f"/tasks/{task_id}")
    counted.writes = counted.reads = counted.loads = 0
    files = [(io.BytesIO(PLAN), "实施方案.pdf"), (io.BytesIO(BUDGET), "预算表.pdf")]
    response = client.post(f"/tasks/{task_id}", data={**application_form(), "attachments__upload": files,
                                                      "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert (counted.writes, counted.loads) == (1, 1)
    assert counted.reads <= 1  # the signed-in session's check, nothing of the task
    with party_engine.db.read() as session:
        rows = session.execute(select(Attachment.name, Attachment.instance_id, Attachment.human_task_id)
                               .order_by(Attachment.id)).all()
        event = session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "task_completed")).one()
    assert [tuple(row) for row in rows] == [("实施方案.pdf", instance_id, task_id),
                                            ("预算表.pdf", instance_id, task_id)]
    assert [ref["name"] for ref in event.data["attachments"]] == ["实施方案.pdf", "预算表.pdf"]
    assert stored_files(party_engine) == (2, 2)


def test_a_rejected_submission_stores_no_file_and_keeps_what_was_typed(client, party_engine):
    _instance_id, task_id = new_application(party_engine)
    login(client, APPLICANT)
    response = submitted(client, task_id, budget_amount="十二万", title="被退回的标题")
    page = text(response)
    assert response.status_code == 422 and "请按提示修改标出的内容" in page
    assert 'value="被退回的标题"' in page and 'value="十二万"' in page
    assert "以下文件未保存：实施方案.pdf、预算表.pdf" in page
    assert stored_files(party_engine) == (0, 0)
    assert party_engine.task(APPLICANT, task_id).row.status == "open"


def test_a_refused_file_stores_neither_file(client, party_engine):
    _instance_id, task_id = new_application(party_engine)
    login(client, APPLICANT)
    token = csrf(client, f"/tasks/{task_id}")
    files = [(io.BytesIO(PLAN), "实施方案.pdf"), (io.BytesIO(b"MZ\x90\x00"), "预算表.pdf")]
    response = client.post(f"/tasks/{task_id}", data={**application_form(), "attachments__upload": files,
                                                      "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422 and "文件内容与扩展名 .pdf 不符" in text(response)
    assert stored_files(party_engine) == (0, 0)


def test_a_task_already_done_stores_nothing_and_says_by_whom(client, party_engine):
    _instance_id, task_id = new_application(party_engine)
    login(client, APPLICANT)
    token = csrf(client, f"/tasks/{task_id}")
    party_engine.complete(APPLICANT, task_id, key_application("先办完的项目"))
    files = [(io.BytesIO(PLAN), "实施方案.pdf"), (io.BytesIO(BUDGET), "预算表.pdf")]
    response = client.post(f"/tasks/{task_id}", data={**application_form(title="晚到的标题"),
                                                      "attachments__upload": files, "csrf_token": token},
                           content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 409 and "该事项已由" in page
    assert "以下文件未保存：实施方案.pdf、预算表.pdf。此事项已经办理，无需再提交。" in page
    assert "提交前请重新选择" not in page  # nothing is left to submit them with
    assert stored_files(party_engine) == (0, 0)


def test_a_draft_with_two_files_is_one_transaction_and_keeps_both(client, party_engine, counted):
    _instance_id, task_id = new_application(party_engine)
    login(client, APPLICANT)
    token = csrf(client, f"/tasks/{task_id}")
    counted.writes = counted.reads = counted.loads = 0
    files = [(io.BytesIO(PLAN), "实施方案.pdf"), (io.BytesIO(BUDGET), "预算表.pdf")]
    response = client.post(f"/tasks/{task_id}", data={"title": "草稿", "action": "save", "attachments__upload": files,
                                                      "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert (counted.writes, counted.loads) == (1, 0)
    draft = party_engine.task(APPLICANT, task_id).draft
    assert draft is not None and draft["title"] == "草稿"
    assert [ref["name"] for ref in draft["attachments"]] == ["实施方案.pdf", "预算表.pdf"]
    assert stored_files(party_engine) == (2, 2)
