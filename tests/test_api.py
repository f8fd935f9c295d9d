"""The JSON API: token authentication, the inbox operations and the OpenAPI document."""

from __future__ import annotations

import pytest

from party.demo.submissions import key_application

APPLICANT = "county1_applicant"


@pytest.fixture
def api(app, party_engine):
    client = app.test_client()

    def call(method: str, path: str, user: str | None = APPLICANT, **kwargs):
        headers = {"Authorization": f"Bearer {party_engine.issue_api_token(user)}"} if user else {}
        headers.update(kwargs.pop("headers", {}))
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def test_a_token_is_required(api):
    """No token or an invalid one: 401 with a WWW-Authenticate challenge (RFC 6750), in Chinese."""
    response = api("GET", "/tasks", user=None)
    assert response.status_code == 401 and response.get_json()["error"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "令牌" in response.get_json()["message"]
    response = api("GET", "/tasks", user=None, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_start_list_get_and_complete(api, party_engine):
    started = api("POST", "/processes/key_project/start")
    assert started.status_code == 201
    task_id = started.get_json()["task_id"]
    listed = api("GET", "/tasks?tab=mine").get_json()  # the unit's only applicant holds it at once
    assert listed["total"] == 1 and listed["tasks"][0]["id"] == task_id and listed["counts"]["claimable"] == 0
    detail = api("GET", f"/tasks/{task_id}").get_json()
    assert detail["task"]["name"] == "填写重点项目申报书" and detail["may_act"] is True
    assert "P03" in detail["form"]["properties"]["catalogue_project"]["enum"]
    invalid = api("POST", f"/tasks/{task_id}/complete", json={"data": {"title": "短"}})
    assert invalid.status_code == 422 and invalid.get_json()["fields"]["title"] == "至少填写 4 个字。"
    done = api("POST", f"/tasks/{task_id}/complete", json={"data": key_application("接口提交的项目")})
    assert done.status_code == 200 and done.get_json()["next_task_id"] is None  # now with the unit leader
    again = api("POST", f"/tasks/{task_id}/complete", json={"data": key_application("接口提交的项目")})
    assert again.status_code == 409 and again.get_json()["error"] == "task_already_handled"
    assert api("GET", "/tasks?tab=done").get_json()["total"] == 1


def test_claim_conflict_and_scope(api, party_engine):
    party_engine.add_user("county1_applicant2", "511802", ["applicant"], password="demo-password")
    instance_id = party_engine.start("key_project", APPLICANT, {})
    task_id = party_engine.my_task_in(APPLICANT, instance_id)
    assert api("POST", f"/tasks/{task_id}/claim").status_code == 204
    taken = api("POST", f"/tasks/{task_id}/claim", user="county1_applicant2")
    holder = party_engine.directory().people["county1_applicant"][0]
    assert taken.status_code == 409 and holder in taken.get_json()["message"]  # the display name, not the code
    assert "county1_applicant" not in taken.get_json()["message"]
    assert api("GET", f"/tasks/{task_id}", user="county2_applicant").status_code == 403
    assert api("GET", "/tasks/99999").status_code == 404
    assert api("POST", f"/tasks/{task_id}/unclaim").status_code == 204
    assert api("POST", f"/tasks/{task_id}/complete", json=["not", "an", "object"]).status_code == 422


def test_openapi_document_lists_every_operation(api, app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert operations == {"listTasks", "getTask", "completeTask", "claimTask", "unclaimTask", "startProcess"}
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    documented = {"/api/v1" + path.replace("{", "<").replace("}", ">") for path in document["paths"]}
    assert {r.replace("<int:", "<") for r in rules} - {"/api/v1/openapi.json"} == documented
