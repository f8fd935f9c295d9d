"""Hostile web input gets a 4xx and changes nothing, on both databases.

Each case is one a prober sent: open redirects through ``next``, ids and page numbers beyond 64
bits, JSON nested 100,000 deep, NUL bytes in a user name, a comment, a search and a process id.
A schemathesis run over the OpenAPI document closes the set: no generated request gets a 5xx.
"""

from __future__ import annotations

import json

import pytest

from tests.webhelpers import csrf
from tests.webhelpers import login
from tests.webhelpers import post

HUGE = str(2**64 + 1)


@pytest.fixture
def signed_in(client):
    assert login(client, "city_org").status_code == 302
    return client


@pytest.mark.parametrize("target", ["/%09/evil.example/x", "//evil.example/x", "/\\evil.example", "https://evil.example/",
                                    "/\t/evil.example", "/%0d%0aSet-Cookie:x=1", "javascript:alert(1)"])
def test_next_only_leads_to_this_site(client, target):
    token = csrf(client, "/login")
    response = client.post(f"/login?next={target}", data={"username": "city_org", "password": "demo-password",
                                                           "csrf_token": token})
    assert response.status_code in (302, 400)
    location = response.headers.get("Location", "/")
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_next_keeps_a_path_on_this_site(client):
    token = csrf(client, "/login")
    response = client.post("/login?next=/tasks/3?x=1", data={"username": "city_org", "password": "demo-password",
                                                             "csrf_token": token})
    assert response.headers["Location"].endswith("/tasks/3?x=1")


@pytest.mark.parametrize("path", [f"/tasks/{HUGE}", f"/attachments/{HUGE}", f"/?page={HUGE}", "/?page=0",
                                  "/?page=abc"])
def test_ids_and_pages_out_of_range_are_client_errors(signed_in, path):
    assert signed_in.get(path).status_code in (400, 404)


def test_api_ids_pages_and_json_out_of_range(app, party_engine):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {party_engine.issue_api_token('city_org')}"}
    assert client.get(f"/api/v1/tasks/{HUGE}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/tasks?page={HUGE}", headers=headers).status_code == 400
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/tasks/1/complete", data=deep,
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code in (400, 422) and response.get_json()["error"]
    nul = client.post("/api/v1/tasks/1/complete", json={"data": {"note": "a\x00b"}}, headers=headers)
    assert nul.status_code in (400, 422)
    assert client.post("/api/v1/processes/key\x00project/start", headers=headers).status_code in (400, 404)


def test_nul_bytes_are_refused_everywhere_a_person_types(client, party_engine):
    token = csrf(client, "/login")
    refused = client.post("/login", data={"username": "city\x00org", "password": "x", "csrf_token": token})
    assert refused.status_code == 400 and "不允许" in refused.get_data(as_text=True)
    login(client, "city_org")
    assert client.get("/?q=a%00b").status_code == 400
    instance_id = party_engine.start("key_project", "county1_applicant", {})
    task_id = party_engine.my_task_in("county1_applicant", instance_id)
    response = post(client, f"/tasks/{task_id}/comments", {"body": "意见\x00"})
    assert response.status_code == 400


# What a generated JSON body also gets, at its top and inside ``data``: values no database stores.
ODD_VALUES = ["\ud800", "a\udfffb", float("nan"), float("inf"), float("-inf")]


def with_odd_value(body: object, odd: object) -> object:
    """``body`` with ``odd`` added to it and to its ``data`` object, when it is an object."""
    if not isinstance(body, dict):
        return body
    data = body.get("data")
    return {**body, "note": odd, **({"data": {**data, "title": odd}} if isinstance(data, dict) else {})}


def test_the_api_answers_generated_requests_without_a_server_error(app, party_engine):
    """Bounded schemathesis run: every operation, a few examples each, no 5xx whatever is sent; JSON
    bodies also carry lone surrogates and non-finite numbers, which get a 400 (no 5xx, nothing stored)."""
    import schemathesis
    from hypothesis import HealthCheck
    from hypothesis import given
    from hypothesis import settings
    from hypothesis import strategies as st

    instance_id = party_engine.start("key_project", "county1_applicant", {})
    task_id = party_engine.my_task_in("county1_applicant", instance_id)
    token = party_engine.issue_api_token("county1_applicant")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    client = app.test_client()
    failures, refused_odd = [], []

    def probe_operation(operation) -> None:
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  derandomize=True)
        @given(case=operation.as_strategy(), odd=st.none() | st.sampled_from(ODD_VALUES), real=st.booleans())
        def probe(case, odd, real):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            odd_body = odd is not None and isinstance(case.body, dict)
            if odd_body and real and "task_id" in (case.path_parameters or {}):  # a task that exists, too
                case.path_parameters = {**case.path_parameters, "task_id": task_id}
            if odd_body:  # schemathesis's own serialiser refuses NaN: send the case's JSON as Python writes it
                response = client.open(case.formatted_path, method=case.method, query_string=case.query,
                                       headers={**case.headers, "Content-Type": "application/json"},
                                       data=json.dumps(with_odd_value(case.body, odd)))
            else:
                response = case.call()
            if response.status_code >= 500:
                failures.append((operation.label, case.path_parameters, case.query, response.status_code))
            if odd_body:
                refused_odd.append(response.status_code == 400)

        probe()

    for operation in schema.get_all_operations():
        probe_operation(operation.ok())
    assert failures == []
    assert refused_odd and all(refused_odd)  # odd bodies were sent, and each got its 400


