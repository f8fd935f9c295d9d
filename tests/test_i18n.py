"""Every message a user can see has a Chinese translation; dates print the Chinese way."""

from __future__ import annotations

from datetime import date

from tools.i18n import missing
from web.i18n import translate


def test_every_message_is_translated_into_chinese():
    assert missing() == [], "run: python -m tools.i18n, then fill in the new messages"


def test_engine_errors_read_in_chinese_with_their_parameters():
    assert translate("%(what)s %(key)s does not exist.", {"what": "Task", "key": 7}) == "事项 7 不存在。"
    assert translate("This field is required.", locale="en") == "This field is required."


def test_chinese_dates(app):
    from web.formatting import fmt_date

    with app.test_request_context():
        assert fmt_date(date(2008, 3, 1)) == "2008年3月1日"
        assert fmt_date("2008-12-05T09:00:00+08:00") == "2008年12月5日"
