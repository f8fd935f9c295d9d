"""The diagrams: deploying and linting them."""

from __future__ import annotations

from pathlib import Path

import click

from engine.settings import EngineSettings
from web.cli.common import fail
from web.cli.common import make_engine
from web.cli.common import reports_errors


@click.command()
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


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@reports_errors
def lint(paths: tuple[Path, ...]) -> None:
    """Check BPMN/DMN files and their forms; exit 1 when any problem is found.

    Needs no database: only the lint is loaded, so that checking a file takes well under a second.
    """
    from engine.runtime.lint import lint_paths  # the lint alone: no use case, no database

    problems = lint_paths(list(paths), EngineSettings().forms_dir)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        fail(f"发现 {len(problems)} 个问题")
    click.echo("检查通过，没有发现问题。")
