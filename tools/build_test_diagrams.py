"""Write the small diagrams the engine tests run, under ``tests/diagrams/``.

Run ``python -m tools.build_test_diagrams`` after changing this file; a test checks the committed
files match what it writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from tools.bpmn_builder import Process
from tools.bpmn_builder import decision_table

OUT = Path(__file__).resolve().parent.parent / "tests" / "diagrams"

APPLICANT = ("lane_applicant", "申报单位经办人")
COUNTY = ("lane_county", "县(区)委组织部")
CITY = ("lane_city", "市委组织部")
PANEL = ("lane_panel", "考评验收组成员")


def approval() -> Process:
    """Submit, county review with return-for-revision, city approval; quota, milestones, due dates."""
    p = Process("approval", "测试审批", lanes=[APPLICANT, COUNTY, CITY])
    p.start("start", lane="lane_applicant")
    p.script("init", "初始化", "rounds = 0\napplication_kind = 'test'", "lane_applicant")
    p.user("submit", "提交申请", "lane_applicant", form="application.json", dueIn="P7D", milestone="submitted",
           documentation="请填写**申请书**。")
    p.script("check_quota", "检查申报限额",
             "if count_projects('test', applicant_unit, year) >= 2:\n"
             "    refuse('本单位本年度已申报2个项目')\nrounds += 1",
             "lane_applicant")
    p.user("county_review", "县级初审", "lane_county", form="review.json", scope="county_of(applicant_unit)",
           dueWorkdays="5")
    p.xor("county_decision", "初审结果", "lane_county")
    p.user("city_review", "市级审核", "lane_city", form="review.json", dueDate="review_deadline",
           milestone="approved")
    p.xor("city_decision", "审核结果", "lane_city")
    p.end("approved", "已立项", "lane_city")
    p.end("rejected", "不予立项", "lane_city")
    p.chain("start", "init", "submit", "check_quota", "county_review", "county_decision")
    p.flow("county_decision", "submit", "decision == 'return'", "退回修改")
    p.flow("county_decision", "city_review", default=True)
    p.flow("city_review", "city_decision")
    p.flow("city_decision", "approved", "decision == 'approve'", "立项")
    p.flow("city_decision", "rejected", default=True)
    return p


def timers() -> Process:
    """A bare ISO duration, a date read from data and a non-interrupting reminder cycle."""
    p = Process("timers", "测试定时器", lanes=[CITY])
    p.start("start", lane="lane_city")
    p.script("init", "初始化", "reminders = 0", "lane_city")
    p.timer("wait_week", "等待一周", "timeDuration", "P7D", "lane_city")
    p.user("report", "填报", "lane_city", form="report.json")
    p.boundary_timer("remind", "提醒", "report", "timeCycle", "R2/P10D", interrupting=False)
    p.script("count_reminder", "记录提醒", "reminders += 1", "lane_city")
    p.end("reminded", "提醒完成", "lane_city")
    p.timer("wait_date", "等待截止日", "timeDate", "deadline", "lane_city")
    p.end("end", "结束", "lane_city")
    p.chain("start", "init", "wait_week", "report", "wait_date", "end")
    p.chain("remind", "count_reminder", "reminded")
    return p


def overdue() -> Process:
    """An interrupting boundary timer that takes an unanswered task to an escalation path."""
    p = Process("overdue", "测试超期", lanes=[APPLICANT, CITY])
    p.start("start", lane="lane_applicant")
    p.user("answer", "答复", "lane_applicant", form="report.json", dueIn="P3D")
    p.boundary_timer("too_late", "超期", "answer", "timeDuration", "P10D")
    p.user("account", "责任追究", "lane_city", form="review.json")
    p.end("done", "按期办结", "lane_applicant")
    p.end("escalated", "已追责", "lane_city", terminate=True)
    p.chain("start", "answer", "done")
    p.chain("too_late", "account", "escalated")
    return p


def panel() -> Process:
    """Panel members score in parallel (assigned by element variable); mean and DMN grade."""
    p = Process("scoring", "测试评分", lanes=[PANEL, CITY])
    p.start("start", lane="lane_city")
    p.script("prepare", "准备评分", "scores = []", "lane_city")
    p.user("score", "专家评分", "lane_panel", form="score.json",
           multi={"input": "panel", "output": "scores", "item": "member", "output_item": "my_score"})
    p.script("average", "计算平均分",
             "valid = [s['score'] for s in scores if not s.get('recuse')]\navg_score = mean(valid)", "lane_city")
    p.rule("grade", "评定等级", "grade_decision", "lane_city")
    p.end("end", "评分完成", "lane_city")
    p.chain("start", "prepare", "score", "average", "grade", "end")
    return p


def failing() -> Process:
    """A script that fails until an administrator corrects the data."""
    p = Process("failing", "测试脚本错误", lanes=[CITY])
    p.start("start", lane="lane_city")
    p.script("divide", "计算比例", "ratio = total / count", "lane_city")
    p.user("confirm", "确认", "lane_city", form="report.json")
    p.end("end", "结束", "lane_city")
    p.chain("start", "divide", "confirm", "end")
    return p


def parent() -> Process:
    p = Process("parent", "测试调用父流程", lanes=[CITY])
    p.start("start", lane="lane_city")
    p.call("call_child", "调用子流程", "child", "lane_city")
    p.user("after", "子流程后确认", "lane_city", form="report.json", assignee="initiator")
    p.end("end", "结束", "lane_city")
    p.chain("start", "call_child", "after", "end")
    return p


def child() -> Process:
    p = Process("child", "测试子流程", lanes=[CITY])
    p.start("start", lane="lane_city")
    p.user("child_task", "子流程填报", "lane_city", form="report.json")
    p.end("end", "结束", "lane_city")
    p.chain("start", "child_task", "end")
    return p


def long_loop() -> Process:
    """An engine-only loop of 400 passes: deeper than SpiffWorkflow's 1000-level query limit."""
    p = Process("long_loop", "测试长循环", lanes=[CITY])
    p.start("start", lane="lane_city")
    p.script("init", "初始化", "i = 0", "lane_city")
    p.script("step", "累加", "i += 1", "lane_city")
    p.xor("more", "继续?", "lane_city")
    p.user("finish", "确认结果", "lane_city", form="report.json")
    p.end("end", "结束", "lane_city")
    p.chain("start", "init", "step", "more")
    p.flow("more", "step", "i < passes", "继续")
    p.flow("more", "finish", default=True)
    p.chain("finish", "end")
    return p