ODD_JSON = [
    ('"\\ud800"', "surrogate"), ('"a\\udfffb"', "surrogate"), ("NaN", "non_finite"), ("Infinity", "non_finite"),
    ("-Infinity", "non_finite"), ("1e999", "non_finite"),
]


@pytest.mark.parametrize(("odd", "code"), ODD_JSON)
def test_odd_json_is_a_chinese_400_and_stores_nothing(app, party_engine, odd, code):
    """Lone surrogates and non-finite numbers in any JSON body: 400 in Chinese, nothing stored."""
    from party.demo.submissions import key_application

    client = app.test_client()
    instance_id = party_engine.start("key_project", "county1_applicant", {})
    task_id = party_engine.my_task_in("county1_applicant", instance_id)
    headers = {"Authorization": f"Bearer {party_engine.issue_api_token('county1_applicant')}",
               "Content-Type": "application/json"}
    data = key_application("代理项测试项目")
    for field in ("title", "budget_amount"):
        body = json.dumps({"data": {**data, field: "@ODD@"}}).replace('"@ODD@"', odd)
        response = client.post(f"/api/v1/tasks/{task_id}/complete", data=body, headers=headers)
        assert response.status_code == 400, (field, response.get_data(as_text=True))
        assert response.get_json()["error"] == code and "未做任何更改" in response.get_json()["message"]
    assert party_engine.my_task_in("county1_applicant", instance_id) == task_id  # still open
    assert party_engine.task("county1_applicant", task_id).draft is None

    login(client, "admin")  # the modeler and the forms editor post JSON too
    for path in ("/admin/processes/forms/preview", "/admin/processes/check"):
        body = '{"text": @ODD@, "name": "x.bpmn", "xml": @ODD@}'.replace("@ODD@", odd)
        response = client.post(path, data=body, headers={"Content-Type": "application/json",
                                                         "X-CSRFToken": csrf(client, "/admin/processes/")})
        assert response.status_code == 400 and response.get_json()["error"] == code


@pytest.mark.parametrize("odd", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_non_finite_numbers_typed_in_forms_are_not_numbers(client, party_engine, odd):
    """The task form, its draft and the year plan keep 'nan' as typed text and say it is not a number."""
    from tests.test_plans import flat

    login(client, "county1_applicant")
    instance_id = party_engine.start("key_project", "county1_applicant", {})
    task_id = party_engine.my_task_in("county1_applicant", instance_id)
    page = f"/tasks/{task_id}"
    post(client, page, {"action": "save", "title": "草稿", "budget_amount": odd}, page=page)
    draft = party_engine.task("county1_applicant", task_id).draft
    assert draft["title"] == "草稿" and draft["budget_amount"] == odd  # kept as typed, not as a float
    response = post(client, page, {"action": "submit", "title": "提交", "budget_amount": odd}, page=page)
    assert response.status_code == 422 and party_engine.my_task_in("county1_applicant", instance_id) == task_id

    login(client, "city_org")
    _form, values = party_engine.plan_form("city_org", 2008)
    before = party_engine.reference("year:2008")
    response = post(client, "/plans/2008", {**flat(values), "quota_key_project": odd}, page="/plans/2008")
    assert response.status_code == 422 and party_engine.reference("year:2008") == before


def test_the_forms_editor_explains_odd_and_deep_forms(client):
    """NaN, a lone surrogate or 10,000 levels of nesting in a form: a message in Chinese, no 500."""
    login(client, "admin")
    token = csrf(client, "/admin/processes/")
    deep = '{"type": "object", "properties": {"a": ' + '{"type": "object", "properties": {"a": ' * 10_000 \
        + "{}" + "}}" * 10_000 + "}}"
    cases = {
        '{"type": "object", "properties": {"a": {"type": "number", "maximum": NaN}}}': "不是有限",
        '{"type": "object", "properties": {"a": {"type": "string", "title": "\\ud800"}}}': "代理",
        deep: "嵌套",
    }
    for text_of_form, expected in cases.items():
        response = client.post("/admin/processes/forms/preview", json={"text": text_of_form},
                               headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert expected in response.get_json()["problem"]
