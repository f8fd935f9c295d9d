"""The demonstration organisation and the 2008 year plan, seeded idempotently through the engine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine import Engine
from engine.errors import Conflict

ROOT = Path(__file__).resolve().parent.parent
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


@dataclass(frozen=True)
class DemoUser:
    username: str
    unit: str
    roles: tuple[str, ...]
    name: str


def demo_units() -> list[tuple[str, str, str | None, str]]:
    """(code, name, parent, kind) of every demo unit, parents first."""
    units = [(CITY, "雅安市", None, "city")]
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


def demo_users() -> list[DemoUser]:
    """The accounts listed in the README; every one signs in with ``demo-password``."""
    users = [DemoUser("admin", CITY, ("admin",), "系统管理员"),
             DemoUser("city_org", CITY, ("city_org",), "市委组织部 王建国"),
             DemoUser("city_leader", CITY, ("dept_leader",), "市委组织部副部长 赵志刚"),
             DemoUser("supervisor", CITY, ("supervisor",), "督查室 李明")]
    users += [DemoUser(f"panel{i}", CITY, ("panel",), f"考评验收组 {SURNAMES[i]}教授") for i in range(1, 6)]
    for index, (code, name, _townships) in enumerate(COUNTIES, start=1):
        users += [DemoUser(f"county{index}_org", code, ("county_org",), f"{name}委组织部 {SURNAMES[index + 5]}科长"),
                  DemoUser(f"county{index}_leader", code, ("unit_leader",), f"{name} 分管领导 {SURNAMES[index + 9]}"),
                  DemoUser(f"county{index}_applicant", code, ("applicant",), f"{name} 经办人 {SURNAMES[index + 13]}")]
    for index, (code, name) in enumerate(DEPARTMENTS, start=1):
        users += [DemoUser(f"dept{index}_applicant", f"{CITY}{code}", ("applicant", "collaborator"),
                           f"{name} 经办人"),
                  DemoUser(f"dept{index}_leader", f"{CITY}{code}", ("unit_leader",), f"{name} 分管领导")]
    for index, (code, name) in enumerate(ENTERPRISES, start=1):
        users += [DemoUser(f"ent{index}_applicant", f"{CITY}{code}", ("applicant", "collaborator"),
                           f"{name} 经办人"),
                  DemoUser(f"ent{index}_leader", f"{CITY}{code}", ("unit_leader",), f"{name} 分管领导")]
    return users


def year_plan() -> dict:
    return json.loads(YEAR_PLAN.read_text(encoding="utf-8"))


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
