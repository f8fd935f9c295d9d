"""The application (申报书) printed by Chromium to PDF on A4 holds every field the applicant filed."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from party.demo.submissions import APPLICATION_DETAILS
from tests.browser.helpers import ARTIFACTS
from tests.browser.helpers import User

pytestmark = pytest.mark.browser

LABELS = ("项目名称", "项目责任人", "实施周期（开始）", "实施周期（结束）", "实施步骤与进度安排",
          "经费预算（万元）", "经费来源", "预期成果", "申报单位意见", "单位党组织书记（签字）", "填报日期",
          "联系人", "考核指标", "目标体系")


def test_printed_application_holds_every_field(browser, site):
    base, party = site
    instance_id = party.apply("county1_applicant", "申报书打印项目")
    applicant = User(browser, base, "county1_applicant", "application").login()
    applicant.page.goto(f"{base}/projects/{instance_id}/application")
    pdf = applicant.page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "application.pdf").write_bytes(pdf)
    applicant.shot("application")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = "".join(text.split())  # the PDF breaks lines where the page does
    for label in LABELS:
        assert label in text, label
    for value in ("申报书打印项目", "张明（组织部副部长）", "2008年4月1日", "2008年12月31日",
                  "制定实施细则，明确责任分工", "12.5", "县（区）财政党建专项经费", "刘建华", "已盖章",
                  "2008年3月3日", "雨城区"):
        assert "".join(value.split()) in text, value
    assert APPLICATION_DETAILS["expected_results"] in text
    applicant.close()
