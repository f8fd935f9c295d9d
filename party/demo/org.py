"""The demonstration organisation and the 2008 year plan, seeded idempotently through the engine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import Engine
from engine.errors import Conflict

ROOT = Path(__file__).resolve().parents[2]
YEAR_PLAN = ROOT / "workflows" / "reference" / "year-2008.json"
DEMO_PASSWORD = "demo-password"
CITY = "511800"

COUNTIES = [
    ("511802", "雨城区", [("北郊镇", ["北郊村", "沙坪村"]), ("草坝镇", ["草坝村"])]),
    ("511821", "名山县", [("蒙阳镇", ["蒙山村"]), ("新店镇", ["新店村"])]),
    ("511822", "荥经县", [("严道镇", ["民建村"]), ("花滩镇", ["花滩村"])]),
    ("511823", "汉源县", [("富林镇", ["富林村"]), ("九襄镇", ["九襄村"])]),
]
DEPARTMENTS = [("D01", "市教育局党委"), ("D02", "市卫生局党组"), ("D03", "市国资委党委")]
ENTERPRISES = [("E01", "雅安电力(集团)公司党委"), ("E02", "雅安茶业集团党委")]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"

# The people behind the applying units' accounts: the 经办人 (who files and, once approved, is
# the project's 责任人), the 分管党建工作领导 (who also signs the unit's opinion), and the contact.
PEOPLE = {
    "county1": ("陈国强", "区委组织部组织科科长", "周建明", "区委常委、组织部部长", "赵丽", "0835-2231018"),
    "county2": ("杨海军", "县委组织部组织科科长", "罗志华", "县委常委、组织部部长", "李娟", "0835-3221205"),
    "county3": ("何德明", "县委组织部组织科科长", "高建平", "县委常委、组织部部长", "孙静", "0835-7622317"),
    "county4": ("马国庆", "县委组织部组织科科长", "郭文斌", "县委常委、组织部部长", "刘敏", "0835-4222136"),
    "dept1": ("黄志刚", "党委办公室主任", "吴永红", "党委副书记", "张蓉", "0835-2223564"),
    "dept2": ("徐立新", "机关党委专职副书记", "朱建国", "党组成员、机关党委书记", "王燕", "0835-2224471"),
    "dept3": ("林涛", "党群工作科科长", "胡晓东", "党委副书记", "邓洁", "0835-2229036"),
    "ent1": ("郑伟", "党群工作部主任", "唐建华", "党委副书记", "冯雪", "0835-2817720"),
    "ent2": ("梁红", "党群工作部部长", "宋志强", "党委副书记", "蒋莉", "0835-2356108"),
}


def applicant_people(username: str) -> dict[str, str]:
    """The 申报书's people for an applicant account of the demo: the project's responsible person
    (the account itself), the unit's leader who signs its opinion, the contact."""
    name, post, leader, _leader_post, contact, phone = PEOPLE[username.split("_", 1)[0]]
    return {"project_leader": f"{name}（{post}）", "secretary": leader, "contact_person": contact,
            "contact_phone": phone}


@dataclass(frozen=True)
class DemoUser:
    username: str
    unit: str
    roles: tuple[str, ...]
    name: str


def demo_units() -> list[tuple[str, str, str | None, str]]:
    """(code, name, parent, kind) of every demo unit, parents first."""
    units: list[tuple[str, str, str | None, str]] = [(CITY, "雅安市", None, "city")]
    for code, name, townships in COUNTIES:
        units.append((code, name, CITY, "county"))
        for t_index, (township, villages) in enumerate(townships, start=1):
            t_code = f"{code}{t_index:03d}"
            units.append((t_code, township, code, "township"))
            for v_index, village in enumerate(villages, start=1):
                units.append((f"{t_code}{v_index:03d}", village, t_code, "village"))
    units += [(f"{CITY}{code}", name, CITY, "department") for code, name in DEPARTMENTS]
    units += [(f"{CITY}{code}", name, CITY, "enterprise") for code, name in ENTERPRISES]
    return units


def _short(unit_name: str) -> str:
    """市教育局党委 → 市教育局: a post's title names the body, not its party committee twice."""
    return unit_name.removesuffix("党委").removesuffix("党组")


def demo_users() -> list[DemoUser]:
    """The accounts listed in docs/features.md; every one signs in with ``demo-password``."""
    users = [DemoUser("admin", CITY, ("admin",), "系统管理员"),
             DemoUser("city_org", CITY, ("city_org",), "市委组织部 王建国"),
             DemoUser("city_leader", CITY, ("dept_leader",), "市委组织部副部长 赵志刚"),
             DemoUser("supervisor", CITY, ("supervisor",), "督查室 李明")]
    users += [DemoUser(f"panel{i}", CITY, ("panel",), f"考评验收组 {SURNAMES[i]}教授") for i in range(1, 6)]
    reviewers = ("", "孙红梅", "李卫东", "曾永福", "袁丽华")  # the counties' 初审 clerks (组织科副科长)
    for index, (code, name, _townships) in enumerate(COUNTIES, start=1):
        person, post, leader, leader_post, *_contact = PEOPLE[f"county{index}"]
        users += [DemoUser(f"county{index}_org", code, ("county_org",), f"{reviewers[index]}（{name}委组织部）"),
                  DemoUser(f"county{index}_leader", code, ("unit_leader",), f"{leader}（{name}委{leader_post[2:]}）"),
                  DemoUser(f"county{index}_applicant", code, ("applicant",), f"{person}（{name}{post[1:]}）")]
    for index, (code, name) in enumerate(DEPARTMENTS, start=1):
        person, post, leader, leader_post, *_contact = PEOPLE[f"dept{index}"]
        users += [DemoUser(f"dept{index}_applicant", f"{CITY}{code}", ("applicant", "collaborator"),
                           f"{person}（{_short(name)}{post}）"),
                  DemoUser(f"dept{index}_leader", f"{CITY}{code}", ("unit_leader",),
                           f"{leader}（{_short(name)}{leader_post}）")]
    for index, (code, name) in enumerate(ENTERPRISES, start=1):
        person, post, leader, leader_post, *_contact = PEOPLE[f"ent{index}"]
        users += [DemoUser(f"ent{index}_applicant", f"{CITY}{code}", ("applicant", "collaborator"),
                           f"{person}（{_short(name)}{post}）"),
                  DemoUser(f"ent{index}_leader", f"{CITY}{code}", ("unit_leader",),
                           f"{leader}（{_short(name)}{leader_post}）")]
    return users


def year_plan() -> dict[str, Any]:
    """The demo's 2008 year plan, as shipped in ``workflows/reference``."""
    plan: dict[str, Any] = json.loads(YEAR_PLAN.read_text(encoding="utf-8"))
    return plan


def seed_organisation(engine: Engine) -> None:
    """Units, users and the 2008 year plan; what exists already is left alone."""
    existing_units = {unit.code for unit in engine.units()}
    for code, name, parent, kind in demo_units():
        if code not in existing_units:
            engine.add_unit(code, name, parent=parent, kind=kind)
    for user in demo_users():
        try:
            engine.add_user(user.username, user.unit, list(user.roles), DEMO_PASSWORD, user.name)
        except Conflict:
            continue
    if engine.reference("year:2008") is None:
        engine.set_reference("admin", "year:2008", year_plan())