def user_loop() -> Process:
    """A user task repeated ``passes`` times, for the benchmark's loop measurements."""
    p = Process("user_loop", "测试用户循环", lanes=[CITY])
    p.start("start", lane="lane_city")
    p.script("init", "初始化", "n = 0", "lane_city")
    p.user("work", "办理", "lane_city", form="report.json")
    p.script("count", "计数", "n += 1", "lane_city")
    p.xor("again", "继续?", "lane_city")
    p.end("end", "结束", "lane_city")
    p.chain("start", "init", "work", "count", "again")
    p.flow("again", "work", "n < passes", "继续")
    p.flow("again", "end", default=True)
    return p


FORMS = {
    "application.json": {
        "title": "测试申请", "type": "object", "required": ["title", "plan"],
        "properties": {
            "title": {"type": "string", "title": "项目名称", "minLength": 2, "maxLength": 100},
            "plan": {"type": "string", "title": "实施方案", "minLength": 10},
            "budget": {"type": "integer", "title": "预算(万元)", "minimum": 0},
        },
    },
    "review.json": {
        "title": "审核", "type": "object", "required": ["decision"],
        "properties": {
            "decision": {"type": "string", "title": "审核结论", "enum": ["approve", "return", "reject"]},
            "opinion": {"type": "string", "title": "审核意见"},
        },
    },
    "report.json": {
        "title": "填报", "type": "object",
        "properties": {"note": {"type": "string", "title": "说明"}},
    },
    "score.json": {
        "title": "评分", "type": "object", "required": ["score"],
        "properties": {
            "score": {"type": "integer", "title": "得分", "minimum": 0, "maximum": 100},
            "recuse": {"type": "boolean", "title": "回避"},
        },
    },
}


def grade_dmn() -> str:
    return decision_table("grade_decision", "等级评定", [("平均分", "avg_score")], ("等级", "grade"), [
        (["avg_score is not None and ? >= 90"], "'优秀'", "≥ 90"),
        (["avg_score is not None and ? >= 80"], "'良好'", "80–89"),
        (["avg_score is not None and ? >= 60"], "'合格'", "60–79"),
        (["-"], "'不合格'", "< 60 or no score"),
    ])


PROCESSES = [approval, timers, overdue, panel, failing, parent, child, long_loop, user_loop]


def build(out: Path = OUT) -> dict[str, str]:
    """Every test diagram, DMN and form as {relative path: text}."""
    files = {f"{factory().id}.bpmn": factory().to_xml() for factory in PROCESSES}
    files["grade_decision.dmn"] = grade_dmn()
    for name, schema in FORMS.items():
        files[name] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return files


def main() -> None:
    for name, text in build().items():
        path = OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
