"""The roles a lane or a task's ``role`` property may name.

A lane may be labelled with the role code (``city_org``) or with its Chinese or English title
(``市委组织部``), since lanes are what users see in the diagram. ``city_wide`` roles see every unit;
the others see their own unit and the units below it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    code: str
    title_zh: str
    title_en: str
    city_wide: bool = False


ROLES: tuple[Role, ...] = (
    Role("applicant", "申报单位经办人", "Applicant"),
    Role("unit_leader", "分管党建工作领导", "Unit leader in charge"),
    Role("responsible", "项目责任人", "Project responsible person"),
    Role("collaborator", "协作单位", "Collaborating unit"),
    Role("county_org", "县(区)委组织部", "County organisation department"),
    Role("city_org", "市委组织部", "City organisation department", city_wide=True),
    Role("dept_leader", "部领导", "Department leadership", city_wide=True),
    Role("panel", "考评验收组成员", "Panel member", city_wide=True),
    Role("supervisor", "督查", "Supervisor", city_wide=True),
    Role("admin", "系统管理员", "Administrator", city_wide=True),
)

_BY_NAME: dict[str, Role] = {}
for _role in ROLES:
    for _name in (_role.code, _role.title_zh, _role.title_en):
        _BY_NAME[_name.strip().lower()] = _role
# Names earlier versions of the diagrams used, so that versions already deployed keep working.
_BY_NAME["协作部门"] = _BY_NAME["collaborator"]


def role_named(name: str | None) -> Role | None:
    """The role a lane label or role property names, or None when it names no known role."""
    if not name:
        return None
    return _BY_NAME.get(name.strip().lower())


ROLE_CODES: frozenset[str] = frozenset(role.code for role in ROLES)
CITY_WIDE_ROLES: frozenset[str] = frozenset(role.code for role in ROLES if role.city_wide)
