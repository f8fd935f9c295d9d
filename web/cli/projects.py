"""Projects from the command line: start one, list and complete tasks, inspect and repair instances."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from web.cli.common import ID
from web.cli.common import jsonable
from web.cli.common import make_engine
from web.cli.common import moment
from web.cli.common import parse_json
from web.cli.common import reports_errors


@click.command()
@click.argument("process_id")
@click.option("--as", "actor", required=True, help="User who starts the process.")
@click.option("--data", help="Initial data as a JSON object.")
@reports_errors
def start(process_id: str, actor: str, data: str | None) -> None:
    """Start a process instance."""
    instance_id = make_engine().start(process_id, actor, parse_json(data, "--data"))
    click.echo(f"已启动流程实例 {instance_id}")


@click.command()
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
        click.echo(json.dumps([{key: jsonable(value) for key, value in asdict(row).items()} for row in rows],
                              ensure_ascii=False, indent=2))
        return
    for row in rows:
        due = row.due_at.date().isoformat() if row.due_at else "-"
        click.echo(f"{row.id}\t{row.name}\t实例 {row.instance_id}\t{row.title or row.process_id}\t截止 {due}")
    if not rows:
        click.echo("没有待办任务。")


@click.command()
@click.argument("task_id", type=ID)
@click.option("--as", "actor", required=True, help="User who completes the task.")
@click.option("--data", required=True, help="Form data as a JSON object.")
@reports_errors
def complete(task_id: int, actor: str, data: str) -> None:
    """Complete a task with form data."""
    done = make_engine().complete(actor, task_id, parse_json(data, "--data"))
    click.echo(f"已办结任务 {task_id}（流程实例 {done.instance_id}）")


@click.group()
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
        click.echo(f"  {moment(event.at)}\t{event.actor}\t{event.kind}\t{event.step_name or ''}")


@instance.command("history")
@click.argument("instance_id", type=ID)
@click.option("--as", "actor", default="admin", show_default=True, help="Administrator.")
@reports_errors
def instance_history(instance_id: int, actor: str) -> None:
    """Every step the workflow finished, the archived parts included (times: the server's real time)."""
    for step in make_engine().workflow_history(actor, instance_id):
        state = "已完成" if step.state == "completed" else "已取消"
        where = "归档" if step.archived else "运行状态"
        click.echo(f"  {moment(step.at)}\t{step.process}\t{step.name}\t{state}\t{where}")


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
