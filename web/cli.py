"""The ``dangjian`` command line: administration and scripting over the engine.

The database comes from ``DATABASE_URL`` (default: the SQLite file under ``instance/``). Every
command that fails on bad input prints one readable line and exits 1 without changing anything.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

from engine.clock import BUSINESS_TZ
from engine.errors import DeploymentRefused
from engine.errors import EngineError
from engine.errors import InvalidSubmission
from engine.settings import EngineSettings
from forms import jsoncheck
from web.i18n import translate

if TYPE_CHECKING:
    from engine import Engine

# Ids are INTEGER columns: a larger number names nothing, and says so before any query runs.
ID = click.IntRange(1, 2**31 - 1)


def make_engine() -> Engine:
    """The engine for this command, closed (connections released) when the command ends."""
    context = click.get_current_context()
    engine = context.meta.get("dangjian.engine")
    if engine is None:
        from engine import Engine  # here, not at the top: ``dangjian --help`` must not load the engine
        from web.config import engine_settings

        engine = Engine(engine_settings())
        context.meta["dangjian.engine"] = engine
        context.call_on_close(engine.db.dispose)
    return engine


def fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(1)


def reports_errors(command: Callable) -> Callable:
    """Turn engine errors and bad JSON into one line on stderr and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DeploymentRefused as error:
            click.echo(f"错误：{translate(error.template, error.params)}", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        except InvalidSubmission as error:
            click.echo(f"错误：{translate(error.template, error.params)}", err=True)
            shown: set[str] = set()
            for invalid in error.errors:  # the first problem of each field, in Chinese like the rest
                if invalid.path not in shown:
                    shown.add(invalid.path)
                    message = translate(invalid.template, invalid.params)
                    click.echo(f"  {invalid.path or '（表单）'}: {message}", err=True)
            sys.exit(1)
        except EngineError as error:
            fail(translate(error.template, error.params))

    return wrapper


def parse_json(text: str | None, what: str) -> dict:
    if text is None:
        return {}
    try:
        value = jsoncheck.loads(text)
    except json.JSONDecodeError as error:
        fail(f"{what} 不是有效的 JSON（第 {error.lineno} 行第 {error.colno} 列）：{error.msg}")
    except jsoncheck.UnacceptableJSON as error:
        fail(f"{what} 含有不能保存的值（孤立的 UTF-16 代理项、NaN 或 Infinity，或嵌套过深）：{error.code}")
    if not isinstance(value, dict):
        fail(f"{what} 必须是 JSON 对象（{{...}}）")
    return value


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _moment(value: datetime) -> str:
    """2008年3月1日 10:00, Beijing time: how people read a moment."""
    local = value.astimezone(BUSINESS_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine does.")
def main(verbose: bool) -> None:
    """党建项目流程平台 command line. ``DANGJIAN_CLOCK`` sets every command's clock as the web's."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)
    if os.environ.get("DANGJIAN_CLOCK"):
        from engine import clock

        clock.start_ticking_from(os.environ["DANGJIAN_CLOCK"])


@main.group()
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


@main.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def backup(target: Path) -> None:
    """Write a consistent copy of the whole database (attachments included) to TARGET."""
    info = make_engine().backup(target)
    click.echo(f"已备份到 {info.path}（{info.size // 1024} KB，{info.users} 个用户，{info.instances} 个流程实例）。")


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds data.")
@reports_errors
def restore(source: Path, replace: bool) -> None:
    """Replace the database's content with the backup SOURCE (stop the web app and worker first)."""
    info = make_engine().restore(source, replace=replace)
    click.echo(f"已从 {info.path} 恢复：{info.users} 个用户，{info.instances} 个流程实例。"
               "请再运行 dangjian db upgrade。")


@main.group()
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


@main.group()
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


@main.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--as", "actor", default="system", help="Administrator who deploys (default: system).")
@click.option("--replace-file", is_flag=True,
              help="A process deployed from a file of another name takes this file as its new version (without "
                   "it, such a deployment is refused).")
@click.option("--shipped", is_flag=True,
              help="Start-up deployment of the shipped files: only what changed since it was last deployed from "
                   "disk, and never over a newer version an administrator deployed.")
@reports_errors
def deploy(folder: Path | None, actor: str, shipped: bool, replace_file: bool) -> None:
    """Lint and deploy every process under FOLDER (default: workflows/).

    ``DANGJIAN_CLOCK`` dates the new versions as the application's clock would (the 2008 demo).
    """
    for item in make_engine().deploy(folder, actor=actor, shipped=shipped, replace_file=replace_file):
        state = "新版本" if item.created else "文件已更新，仍使用管理员部署的版本" if item.held else "未变化"
        click.echo(f"{item.process_id}\t第 {item.version} 版\t{state}\t{item.name}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@reports_errors
def lint(paths: tuple[Path, ...]) -> None:
    """Check BPMN/DMN files and their forms; exit 1 when any problem is found.

    Needs no database: only the lint is loaded, so that checking a file takes well under a second.
    """
    from engine.linting import lint_paths

    problems = lint_paths(list(paths), EngineSettings().forms_dir)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        fail(f"发现 {len(problems)} 个问题")
    click.echo("检查通过，没有发现问题。")


@main.command()
@click.argument("process_id")
@click.option("--as", "actor", required=True, help="User who starts the process.")
@click.option("--data", help="Initial data as a JSON object.")
@reports_errors
def start(process_id: str, actor: str, data: str | None) -> None:
    """Start a process instance."""
    instance_id = make_engine().start(process_id, actor, parse_json(data, "--data"))
    click.echo(f"已启动流程实例 {instance_id}")


@main.command()
@click.option("--as", "actor", required=True, help="Whose tasks to list.")
@click.option("--tab", type=click.Choice(["mine", "claimable", "done"]), default=None,
              help="One inbox tab; default: assigned and claimable tasks.")
@click.option("--json", "as_json", is_flag=True, help="Stable JSON output for scripts.")
@reports_errors
def tasks(actor: str, tab: str | None, as_json: bool) -> None:
    """List a user's tasks."""
    engine = make_engine()
    rows = []
    for name in [tab] if tab else ["mine", "claimable"]:
        rows += engine.inbox(actor, tab=name, page_size=1000).rows
    if as_json:
        click.echo(json.dumps([{key: _jsonable(value) for key, value in asdict(row).items()} for row in rows],
                              ensure_ascii=False, indent=2))
        return
    for row in rows:
        due = row.due_at.date().isoformat() if row.due_at else "-"
        click.echo(f"{row.id}\t{row.name}\t实例 {row.instance_id}\t{row.title or row.process_id}\t截止 {due}")
    if not rows:
        click.echo("没有待办任务。")


@main.command()
@click.argument("task_id", type=ID)
@click.option("--as", "actor", required=True, help="User who completes the task.")
@click.option("--data", required=True, help="Form data as a JSON object.")
@reports_errors
def complete(task_id: int, actor: str, data: str) -> None:
    """Complete a task with form data."""
    done = make_engine().complete(actor, task_id, parse_json(data, "--data"))
    click.echo(f"已办结任务 {task_id}（流程实例 {done.instance_id}）")


@main.group()
def instance() -> None:
    """Look at and control process instances (administrators)."""


@instance.command("show")
@click.argument("instance_id", type=ID)
@click.option("--as", "actor", default="admin", show_default=True)
@reports_errors
def instance_show(instance_id: int, actor: str) -> None:
    """Where an instance stands and its history."""
    view = make_engine().instance(actor, instance_id)
    click.echo(f"{view.id}\t{view.process_name} 第 {view.version} 版\t{view.status}\t{view.title}")
    if view.error_message:
        click.echo(f"错误：{view.error_element}：{view.error_message}")
    for step in view.steps:
        click.echo(f"  当前：{step['name']}（{step['kind']}）")
    for event in view.events:
        click.echo(f"  {_moment(event.at)}\t{event.actor}\t{event.kind}\t{event.step_name or ''}")


@instance.command("history")
@click.argument("instance_id", type=ID)
@click.option("--as", "actor", default="admin", show_default=True, help="Administrator.")
@reports_errors
def instance_history(instance_id: int, actor: str) -> None:
    """Every step the workflow finished, the archived parts included (times: the server's real time)."""
    for step in make_engine().workflow_history(actor, instance_id):
        state = "已完成" if step.state == "completed" else "已取消"
        where = "归档" if step.archived else "运行状态"
        click.echo(f"  {_moment(step.at)}\t{step.process}\t{step.name}\t{state}\t{where}")


def _control(action: str, instance_id: int, actor: str, reason: str | None, data: str | None = None) -> None:
    engine = make_engine()
    if action == "retry":
        status = engine.retry(actor, instance_id, parse_json(data, "--data"), reason=reason)
    else:
        status = getattr(engine, action)(actor, instance_id, reason=reason)
    click.echo(f"流程实例 {instance_id}：{status}")


for _action, _help in (("suspend", "Stop timers and task completion until resumed."),
                       ("resume", "Resume a suspended instance."),
                       ("terminate", "End an instance for good; its open tasks are cancelled.")):
    @instance.command(_action, help=_help)
    @click.argument("instance_id", type=ID)
    @click.option("--as", "actor", required=True, help="Administrator.")
    @click.option("--reason", help="Recorded in the audit trail.")
    @reports_errors
    def _command(instance_id: int, actor: str, reason: str | None, _name: str = _action) -> None:
        _control(_name, instance_id, actor, reason)


@instance.command("retry")
@click.argument("instance_id", type=ID)
@click.option("--as", "actor", required=True, help="Administrator.")
@click.option("--data", help="Corrections to the failed step's data, as a JSON object.")
@click.option("--reason", help="Recorded in the audit trail.")
@reports_errors
def instance_retry(instance_id: int, actor: str, data: str | None, reason: str | None) -> None:
    """Run the failed step of an instance in error again, after correcting its data."""
    _control("retry", instance_id, actor, reason, data)


@main.command()
@click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
@click.option("--interval", type=float, envvar="WORKER_INTERVAL", default=30.0, show_default=True,
              help="Longest idle sleep in seconds (env WORKER_INTERVAL); NOTIFY and due timers wake it sooner.")
@click.option("--lease", type=float, envvar="WORKER_LEASE_SECONDS", default=60.0, show_default=True,
              help="Seconds a claimed job stays this worker's after its last heartbeat.")
@click.option("--batch", type=click.IntRange(1, 1000), envvar="WORKER_BATCH", default=20, show_default=True,
              help="Jobs claimed at once (the others stay for other workers).")
@click.option("--metrics-port", type=int, envvar="WORKER_METRICS_PORT", default=0,
              help="Serve this worker's Prometheus metrics on this port (0: not served).")
@reports_errors
def worker(once: bool, interval: float, lease: float, batch: int, metrics_port: int) -> None:
    """Fire due timers, send deadline notices and deliver the outbox; then wait for more work.

    Runs beside the web application as a process of its own (``bin/run`` and
    ``deploy/dangjian-worker.service`` start it), any number of them on any hosts against one
    PostgreSQL. SIGTERM or SIGINT: the current job is finished, then it exits.
    """
    import signal
    import threading
    from dataclasses import replace

    from engine.worker import run_worker
    from engine.worker import work_once

    engine = make_engine()
    engine.settings = replace(engine.settings, lease_seconds=lease, job_batch=batch)
    logging.getLogger("engine").setLevel(logging.INFO)
    if once:
        click.echo(f"已推进 {work_once(engine)} 个流程实例")
        return
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=os.environ.get("WORKER_METRICS_ADDR", "127.0.0.1"))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_worker(engine, interval, stop)


@main.command()
@reports_errors
def demo() -> None:
    """Seed the demonstration data (idempotent): organisation, 2008 plan, workflows, ~20 projects."""
    from web.demo import DEMO_TODAY
    from web.demo import seed_demo

    click.echo("正在生成演示数据（约半分钟）……")
    created = seed_demo(make_engine())
    click.echo("演示数据已生成。" if created else "演示数据已存在，未作改动。")
    click.echo(f"演示日期：{DEMO_TODAY}（运行时请设置 DANGJIAN_CLOCK，bin/run 已自动设置）")
    from web.demo_org import DEMO_PASSWORD
    from web.demo_org import demo_users

    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for user in demo_users():
        click.echo(f"  {user.username:<20} {user.name}")


if __name__ == "__main__":
    main()
