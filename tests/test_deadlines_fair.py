"""Deadlines are fair: nothing is born overdue, and an extension moves the timers derived from it.

Over the 2008 calendar: a project approved late in the year finds its first quarterly report's
date long past, and gets a window of working days instead; a granted extension of a quarterly
report moves its grace timer, so no accountability case opens inside the time that was granted.
"""

from __future__ import annotations

from datetime import date

from engine.clock import BUSINESS_TZ
from engine.workdays import add_workdays
from party.demo.driver import ProjectDriver

APPLICANT = "county1_applicant"


def approved(party: ProjectDriver) -> int:
    instance_id = party.apply(APPLICANT, "公平期限项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.argue_and_approve(instance_id, APPLICANT)
    return instance_id


def test_a_step_starting_after_its_date_gets_working_days_instead_of_being_overdue(party):
    instance_id = party.apply(APPLICANT, "迟到的申报")
    party.at("2008-04-07")  # the leader's step is due in 5 working days; it starts after the window
    row = party.task("county1_leader", "leader_approval", instance_id)
    assert row.due_at > row.created_at  # a normal step: due after it starts
    # a calendar date already past when the step starts: the 31 March application close
    late = party.start(APPLICANT)
    task = party.task(APPLICANT, "submit_key", late)
    started = task.created_at.astimezone(BUSINESS_TZ).date()
    assert started == date(2008, 4, 7) and task.due_at.astimezone(BUSINESS_TZ).date() == date(2008, 4, 14)


def test_an_extension_moves_the_grace_timer_so_no_case_opens_in_granted_time(party):
    engine = party.engine
    instance_id = approved(party)
    party.at("2008-04-21")  # the first quarterly report opens, due 30 April, grace until 19 May
    report = party.task(APPLICANT, "report", instance_id)
    request_id = engine.request_extension(APPLICANT, report.id, date(2008, 5, 30), "需等待年度考核数据")
    engine.decide_extension("city_org", request_id, approve=True, note="同意延期一个月")
    assert "逾期超过宽限期" in [e.reason for e in engine.instance("admin", instance_id).events
                           if e.kind == "timers_moved"]
    party.at("2008-05-20")  # past the old grace date: no accountability case
    assert "open_case" not in party.steps(instance_id)
    party.at("2008-06-18 12:00")  # the grace moved with the due date (+30 days: 18 June 18:00)
    assert "open_case" not in party.steps(instance_id) and "report" in party.steps(instance_id)
    party.at("2008-06-19")  # now it has passed: the case opens, as before, only later
    assert "open_case" in party.steps(instance_id)


def test_without_an_extension_the_grace_timer_fires_on_its_date(party):
    instance_id = approved(party)
    party.at("2008-04-21")
    party.at("2008-05-20")
    assert "open_case" in party.steps(instance_id)


def workdays_between(start: date, end: date) -> int:
    count = 0
    while add_workdays(start, count + 1) <= end:
        count += 1
    return count


def test_a_step_after_a_late_predecessor_still_gets_the_plans_minimum_of_working_days(party):
    """The panel is named on the argumentation deadline: the experts' scoring, due that same day by
    the calendar, still gets the year plan's minimum of working days from its own start."""
    instance_id = party.apply(APPLICANT, "前一环节迟办项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-18 16:00")  # the argumentation deadline itself
    party.assign_panel(instance_id)
    minimum = 3  # the 2008 plan's workdays.minimum
    for member in ("panel1", "panel2", "panel3"):
        task = party.task(member, "panel_score", instance_id)
        started = task.created_at.astimezone(BUSINESS_TZ).date()
        due = task.due_at.astimezone(BUSINESS_TZ).date()
        assert started == date(2008, 4, 18) and workdays_between(started, due) >= minimum
