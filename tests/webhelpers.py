"""Driving the web application through the Flask test client, CSRF tokens included."""

from __future__ import annotations

import re
from typing import Any

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
