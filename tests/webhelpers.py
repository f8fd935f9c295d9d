"""Driving the web application through the Flask test client, CSRF tokens included."""

from __future__ import annotations

import re
from typing import Any

from party.demo.submissions import FIVE_SYSTEMS

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, page: str = "/login") -> str:
    html = client.get(page).get_data(as_text=True)
    match = TOKEN.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def login(client, username: str, password: str = "demo-password"):
    token = csrf(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def post(client, url: str, data: dict[str, Any] | None = None, page: str = "/", **kwargs):
    """POST with the CSRF token of ``page`` (any page of the signed-in session)."""
    body = {**(data or {}), "csrf_token": csrf(client, page)}
    return client.post(url, data=body, **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


def application_form(**overrides: Any) -> dict[str, Any]:
    """A complete key-project application as the HTML form posts it, with ``overrides``."""
    data = {"catalogue_project": "P03", "title": "党员党性定期分析试点", "sector": "quality", "brands": ["xuanyou"],
            **FIVE_SYSTEMS, "indicators.0.name": "覆盖率", "indicators.0.target": "100%",
            "contact_person": "王芳", "contact_phone": "0835-2222333", "project_leader": "张明",
            "period_start": "2008-04-01", "period_end": "2008-12-31", "schedule.0.step": "制定实施细则",
            "schedule.0.start": "2008-04-01", "schedule.0.end": "2008-05-15", "budget_amount": "12.5",
            "budget_source": "财政党建专项", "expected_results": "建成3个示范点，形成制度成果。",
            "unit_opinion": "同意申报", "secretary": "刘建华", "sealed": "on", "filing_date": "2008-03-03",
            "action": "submit"}
    data.update(overrides)
    return data
