"""``dangjian demo``: the demonstration data, created by driving the workflows through the engine.

The clock walks through 2008 and about twenty projects take different paths, so that on
2008-12-22 (the demo's "today") there are projects at every stage: drafts past the deadline,
applications under review or returned, argumentation in progress, projects in implementation with
late reports and rectification, benefit evaluation, closed projects and accountability cases.
Seeding is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from engine import Engine
from party.demo.driver import ProjectDriver
from party.demo.org import applicant_people
from party.demo.org import seed_organisation
from party.demo.submissions import GOOD_SCORE
from party.demo.submissions import POOR_SCORE
from party.demo.submissions import demonstration_application
from party.demo.submissions import key_application

DEMO_TODAY = "2008-12-22 10:00"
SEEDED_KEY = "demo:seeded"


@dataclass
class Plan:
    """One demo project and the path it takes."""

    applicant: str
    title: str
    kind: str = "key_project"
    stop: str = "closed"  # where it stops: draft, leader, returned, county_review, city_review, city_rejected,
    # scoring,
    # argument_rejected, or an implementation outcome below
    skip_report: str | None = None  # quarter key whose report is never sent
    fail_stage: str | None = None  # acceptance stage scored poor
    fail_twice: bool = False
    skip_stage: str | None = None  # stage whose scoring is left open
    rating: str = "良好"
    collaborator: str | tuple[str, ...] | None = "511800D01"
    catalogue: str = "own"  # the catalogue project bid for (own: a project of the unit's own)
    sector: str = "quality"
    panel: tuple[str, ...] = ("panel1", "panel2", "panel3")  # the first is the 组长
    starts: str | None = None  # filed later (once a rejection freed the unit's quota)
    instance_id: int = 0
    done: set[str] = field(default_factory=set)


PLANS = [
    Plan("county1_applicant", "统筹城乡党建工作（雨城区）", catalogue="P01", sector="benefit"),
    Plan("county1_applicant", "党员党性定期分析试点（雨城区）", catalogue="P03", sector="quality", rating="优秀",
         skip_report="Q4", skip_stage="late", panel=("panel3", "panel4", "panel5"), stop="q4_open"),
    Plan("county2_applicant", "党务公开及社会评价试点（名山县）", catalogue="P06", sector="democracy", rating="不合格",
         stop="benefit_failed"),
    Plan("county2_applicant", "党员主体地位保障机制建设（名山县）", catalogue="P04", sector="democracy",
         fail_stage="mid", fail_twice=True, stop="statement"),
    Plan("county3_applicant", "万村党建富民行动示范点建设（荥经县）", catalogue="P08", sector="benefit",
         skip_report="Q3", stop="report_overdue"),
    Plan("county3_applicant", "社区结构民意代表及“五步工作法”（荥经县）", catalogue="P05", sector="breakthrough",
         fail_stage="late", stop="rectification"),
    Plan("county4_applicant", "基层党代表列席全委会试点（汉源县）", catalogue="P07", sector="democracy",
         collaborator=("511800D02", "511800E01"), stop="collaborators"),
    Plan("county4_applicant", "共驻共建示范点建设（汉源县）", catalogue="P02", sector="benefit", collaborator=None,
         stop="self_evaluating"),
    Plan("dept1_applicant", "教育系统党员示范岗创建", catalogue="P11", sector="breakthrough",
         stop="argument_rejected", collaborator=None),
    Plan("dept1_applicant", "校园党建品牌培育", catalogue="own", sector="quality", stop="returned"),
    Plan("dept1_applicant", "农村中小学教师党员先锋岗创建", catalogue="own", sector="quality", stop="leader",
         starts="2008-04-14"),
    Plan("dept2_applicant", "卫生系统“四强”党组织创建", catalogue="P12", sector="quality", stop="scoring"),
    Plan("dept2_applicant", "医疗单位党务公开", catalogue="own", sector="democracy", stop="city_rejected"),
    Plan("dept2_applicant", "乡镇卫生院党员志愿服务队建设", catalogue="own", sector="benefit", stop="leader",
         starts="2008-04-14"),
    Plan("dept3_applicant", "国有企业党建与生产经营融合", catalogue="own", sector="benefit", collaborator="511800E01",
         stop="evaluating"),
    Plan("dept3_applicant", "国企党员先锋工程", catalogue="P09", sector="quality", stop="draft"),
    Plan("dept3_applicant", "国企党员“三诺”承诺践诺", catalogue="own", sector="quality", stop="leader"),
    Plan("ent1_applicant", "电力企业党员服务队建设", catalogue="P10", sector="benefit", stop="city_review"),
    Plan("ent1_applicant", "供电所党支部标准化建设", catalogue="own", sector="breakthrough", stop="leader"),
    Plan("ent2_applicant", "茶企非公党建破难", catalogue="P13", sector="breakthrough", skip_report="Q4", stop="q4_open",
         collaborator="511800D02"),
    Plan("ent2_applicant", "茶叶专业合作社党组织组建", catalogue="own", sector="breakthrough", stop="leader"),
    Plan("county1_applicant", "雨城区城郊党建示范带", kind="demonstration_project", collaborator=None,
         stop="county_assessing"),
    Plan("county1_applicant", "雨城区川藏公路沿线党建示范带", kind="demonstration_project", stop="leader",
         collaborator=None),
    Plan("county2_applicant", "名山县茶乡党建示范片", kind="demonstration_project", collaborator=None,
         stop="county_assessing"),
    Plan("county2_applicant", "名山县蒙顶山茶区党建示范带", kind="demonstration_project", stop="leader"),
    Plan("county3_applicant", "荥经县工业园区党建示范带", kind="demonstration_project", collaborator=None,
         stop="county_assessing"),
    Plan("county3_applicant", "荥经县108国道沿线党建示范带", kind="demonstration_project", stop="leader"),
    Plan("county4_applicant", "汉源县移民新村党建示范片", kind="demonstration_project", collaborator=None,
         stop="county_assessing"),
    Plan("county4_applicant", "汉源县大渡河沿岸党建示范带", kind="demonstration_project", stop="leader"),
]

APPLICATION_STOPS = {"draft", "leader", "returned", "county_review", "city_review", "city_rejected"}
IMPLEMENTATION_EVENTS = ["2008-04-21", "2008-05-19", "2008-06-20", "2008-07-01", "2008-08-18", "2008-09-19",
                         "2008-11-17", "2008-12-05"]
QUARTER_OF = {"2008-04-21": "Q1", "2008-06-20": "Q2", "2008-09-19": "Q3", "2008-12-05": "Q4"}
STAGE_OF = {"2008-05-19": "early", "2008-08-18": "mid", "2008-11-17": "late"}
REACHES_BENEFIT = {"closed", "benefit_failed", "evaluating", "collaborators", "self_evaluating", "county_assessing"}
COLLABORATOR_USER = {"511800D01": "dept1_applicant", "511800D02": "dept2_applicant", "511800E01": "ent1_applicant"}


class DemoBuilder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.party = ProjectDriver(engine)

    def run(self) -> None:
        self.party.at("2008-03-05")
        self.applications()
        self.party.at("2008-03-20")
        self.reviews()
        self.party.at("2008-04-10")
        self.argumentation()
        for when in sorted({plan.starts for plan in PLANS if plan.starts}):
            self.party.at(when)
            self.applications(when)
        self.party.at("2008-04-15")
        for plan in self.approved():
            self.party.approve(plan.instance_id, plan.applicant, plan.collaborator)
        for when in IMPLEMENTATION_EVENTS:
            self.party.at(when)
            for plan in self.approved():
                self.implementation_step(plan, when)
        self.party.at("2008-12-08")
        self.benefit()
        self.party.at("2008-12-18")
        for plan in PLANS:
            if plan.stop == "benefit_failed":  # decided by the clerk, with the 部领导 to sign
                self.party.account(plan.instance_id, plan.applicant, outcome="criticism", sign=False)
            elif plan.stop == "statement":  # the case is open; the statement is due after the 22nd
                self.party.do("city_org", "open_case", plan.instance_id, {
                    "facts": "中期验收两次评定为不合格，市委组织部决定撤项，经核实属实。",
                    "basis": "立项批复和年度考核办法"})
        self.party.at(DEMO_TODAY)

    def applications(self, on: str | None = None) -> None:
        for plan in PLANS:
            if plan.starts != on:
                continue
            plan.instance_id = self.party.start(plan.applicant, plan.kind)
            if plan.stop == "draft":
                continue
            people = applicant_people(plan.applicant)
            data = (demonstration_application(plan.title, people) if plan.kind == "demonstration_project"
                    else key_application(plan.title, plan.catalogue, plan.sector, people))
            self.party.submit(plan.applicant, plan.instance_id, data)

    def reviews(self) -> None:
        for plan in PLANS:
            if plan.stop in ("draft", "leader"):
                continue
            if plan.stop == "returned":
                self.party.do(plan.applicant.replace("_applicant", "_leader"), "leader_approval", plan.instance_id,
                              {"decision": "return", "opinion": "考核指标需量化，请补充后重新上报。"})
            elif plan.stop in ("county_review", "city_review"):
                self.party.do(plan.applicant.replace("_applicant", "_leader"), "leader_approval", plan.instance_id,
                              {"decision": "pass", "opinion": "同意上报"})
            elif plan.stop == "city_rejected":
                self.party.do(plan.applicant.replace("_applicant", "_leader"), "leader_approval", plan.instance_id,
                              {"decision": "pass"})
                self.party.do("city_org", "city_review", plan.instance_id,
                              {"decision": "reject", "opinion": "与本年度重点任务重复，不予通过。"})
            else:
                self.party.pass_review(plan.applicant, plan.instance_id)

    def argumentation(self) -> None:
        for plan in PLANS:
            if plan.stop in APPLICATION_STOPS:
                continue
            self.party.panel = list(plan.panel)
            self.party.assign_panel(plan.instance_id)
            if plan.stop == "scoring":
                self.party.score_argumentation(plan.instance_id, {"panel3": 82})  # panel1 and panel2 to score
                continue
            low = plan.stop == "argument_rejected"
            scores = dict(zip(plan.panel, (48, 55, None) if low else (85, 90, 88), strict=True))
            self.party.score_argumentation(plan.instance_id, scores)
            self.party.decide(plan.instance_id, "reject" if low else "approve")

    def approved(self) -> list[Plan]:
        return [plan for plan in PLANS if plan.stop not in APPLICATION_STOPS | {"scoring", "argument_rejected"}]

    def implementation_step(self, plan: Plan, when: str) -> None:
        self.party.panel = list(plan.panel)
        steps = set(self.party.steps(plan.instance_id))
        if "report" in steps and plan.skip_report != QUARTER_OF.get(when):
            self.party.report(plan.instance_id, plan.applicant)
        if "midyear" in steps:
            self.party.midyear(plan.instance_id)
        stage = STAGE_OF.get(when)
        if "apply_acceptance" in steps and stage is not None and stage == plan.skip_stage:
            self.party.apply_for_acceptance(plan.instance_id)  # filed; the panel's scoring stays open
        if ("score" in steps or "apply_acceptance" in steps) and stage is not None and stage != plan.skip_stage:
            poor = stage == plan.fail_stage
            self.party.score_stage(plan.instance_id, POOR_SCORE if poor else GOOD_SCORE)
            if poor and plan.stop != "rectification":
                self.party.rectify(plan.instance_id, plan.applicant)
                self.party.score_stage(plan.instance_id, POOR_SCORE if plan.fail_twice else GOOD_SCORE)
                if plan.fail_twice:
                    self.party.decide_failure(plan.instance_id, "withdraw")  # 撤项, then 追责

    def benefit(self) -> None:
        for plan in self.approved():
            if plan.stop not in REACHES_BENEFIT or plan.stop == "self_evaluating":
                continue  # the self-assessment is still to be filed
            self.party.panel = list(plan.panel)
            self.party.self_evaluate(plan.instance_id)
            if plan.stop in ("collaborators", "county_assessing"):
                continue  # self-assessment filed; the collaborators' or the county's input is still due
            collaborator = COLLABORATOR_USER.get(plan.collaborator if isinstance(plan.collaborator, str) else "")
            if plan.stop == "evaluating":  # inputs in, the city's evaluation still open
                if collaborator:
                    self.party.do(collaborator, "collaborator_input", plan.instance_id,
                                  {"contribution": "参与示范点建设并提供资源支持。", "assessment": "good"})
                if "county_assessment" in self.party.steps(plan.instance_id):
                    self.party.do(plan.applicant.split("_")[0] + "_org", "county_assessment", plan.instance_id,
                                  {"assessment": "good", "summary": "项目推进扎实，效益初步显现。"})
                leader = self.party.panel_member_with("panel_assessment", plan.instance_id)
                self.party.do(leader, "panel_assessment", plan.instance_id, {
                    "panel_rating": "良好", "panel_opinion": "三个阶段验收均已通过，项目效益初步显现，建议评为良好。"})
                continue
            self.party.benefit(plan.instance_id, plan.applicant, rating=plan.rating, collaborator=collaborator)


def seed_demo(engine: Engine, workflows_dir: Path | None = None) -> bool:
    """Seed the organisation, deploy the workflows and create the demo projects once.

    Returns False when the demo data was already there. The clock is left at the demo's today.
    """
    seed_organisation(engine)
    engine.deploy(workflows_dir, actor="admin", shipped=True)
    if engine.reference(SEEDED_KEY):
        return False
    DemoBuilder(engine).run()
    engine.set_reference("admin", SEEDED_KEY, {"today": DEMO_TODAY, "projects": len(PLANS)})
    return True
