"""Drive party-building projects through the engine the way the users would, with a moving clock.

What the users submit at each step is in :mod:`party.demo.submissions`.

Used by ``dangjian demo`` to create the demonstration projects at every stage, and by the
workflow tests, which assert what happened after each step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from engine import Engine
from engine import clock
from engine.clock import BUSINESS_TZ
from engine.service.tasks import TaskRow
from engine.worker import work_once
from party.demo.submissions import GOOD_SCORE
from party.demo.submissions import IMPLEMENTATION_DATES
from party.demo.submissions import SIGNING_LEADER
from party.demo.submissions import approval
from party.demo.submissions import county_org_of
from party.demo.submissions import demonstration_application
from party.demo.submissions import key_application
from party.demo.submissions import leader_of
from party.demo.submissions import moment
from party.demo.submissions import node_report
from party.demo.submissions import score_sheet


@contextmanager
def fresh_engine(engine: Engine) -> Iterator[Engine]:
    """A new engine on the same database and settings, with empty caches (models, users): another
    server process. It shares the connection pools, which hold nothing a step depends on."""
    yield Engine(engine.settings, domain=engine.domain, database=engine.db)


class ProjectDriver:
    """Step a project forward as its users would; every method is one or a few user actions.

    With ``cold`` every step and every worker pass runs in a fresh engine (empty model cache), as
    when each request lands on another server process; the tests run the path suite that way on
    SQLite (see ``tests/conftest.py``).
    """

    cold = False

    def __init__(self, engine: Engine, panel: tuple[str, ...] = ("panel1", "panel2", "panel3"),
                 cold: bool | None = None) -> None:
        self.engine = engine
        self.panel = list(panel)
        if cold is not None:
            self.cold = cold

    @contextmanager
    def _acting_engine(self) -> Iterator[Engine]:
        if self.cold:
            with fresh_engine(self.engine) as other:
                yield other
        else:
            yield self.engine

    # -- time and tasks ----------------------------------------------------------------------

    def at(self, when: str) -> None:
        """Move the clock to ``when`` (Beijing time) and let the worker catch up."""
        clock.travel_to(moment(when))
        with self._acting_engine() as engine:
            work_once(engine)

    def tasks(self, user: str, instance_id: int | None = None) -> list[TaskRow]:
        rows = []
        for tab in ("mine", "claimable"):
            rows += self.engine.inbox(user, tab=tab, page_size=1000).rows
        return [row for row in rows if instance_id is None or row.instance_id == instance_id]

    def task(self, user: str, bpmn_id: str, instance_id: int) -> TaskRow:
        matches = [row for row in self.tasks(user, instance_id) if row.bpmn_id == bpmn_id]
        if not matches:
            have = [row.bpmn_id for row in self.tasks(user, instance_id)]
            raise AssertionError(f"{user} has no task {bpmn_id} in instance {instance_id}; has {have}")
        return matches[0]

    def do(self, user: str, bpmn_id: str, instance_id: int, data: dict[str, Any]) -> None:
        self.complete(user, self.task(user, bpmn_id, instance_id), data)

    def complete(self, user: str, task: TaskRow, data: dict[str, Any]) -> None:
        """Every step the driver takes goes through here."""
        with self._acting_engine() as engine:
            engine.complete(user, task.id, data)

    def steps(self, instance_id: int) -> list[str]:
        return sorted(step["id"] for step in self.engine.instance("admin", instance_id).steps)

    # -- application and review ---------------------------------------------------------------

    def start(self, applicant: str, kind: str = "key_project") -> int:
        return self.engine.start(kind, applicant, {})

    def submit(self, applicant: str, instance_id: int, data: dict[str, Any]) -> None:
        form = "submit_demo" if "demonstration_type" in data else "submit_key"
        self.do(applicant, form, instance_id, data)

    def apply(self, applicant: str, title: str, kind: str = "key_project") -> int:
        instance_id = self.start(applicant, kind)
        data = demonstration_application(title) if kind == "demonstration_project" else key_application(title)
        self.submit(applicant, instance_id, data)
        return instance_id

    def pass_review(self, applicant: str, instance_id: int) -> None:
        """Unit leader, county organisation department (for a township's or village's application:
        a county's own goes straight to the city) and city all pass."""
        self.do(leader_of(applicant), "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
        if "county_review" in self.steps(instance_id):  # a township's or village's application
            county = next(user for user in (f"county{n}_org" for n in range(1, 5))
                          if any(row.bpmn_id == "county_review" for row in self.tasks(user, instance_id)))
            self.do(county, "county_review", instance_id, {"decision": "pass", "opinion": "初审通过"})
        self.do("city_org", "city_review", instance_id, {"decision": "pass", "opinion": "审核通过"})

    # -- argumentation and approval ----------------------------------------------------------

    def assign_panel(self, instance_id: int) -> None:
        self.do("city_org", "assign_panel", instance_id, {"panel": self.panel, "panel_leader": self.panel[0],
                                                          "meeting_date": "2008-04-15"})

    def panel_member_with(self, bpmn_id: str, instance_id: int) -> str:
        """The panel member who holds ``bpmn_id`` (the 组长, or who acts for one who recused)."""
        holders = [m for m in self.panel if any(r.bpmn_id == bpmn_id for r in self.tasks(m, instance_id))]
        if not holders:
            raise AssertionError(f"no panel member holds {bpmn_id} in instance {instance_id}")
        return holders[0]

    def score_argumentation(self, instance_id: int, scores: dict[str, int | None]) -> None:
        """``None`` as a score means the member recuses."""
        for member, value in scores.items():
            if value is None:
                data: dict[str, Any] = {"recuse": True, "recuse_reason": "本人曾在申报单位任职"}
            else:
                data = {"recuse": False, "score": value, "opinion": "方案可行，建议立项。"}
            self.do(member, "panel_score", instance_id, data)
        if "panel_opinion" in self.steps(instance_id):
            self.write_panel_opinion(instance_id)

    def write_panel_opinion(self, instance_id: int) -> None:
        """The 组长 (or who acts for one who recused) writes the panel's 综合论证意见."""
        self.do(self.panel_member_with("panel_opinion", instance_id), "panel_opinion", instance_id, {
            "recommendation": "approve",
            "collective_opinion": "专家组认为项目目标明确，实施方案可行，考核指标可量化，同意立项。",
            "suggestions": "进一步明确协作单位的介入时间点。"})

    def decide(self, instance_id: int, decision: str = "approve") -> None:
        opinion = {"approve": "同意立项", "return": "请进一步细化考核指标", "reject": "与年度重点不符"}[decision]
        self.do("city_org", "decide", instance_id, {"decision": decision, "opinion": opinion})

    def approve(self, instance_id: int, responsible: str,
                collaborator: str | tuple[str, ...] | None = "511800D01") -> None:
        """The clerk's 立项 and the 部领导's 审签."""
        data = approval(responsible, leader_of(responsible), collaborator)
        data["approval_doc_no"] = f"雅组通〔2008〕{20 + instance_id}号"
        self.do("city_org", "approve", instance_id, data)
        self.sign(instance_id, "sign_approval")

    def sign(self, instance_id: int, bpmn_id: str, decision: str = "approve") -> None:
        """The 部领导 signs (or returns) the binding decision waiting at ``bpmn_id``."""
        opinion = "同意。" if decision == "approve" else "处理依据不够充分，请补充后重新报批。"
        self.do(SIGNING_LEADER, bpmn_id, instance_id, {"sign_decision": decision, "sign_opinion": opinion})

    def decide_failure(self, instance_id: int, choice: str = "withdraw") -> None:
        """The city's decision after a stage failed twice: 撤项, or 调整后继续."""
        data = {"stage_choice": choice, "decision_reason": "根据验收组意见和项目实际作出决定。"}
        if choice == "continue":
            data["adjustments"] = "调整子项分工，增加质量节点检查频次，更换具体责任人。"
        self.do("city_org", "failure_decision", instance_id, data)

    def argue_and_approve(self, instance_id: int, responsible: str, collaborator: str | None = "511800D01") -> None:
        self.assign_panel(instance_id)
        self.score_argumentation(instance_id, dict(zip(self.panel, (86, 90, 88), strict=True)))
        self.decide(instance_id, "approve")
        self.approve(instance_id, responsible, collaborator)

    # -- implementation ----------------------------------------------------------------------

    def report(self, instance_id: int, responsible: str, review: str = "pass") -> None:
        self.file_report(instance_id, responsible)
        self.do("city_org", "review", instance_id, {"decision": review, "opinion": "请补充佐证材料"
                                                    if review == "return" else "同意"})

    def file_report(self, instance_id: int, responsible: str) -> None:
        """The responsible person's quarterly report (without its review)."""
        task = self.task(responsible, "report", instance_id)
        nodes = self.engine.task(responsible, task.id).values.get("node_status", [])
        self.complete(responsible, task, {
            "progress": "本季度按节点推进，完成了制度建设和示范点培育工作。", "node_status": node_report(nodes),
            "problems": "个别节点受季节影响有所滞后。", "next_steps": "加强调度，确保按期完成。", "funds_used": 2.5,
            "highlights": "形成了党员党性分析“三步法”。", "filled_by": "王芳", "reviewed_by": "刘建华"})

    def responsible_of(self, instance_id: int) -> str:
        return str(self.engine.instance("admin", instance_id).business.get("responsible"))

    def apply_for_acceptance(self, instance_id: int) -> None:
        """The responsible person files the 验收申请 with the self-assessment."""
        self.do(self.responsible_of(instance_id), "apply_acceptance", instance_id, {
            "self_assessment": "对照申报书考核指标和矩阵管理图逐项自查，各质量节点基本按期完成，经费使用规范。",
            "self_score": 88, "achievements": "建成示范点3个，形成制度成果2项。"})

    def score_stage(self, instance_id: int, score: dict[str, Any],
                    members: dict[str, dict[str, Any]] | None = None) -> None:
        """The 验收申请 if it is still due, then each panel member fills in the score sheet the stage
        shows them with ``score`` (or with their own in ``members``)."""
        if "apply_acceptance" in self.steps(instance_id):
            self.apply_for_acceptance(instance_id)
        for member in self.panel:
            task = self.task(member, "score", instance_id)
            shown = self.engine.task(member, task.id).values
            data = score_sheet((members or {}).get(member, score), shown.get("criteria", []))
            if shown.get("rectification_check"):  # a re-score checks each item of the problem list
                data["rectification_check"] = [{"verified": "rectified"} for _item in shown["rectification_check"]]
            self.complete(member, task, data)
        if "leader_summary" in self.steps(instance_id):
            self.summarise_stage(instance_id)

    def summarise_stage(self, instance_id: int, veto: str = "confirm") -> None:
        """The 组长's 综合意见: a proposed 一票否决 confirmed (or, with ``veto="reject"``, not), and
        for a failed stage the problems and requirements that go out as the 整改通知."""
        leader = self.panel_member_with("leader_summary", instance_id)
        task = self.task(leader, "leader_summary", instance_id)
        shown = self.engine.task(leader, task.id).values
        today = clock.now().astimezone(BUSINESS_TZ).date().isoformat()
        decision = veto if shown.get("proposed_veto") else "none"
        failed = shown.get("stage_grade") == "不合格" or decision == "confirm"
        self.complete(leader, task, {
            "veto_decision": decision,
            "summary_opinion": "验收组综合各成员评分和意见，对照考核指标逐项核查，形成验收结论。",
            "summary_issues": [{"problem": "考核指标完成不足", "requirement": "逐项制定整改措施，补齐工作短板"}]
            if failed else [],
            "inspection_date": today, "inspection_place": "项目实施单位会议室及示范点现场"})

    def rectify(self, instance_id: int, responsible: str) -> None:
        """The responsible person answers each item of the panel's 整改通知."""
        task = self.task(responsible, "rectify", instance_id)
        notice = self.engine.task(responsible, task.id).values.get("issues", [])
        today = clock.now().astimezone(BUSINESS_TZ).date().isoformat()
        self.complete(responsible, task, {
            "issues": [{"measure": "逐项制定整改措施，补齐工作短板", "owner": "王芳", "deadline": today,
                        "status": "done"} for _item in notice],
            "result": "各项问题已整改到位。"})

    def implement(self, instance_id: int, responsible: str, dates: tuple[str, ...] = IMPLEMENTATION_DATES,
                  score: dict[str, Any] = GOOD_SCORE) -> None:
        """On each of ``dates``, do what is open: the quarterly report, the mid-year inspection, scores."""
        for when in dates:
            self.at(when)
            current = self.steps(instance_id)
            if "report" in current:
                self.report(instance_id, responsible)
            if "midyear" in current:
                self.midyear(instance_id)
            if "score" in current or "apply_acceptance" in current:
                self.score_stage(instance_id, score)

    def midyear(self, instance_id: int) -> None:
        today = clock.now().astimezone(BUSINESS_TZ).date().isoformat()
        self.do("city_org", "midyear", instance_id, {
            "inspection_date": today, "inspectors": "市委组织部组织科、县(区)委组织部、考评验收组",
            "rating": "良好", "findings": "项目推进正常，节点按期完成。"})

    # -- evaluation and accountability -----------------------------------------------------------

    def benefit(self, instance_id: int, applicant: str, rating: str = "良好",
                collaborator: str | None = "dept1_applicant") -> None:
        self.self_evaluate(instance_id, rating)
        if collaborator:
            self.do(collaborator, "collaborator_input", instance_id,
                    {"contribution": "按约定提供政策支持并参与示范点建设。", "assessment": "good"})
        county = county_org_of(applicant)
        if county:
            self.do(county, "county_assessment", instance_id, {"assessment": "good", "summary": "效益明显，群众认可。"})
        if "panel_assessment" in self.steps(instance_id):
            self.do(self.panel_member_with("panel_assessment", instance_id), "panel_assessment", instance_id, {
                "panel_rating": rating, "panel_opinion": "三个阶段验收均按期通过，项目效益明显，具有示范推广价值。"})
        summary = "综合项目责任人自评、协作单位、县(区)委组织部和考评验收组的评估意见，对照项目目标作出综合评定。"
        self.do("city_org", "evaluate", instance_id, {
            "political_rating": rating, "economic_rating": rating, "social_rating": rating, "satisfaction": 92.5,
            "surveyed": 120, "evaluators": "市委组织部考评组、县(区)委组织部", "rating": rating, "summary": summary})

    def self_evaluate(self, instance_id: int, rating: str = "良好") -> None:
        """The responsible person files the 效益自评报告, if it is still due."""
        if "self_evaluation" in self.steps(instance_id):
            self.do(self.responsible_of(instance_id), "self_evaluation", instance_id, {
                "political": "党组织战斗堡垒作用明显增强，党员先锋模范作用充分发挥。",
                "economic": "带动群众增收，示范点集体经济收入明显增加。",
                "social": "群众满意度提高，干群关系更加密切。",
                "satisfaction_survey": "发放测评表120份，收回118份，满意率92.5%。", "self_rating": rating})

    def account(self, instance_id: int, responsible: str, outcome: str = "criticism",
                with_statement: bool = True, sign: bool = True) -> None:
        self.do("city_org", "open_case", instance_id, {"facts": "项目未按要求完成，经核实属实。",
                                                       "basis": "项目立项书和年度考核办法"})
        if with_statement:
            self.do(responsible, "statement", instance_id, {"statement": "因客观原因导致进度滞后，已组织整改。"})
        today = clock.now().astimezone(BUSINESS_TZ).date()
        self.do("city_org", "decide_case", instance_id, {
            "document_no": f"雅组通〔{today.year}〕{10 + instance_id}号", "decision_date": today.isoformat(),
            "outcomes": [outcome], "reasons": "依据事实和申辩情况作出处理。",
            "appeal_deadline": (today + timedelta(days=30)).isoformat()})
        if not sign:
            return
        self.sign(instance_id, "sign_case")
        if "appeal" in self.steps(instance_id):
            self.do(responsible, "appeal", instance_id, {"appeal_choice": "accept"})
