"""Pages show people and units by the names their view passed: rendering never asks the engine."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask import render_template_string

from engine.service import Directory

NAMES = Directory(people={"wangfang": ("王芳", "雨城区委组织部")}, units={"c1": "雨城区委组织部"})


class NoEngine:
    """Stands in for the engine: any use of it during rendering fails the test."""

    def __getattr__(self, name: str) -> None:
        raise AssertionError(f"the template called engine.{name}")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    from web import create_app

    app = create_app({"SECRET_KEY": "names", "DATABASE_URL": f"sqlite:///{tmp_path}/web.db"})
    app.extensions["engine"] = NoEngine()
    return app


def test_filters_read_the_names_the_view_passed(app: Flask) -> None:
    step = SimpleNamespace(holder=None, role="unit_leader", scope_unit="c1")
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        shown = render_template_string(
            "{{ 'wangfang'|person }}|{{ 'wangfang'|person_name }}|{{ 'c1'|unit }}|{{ 'wangfang'|shown }}|"
            "{{ step|held_by }}|{{ 'nobody'|person }}", names=NAMES, step=step)
    assert shown.split("|") == ["王芳（雨城区委组织部）", "王芳", "雨城区委组织部", "王芳（雨城区委组织部）",
                                "分管党建工作领导（雨城区委组织部）", "nobody"]


def test_a_page_showing_people_without_names_from_its_view_fails(app: Flask) -> None:
    with app.test_request_context("/"), pytest.raises(LookupError, match="passed none"):
        render_template_string("{{ 'wangfang'|person }}")
