"""The database: schema upgrades, backup and restore, the demonstration data."""

from __future__ import annotations

from pathlib import Path

import click

from web.cli.common import make_engine
from web.cli.common import reports_errors


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@reports_errors
def db_upgrade() -> None:
    """Create or migrate the schema to the latest revision, compact states stored before, and settle
    instances that had stalled (finished loop children never merged)."""
    engine = make_engine()
    before, after = engine.upgrade_schema()
    compacted = engine.compact_stored()
    if compacted:
        click.echo(f"已压缩 {compacted} 个流程实例的运行状态（已办部分移入归档）。")
    if before is None:
        click.echo(f"已创建数据库结构（版本 {after}）。")
    elif before != after:
        click.echo(f"已将数据库结构从版本 {before} 升级到 {after}。")
    else:
        click.echo("数据库已是最新版本。")
    advanced, failed = engine.resolve_stalled()
    if advanced:
        click.echo(f"已修复 {advanced} 个停滞的流程实例，它们已继续运行。")
    if failed:
        click.echo(f"{failed} 个流程实例无法继续，已标记为运行异常，请管理员处理。")


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def backup(target: Path) -> None:
    """Write a consistent copy of the whole database (attachments included) to TARGET."""
    info = make_engine().backup(target)
    click.echo(f"已备份到 {info.path}（{info.size // 1024} KB，{info.users} 个用户，{info.instances} 个流程实例）。")


@click.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds data.")
@reports_errors
def restore(source: Path, replace: bool) -> None:
    """Replace the database's content with the backup SOURCE (stop the web app and worker first)."""
    info = make_engine().restore(source, replace=replace)
    click.echo(f"已从 {info.path} 恢复：{info.users} 个用户，{info.instances} 个流程实例。"
               "请再运行 dangjian db upgrade。")




@click.command()
@reports_errors
def demo() -> None:
    """Seed the demonstration data (idempotent): organisation, 2008 plan, workflows, ~20 projects."""
    from party.demo.seed import DEMO_TODAY
    from party.demo.seed import seed_demo

    click.echo("正在生成演示数据（约半分钟）……")
    created = seed_demo(make_engine())
    click.echo("演示数据已生成。" if created else "演示数据已存在，未作改动。")
    click.echo(f"演示日期：{DEMO_TODAY}（运行时请设置 DANGJIAN_CLOCK，bin/run 已自动设置）")
    from party.demo.org import DEMO_PASSWORD
    from party.demo.org import demo_users

    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for user in demo_users():
        click.echo(f"  {user.username:<20} {user.name}")
