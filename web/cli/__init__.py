"""The ``dangjian`` command line: administration and scripting over the engine.

The database comes from ``DATABASE_URL`` (default: the SQLite file under ``instance/``). Every
command that fails on bad input prints one readable line and exits 1 without changing anything.
The commands live in one module per group (data, org, diagrams, projects, worker).
"""

from __future__ import annotations

import logging
import os

import click

from web.cli import data
from web.cli import diagrams
from web.cli import org
from web.cli import projects
from web.cli import worker


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


for command in (data.db, data.backup, data.restore, data.demo, org.unit, org.user, diagrams.deploy, diagrams.lint,
                projects.start, projects.tasks, projects.complete, projects.instance, worker.worker):
    main.add_command(command)
