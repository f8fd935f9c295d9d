"""The organisation: units and users."""

from __future__ import annotations

import click

from web.cli.common import make_engine
from web.cli.common import reports_errors


@click.group()
def unit() -> None:
    """Organisation units."""


@unit.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", help="Code of the parent unit.")
@click.option("--kind", default="unit", show_default=True,
              help="city, county, township, village, community, department, enterprise or unit.")
@reports_errors
def unit_add(code: str, name: str, parent: str | None, kind: str) -> None:
    """Add unit CODE named NAME."""
    info = make_engine().add_unit(code, name, parent=parent, kind=kind)
    click.echo(f"已添加单位 {info.code} {info.name}（{info.path}）")


@click.group()
def user() -> None:
    """Users."""


@user.command("add")
@click.argument("username")
@click.option("--unit", "unit_code", required=True, help="Code of the user's unit.")
@click.option("--role", "roles", required=True, multiple=True, help="A role code; repeat for several.")
@click.option("--password", help="Initial password; generated and printed when omitted.")
@click.option("--name", "display_name", default="", help="Name shown in the interface.")
@reports_errors
def user_add(username: str, unit_code: str, roles: tuple[str, ...], password: str | None, display_name: str) -> None:
    """Add user USERNAME."""
    info, generated = make_engine().add_user(username, unit_code, list(roles), password, display_name)
    click.echo(f"已添加用户 {info.username}（{info.unit_name}，{', '.join(info.roles)}）")
    if generated:
        click.echo(f"初始密码：{generated}")
