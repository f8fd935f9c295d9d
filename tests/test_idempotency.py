"""Idempotent API writes: an ``Idempotency-Key`` makes a POST safe to repeat (issue 22's retries).

A repeat with the same key and request is answered with the first response and changes nothing;
the same key with another request is refused (422); keys are per user; a write killed before its
commit is done by the retry, one killed after it is replayed; on PostgreSQL a repeat of a request
still in progress gets 409.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from engine.persistence import idempotency
from engine.persistence.db import is_sqlite
from engine.persistence.models import InstanceEvent
from engine.persistence.models import ProcessInstance
from party import PARTY
from party.demo.submissions import key_application

APPLICANT = "county1_applicant"


@pytest.fixture
def api(app, party_engine):
    client = app.test_client()
    tokens: dict[str, str] = {}

    def call(method: str, path: str, user: str = APPLICANT, key: str | None = None, **kwargs):
        if user not in tokens:
            tokens[user] = party_engine.issue_api_token(user)
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def events(engine, instance_id: int, kind: str) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).select_from(InstanceEvent).where(
            InstanceEvent.instance_id == instance_id, InstanceEvent.kind == kind))


def started_by(engine, username: str) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance)
                              .where(ProcessInstance.started_by == username))


def test_a_repeated_write_gets_the_first_response_and_is_done_once(api, party_engine):
    started = api("POST", "/processes/key_project/start", key="start-1")
    again = api("POST", "/processes/key_project/start", key='"start-1"')  # the structured-field form is the same key
    assert started.status_code == again.status_code == 201 and again.get_json() == started.get_json()
    assert started_by(party_engine, APPLICANT) == 1
    instance_id, task_id = started.get_json()["instance_id"], started.get_json()["task_id"]
    body = {"data": key_application("幂等提交的项目")}
    first = api("POST", f"/tasks/{task_id}/complete", key="done-1", json=body)
    replay = api("POST", f"/tasks/{task_id}/complete", key="done-1", json=body)
    assert first.status_code == replay.status_code == 200 and replay.get_json() == first.get_json()
    assert events(party_engine, instance_id, "task_completed") == 1
    unkeyed = api("POST", f"/tasks/{task_id}/complete", json=body)  # without a key: refused, as before
    assert unkeyed.status_code == 409 and unkeyed.get_json()["error"] == "task_already_handled"


def test_claim_and_unclaim_repeated_with_their_keys_are_done_once(api, party_engine):
    party_engine.add_user("county1_applicant2", "511802", ["applicant"], password="demo-password")
    instance_id = party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.my_task_in(APPLICANT, instance_id)
    for _attempt in range(2):
        assert api("POST", f"/tasks/{task_id}/claim", key="claim-1").status_code == 204
    for _attempt in range(2):
        assert api("POST", f"/tasks/{task_id}/unclaim", key="unclaim-1").status_code == 204
    assert events(party_engine, instance_id, "claimed") == 1
    assert events(party_engine, instance_id, "unclaimed") == 1


def test_the_same_key_with_another_request_is_refused(api, party_engine):
    instance_id = party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.my_task_in(APPLICANT, instance_id)
    first = api("POST", f"/tasks/{task_id}/complete", key="k-1", json={"data": key_application("第一次的项目")})
    assert first.status_code == 200
    other = api("POST", f"/tasks/{task_id}/complete", key="k-1", json={"data": key_application("另一个项目")})
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"
    assert "已用于另一个请求" in other.get_json()["message"]
    elsewhere = api("POST", "/processes/key_project/start", key="k-1")  # another operation: refused too
    assert elsewhere.status_code == 422 and started_by(party_engine, APPLICANT) == 1
    assert events(party_engine, instance_id, "task_completed") == 1
    too_long = api("POST", "/processes/key_project/start", key="x" * 201)
    assert too_long.status_code == 422 and too_long.get_json()["error"] == "invalid_input"


def test_keys_are_per_user(api, party_engine):
    mine = api("POST", "/processes/key_project/start", key="same-key")
    theirs = api("POST", "/processes/key_project/start", user="county2_applicant", key="same-key")
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["instance_id"] != theirs.get_json()["instance_id"]
    assert started_by(party_engine, APPLICANT) == started_by(party_engine, "county2_applicant") == 1


def test_a_write_whose_answer_was_lost_is_replayed_not_done_again(api, party_engine):
    """kill -9 between the commit and the response: the use case ran, its answer never arrived."""
    started = party_engine.launch("key_project", APPLICANT, {}, idempotency_key="lost-start")
    retry = api("POST", "/processes/key_project/start", key="lost-start")
    assert retry.status_code == 201
    assert retry.get_json() == {"instance_id": started.instance_id, "task_id": started.task_id}
    assert started_by(party_engine, APPLICANT) == 1
    data = key_application("答复丢失的项目")
    done = party_engine.complete(APPLICANT, started.task_id, data, next_task=True, idempotency_key="lost-done")
    retry = api("POST", f"/tasks/{started.task_id}/complete", key="lost-done", json={"data": data})
    assert retry.status_code == 200
    assert retry.get_json() == {"instance_id": done.instance_id, "next_task_id": done.next_task_id}
    assert events(party_engine, started.instance_id, "task_completed") == 1


def test_a_write_killed_before_its_commit_is_done_by_the_retry(api, party_engine, monkeypatch):
    """kill -9 after the work, before the commit: nothing stays, the retry does it once."""
    def killed(*args, **kwargs):
        raise RuntimeError("killed before the commit")

    monkeypatch.setattr(idempotency, "remember", killed)
    with pytest.raises(RuntimeError):
        party_engine.launch("key_project", APPLICANT, {}, idempotency_key="cut-off")
    monkeypatch.undo()
    assert started_by(party_engine, APPLICANT) == 0
    retry = api("POST", "/processes/key_project/start", key="cut-off")
    assert retry.status_code == 201 and started_by(party_engine, APPLICANT) == 1
    assert api("POST", "/processes/key_project/start", key="cut-off").get_json() == retry.get_json()


def test_a_repeat_while_the_first_is_in_progress_gets_409(api, party_engine, database_url):
    if is_sqlite(database_url):
        pytest.skip("SQLite runs one write at a time: a repeat waits for the first and gets its response")
    other_host = create_engine(database_url)
    try:
        with other_host.begin() as connection:  # another web host is between its work and its commit
            connection.execute(text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:name))"),
                               {"namespace": idempotency.KEY_LOCK_NAMESPACE,
                                "name": idempotency.key_lock_name(APPLICANT, "busy")})
            busy = api("POST", "/processes/key_project/start", key="busy")
    finally:
        other_host.dispose()
    assert busy.status_code == 409 and busy.get_json()["error"] == "request_in_progress"
    assert "仍在处理" in busy.get_json()["message"] and started_by(party_engine, APPLICANT) == 0
    assert api("POST", "/processes/key_project/start", key="busy").status_code == 201


def test_keys_expire(api, party_engine):
    first = api("POST", "/processes/key_project/start", key="yesterday")
    assert party_engine.purge_idempotency_keys() == 0  # kept for a day
    assert party_engine.purge_idempotency_keys(keep_hours=0) == 1
    again = api("POST", "/processes/key_project/start", key="yesterday")
    assert again.status_code == 201 and again.get_json()["instance_id"] != first.get_json()["instance_id"]


def test_the_openapi_document_offers_the_key_on_every_write(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    for path in document["paths"].values():
        for method, operation in path.items():
            keyed = {"$ref": "#/components/parameters/IdempotencyKey"} in operation.get("parameters", [])
            assert keyed == (method == "post"), operation["operationId"]
    assert document["components"]["parameters"]["IdempotencyKey"]["name"] == "Idempotency-Key"


def test_simultaneous_repeats_with_one_key_complete_once(party_engine):
    """Four copies of one keyed completion at once (a client repeating too eagerly, on several
    hosts): the task is completed once, and every copy gets that completion or "in progress"."""
    import threading

    from engine import Engine
    from engine.errors import RequestInProgress

    instance_id = party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.my_task_in(APPLICANT, instance_id)
    data = key_application("同时重复提交的项目")
    hosts = [Engine(party_engine.settings, domain=PARTY) for _copy in range(4)]
    barrier = threading.Barrier(len(hosts))
    answers: list = []

    def attempt(host) -> None:
        barrier.wait()
        try:
            answers.append(host.complete(APPLICANT, task_id, data, next_task=True, idempotency_key="eager"))
        except RequestInProgress as busy:
            answers.append(busy)

    threads = [threading.Thread(target=attempt, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for host in hosts:
        host.db.dispose()
    completions = {answer for answer in answers if not isinstance(answer, RequestInProgress)}
    assert len(answers) == len(hosts) and len(completions) == 1
    assert events(party_engine, instance_id, "task_completed") == 1


def test_the_workers_pass_deletes_keys_a_day_old(party_engine):
    from datetime import timedelta

    from engine.persistence.bookkeeping import IdempotencyKey
    from engine.persistence.jobs import wall_now
    from engine.worker import work_once

    with party_engine.db.write() as session:
        for key, age in (("old", timedelta(hours=25)), ("new", timedelta(hours=1))):
            session.add(IdempotencyKey(actor=APPLICANT, idempotency_key=key, fingerprint="0" * 64, response="null",
                                       created_at=wall_now() - age))
    work_once(party_engine)
    with party_engine.db.read() as session:
        assert list(session.scalars(select(IdempotencyKey.idempotency_key))) == ["new"]
