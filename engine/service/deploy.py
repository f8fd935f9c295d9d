"""Use cases of the model registry: lint files, deploy a folder, list versions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from engine import clock
from engine.errors import DeploymentRefused
from engine.errors import FileConflict
from engine.errors import LintProblem
from engine.errors import NotFound
from engine.persistence.models import ProcessVersion
from engine.persistence.queries import versions
from engine.runtime.bundles import ProcessBundle
from engine.runtime.bundles import defining_file
from engine.runtime.bundles import split_bundles
from engine.runtime.lint import Source
from engine.runtime.lint import form_resolver
from engine.runtime.lint import lint
from engine.runtime.lint import lint_paths
from engine.runtime.lint import sources_in
from engine.runtime.specs import Bundle
from engine.service.actors import SYSTEM
from engine.service.actors import require_role
from engine.service.base import Service

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Deployed:
    process_id: str
    name: str
    version: int
    created: bool
    # A shipped file changed, but an administrator's newer version stays current.
    held: bool = False


def _same_file(deployed: Bundle, item: ProcessBundle) -> None:
    """:raises FileConflict: when ``item``'s process was deployed from a file of another name."""
    before, after = defining_file(deployed, item.process_id), defining_file(item.bundle, item.process_id)
    if before and after and before != after:
        raise FileConflict(process=item.process_id, old=before, new=after)


class DeployService(Service):
    def lint_paths(self, paths: list[Path]) -> list[LintProblem]:
        """See :func:`engine.runtime.lint.lint_paths` (forms also from the forms folder)."""
        return lint_paths(paths, self.settings.forms_dir)

    def deploy(self, folder: Path | None = None, actor: str = "system", shipped: bool = False,
               replace_file: bool = False) -> list[Deployed]:
        """Lint and deploy every executable process under ``folder`` (default: the workflows folder).

        A process whose bundle is identical to its latest version is left alone. ``shipped`` marks
        the deployment a restart makes of the shipped files: a process is compared with its last
        *shipped* version, so what an administrator deployed since is not superseded by a restart;
        and when the shipped file did change but an administrator's version is newer, that version
        stays current (the result says ``held``) until an administrator deploys the files on purpose.

        A process deployed from a file of another name is not silently given this file as its new
        version: that takes ``replace_file`` (not asked of ``shipped`` deployments: the shipped files
        are the product's own, and an administrator's version from another file stays current).

        :raises DeploymentRefused: with every lint problem; nothing is stored then.
        :raises FileConflict: when a process was deployed from a file of another name, without
            ``replace_file``; nothing is stored then.
        :raises NotAllowed: when ``actor`` is not an administrator.
        """
        sources, locations = sources_in([folder or self.settings.workflows_dir])
        resolve = form_resolver(locations, self.settings.forms_dir)
        return self.deploy_sources(sources, resolve, actor, shipped, replace_file=replace_file)

    def deploy_sources(self, sources: list[Source], resolve: Callable[[str, str], str | None], actor: str,
                       shipped: bool = False, comment: str | None = None,
                       replace_file: bool = False) -> list[Deployed]:
        """Deploy already-read sources; see :meth:`deploy`. Each new version becomes current and
        keeps ``comment``."""
        report = lint(sources, resolve)
        if report.problems:
            raise DeploymentRefused(report.problems)
        bundles = split_bundles(sources, resolve)
        results = []
        with self.db.write() as session:
            if actor != SYSTEM:
                require_role(self.actor_in(session, actor), "admin")
            for item in bundles:
                latest = versions.latest_version(session, item.process_id)
                if latest is not None and not (replace_file or shipped):  # shipped files are the product's own
                    _same_file(latest.bundle, item)
                compared = versions.latest_version(session, item.process_id, "shipped") if shipped else latest
                if latest is not None and compared is not None and compared.sha256 == item.sha256 \
                        and compared.startable == item.startable:
                    results.append(Deployed(item.process_id, latest.name, latest.version, False))
                    continue
                if shipped and latest is not None and latest.origin != "shipped":
                    log.warning("%s: shipped files changed; administrator's version %s stays current",
                                item.process_id, latest.version)
                    results.append(Deployed(item.process_id, latest.name, latest.version, False, held=True))
                    continue
                number = (latest.version + 1) if latest else 1
                version = ProcessVersion(process_id=item.process_id, version=number, name=item.name,
                                         sha256=item.sha256, bundle=item.bundle, startable=item.startable,
                                         deployed_by=actor, deployed_at=clock.now(),
                                         origin="shipped" if shipped else "administrator", comment=comment)
                session.add(version)
                session.flush()
                versions.make_current(session, version)
                results.append(Deployed(item.process_id, item.name, version.version, True))
                log.info("deployed %s version %s", item.process_id, version.version)
        return results

    def diagram(self, actor: str, process_id: str) -> tuple[str, int, str]:
        """(name, version, BPMN XML) of the current version of a process, for any signed-in user.

        :raises NotFound: when the process is not deployed.
        """
        with self.db.read() as session:
            self.actor_in(session, actor)
            latest = versions.current_version(session, process_id)
            if latest is None:
                raise NotFound(what="Process", key=process_id)
            model = self.runs.model(session, latest.id)
            return latest.name, latest.version, model.source

    def processes(self, actor: str) -> list[tuple[str, str, int, bool]]:
        """(process id, name, current version, startable) of every deployed process."""
        with self.db.read() as session:
            self.actor_in(session, actor)
            latest: dict[str, tuple[str, str, int, bool]] = {}
            for version in session.scalars(select(ProcessVersion).order_by(ProcessVersion.current,
                                                                           ProcessVersion.version)):
                latest[version.process_id] = (version.process_id, version.name, version.version, version.startable)
            return sorted(latest.values(), key=lambda row: (not row[3], row[0]))

    def versions(self) -> list[tuple[str, int, str, str]]:
        """(process id, version, name, sha256) of every deployed version, newest first per process."""
        with self.db.read() as session:
            rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.name,
                                          ProcessVersion.sha256)
                                   .order_by(ProcessVersion.process_id, ProcessVersion.version.desc()))
            return [(process_id, version, name, sha256) for process_id, version, name, sha256 in rows]
