"""What administrators do with process versions in the browser: read a version's diagram, check an
edited diagram without deploying it, deploy it with a comment, list the versions, compare two, and
make an earlier one current again (rollback).

An edited diagram is checked and deployed together with the files of the current versions (the
processes it calls and the ones that call it), so every process whose bundle contains the edited
file gets a new version in the same deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import FileConflict
from engine.errors import InvalidInput
from engine.errors import LintProblem
from engine.errors import NotFound
from engine.persistence.models import OPEN_STATUSES
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion
from engine.persistence.queries import versions as version_queries
from engine.runtime.bundles import defining_file
from engine.runtime.bundles import process_ids_in
from engine.runtime.diff import ElementChange
from engine.runtime.diff import diff_diagrams
from engine.runtime.lint import Source
from engine.runtime.lint import lint
from engine.service.actors import require_role
from engine.service.base import Core
from engine.service.base import Service
from engine.service.deploy import Deployed
from engine.service.deploy import DeployService
from forms import FormSchemaError
from forms import find_form
from forms import parse_form

# An edited diagram larger than this is refused before it is parsed.
MAX_DIAGRAM_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class VersionInfo:
    """One version of a process as the version list shows it."""

    version: int
    name: str
    deployed_by: str
    deployed_at: datetime
    comment: str | None
    origin: str
    current: bool
    running: int  # projects still open on this version
    total: int  # projects ever started on it
    startable: bool = True  # False: only called by other processes (never made current on its own)


@dataclass(frozen=True)
class ModelFile:
    """The BPMN file that defines a process in one version: its name in the bundle and its text."""

    process_id: str
    version: int
    name: str
    xml: str


def _current_files(session: Session) -> dict[str, dict[str, str]]:
    """Every file of the current versions, by kind and name; a newer deployment's copy wins."""
    files: dict[str, dict[str, str]] = {"bpmn": {}, "dmn": {}, "forms": {}}
    current = session.scalars(select(ProcessVersion).where(ProcessVersion.current.is_(True))
                              .order_by(ProcessVersion.deployed_at, ProcessVersion.id))
    for version in current:
        for kind in files:
            files[kind].update(version.bundle.get(kind, {}))
    return files


def _files_defining(files: dict[str, str], process_ids: set[str], but: str) -> list[str]:
    """The names of ``files`` (other than ``but``) that define one of ``process_ids``."""
    return [name for name, text in files.items() if name != but and process_ids & process_ids_in(text)]


def _defining_file(bundle: dict[str, dict[str, str]], process_id: str) -> tuple[str, str]:
    """(file name, text) of the BPMN file of ``bundle`` that defines ``process_id``.

    :raises NotFound: when no file does.
    """
    name = defining_file(bundle, process_id)
    if name is None:
        raise NotFound(what="Process", key=process_id)
    return name, bundle["bpmn"][name]


class VersionService(Service):
    def __init__(self, core: Core, deploy: DeployService) -> None:
        super().__init__(core)
        self.deploy = deploy

    def _version(self, session: Session, process_id: str, version: int | None) -> ProcessVersion:
        query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        found = (session.scalars(query.where(ProcessVersion.version == version)).first() if version is not None
                 else version_queries.current_version(session, process_id))
        if found is None:
            raise NotFound(what="Process version", key=f"{process_id} {version or ''}".strip())
        return found

    def process_versions(self, actor: str, process_id: str) -> list[VersionInfo]:
        """Every version of ``process_id``, newest first, with its comment and its projects.

        :raises NotAllowed: unless the actor is an administrator. :raises NotFound:
        """
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            counts = {version_id: (running or 0, total) for version_id, running, total in session.execute(
                select(ProcessInstance.version_id,
                       func.sum(case((ProcessInstance.status.in_(OPEN_STATUSES), 1), else_=0)), func.count())
                .where(ProcessInstance.process_id == process_id, ProcessInstance.parent_id.is_(None))
                .group_by(ProcessInstance.version_id))}
            versions = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                                       .order_by(ProcessVersion.version.desc())).all()
            if not versions:
                raise NotFound(what="Process", key=process_id)
            return [VersionInfo(v.version, v.name, v.deployed_by, v.deployed_at, v.comment, v.origin, v.current,
                                *counts.get(v.id, (0, 0)), bool(v.startable)) for v in versions]

    def model_file(self, actor: str, process_id: str, version: int | None = None) -> ModelFile:
        """The BPMN file defining ``process_id`` in ``version`` (default: the current one).

        :raises NotAllowed: unless the actor is an administrator. :raises NotFound:
        """
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            found = self._version(session, process_id, version)
            name, text = _defining_file(found.bundle, process_id)
            return ModelFile(process_id, found.version, name, text)

    def _edited_sources(self, session: Session, name: str, text: str,
                        replace_file: bool = False) -> tuple[list[Source], Callable[[str, str], str | None]]:
        """The current files with the file ``name`` (a diagram, decision table or form) replaced by
        ``text``, and the form resolver for them. With ``replace_file``, the edited diagram also
        takes the place of the other files that define one of its processes.

        :raises InvalidInput: for a file that is too large or whose name is not a diagram's or form's.
        """
        if len(text.encode("utf-8")) > MAX_DIAGRAM_BYTES:
            raise InvalidInput("The diagram is larger than %(limit)s MB.", limit=MAX_DIAGRAM_BYTES // (1024 * 1024))
        kind = {"bpmn": "bpmn", "dmn": "dmn", "json": "forms"}.get(name.rsplit(".", 1)[-1] if "." in name else "")
        if kind is None or "/" in name or "\\" in name or name.startswith("."):
            raise InvalidInput("A diagram's file name must end in .bpmn or .dmn and name no folder.")
        files = _current_files(session)
        if replace_file and kind == "bpmn":
            for other in _files_defining(files["bpmn"], process_ids_in(text), name):
                del files["bpmn"][other]
        files[kind][name] = text
        # The edited file comes last, so that what it repeats of another file is reported on it.
        order = sorted(files["bpmn"].items(), key=lambda item: (item[0] == name, item[0]))
        sources = [Source(n, "bpmn", content) for n, content in order]
        sources += [Source(n, "dmn", content) for n, content in sorted(files["dmn"].items())]
        forms = files["forms"]

        def resolve(form: str, _diagram: str) -> str | None:
            if form in forms:
                return forms[form]
            found = find_form(form, [self.settings.forms_dir])
            return found.read_text(encoding="utf-8") if found else None
        return sources, resolve

    def form_files(self, actor: str) -> list[tuple[str, list[str]]]:
        """(form name, the processes whose current version uses it) of every form in use.

        :raises NotAllowed: unless the actor is an administrator.
        """
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            used: dict[str, list[str]] = {}
            for version in session.scalars(select(ProcessVersion).where(ProcessVersion.current.is_(True))
                                           .order_by(ProcessVersion.process_id)):
                for name in version.bundle.get("forms", {}):
                    used.setdefault(name, []).append(version.name)
            return sorted(used.items())

    def form_text(self, actor: str, name: str) -> str:
        """The text of the form ``name`` as the current versions use it.

        :raises NotAllowed: unless the actor is an administrator. :raises NotFound:
        """
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            text = _current_files(session)["forms"].get(name)
        if text is None:
            raise NotFound(what="Form", key=name)
        return text

    def check_form(self, actor: str, text: str) -> tuple[dict[str, Any] | None, FormSchemaError | None]:
        """(the parsed form, None) when ``text`` is a valid form, else (None, what is wrong).

        :raises NotAllowed: unless the actor is an administrator.
        """
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
        try:
            return parse_form(text), None
        except FormSchemaError as error:
            return None, error

    def deploy_form(self, actor: str, name: str, text: str, comment: str) -> list[Deployed]:
        """Deploy the edited form ``name`` with the current files: every process whose bundle uses
        it gets a new current version carrying ``comment`` (forms deploy with their diagrams).

        :raises DeploymentRefused, InvalidInput, NotAllowed: as :meth:`deploy_model`.
        """
        return self.deploy_model(actor, name, text, comment)

    def check_model(self, actor: str, name: str, xml: str) -> list[LintProblem]:
        """The lint's problems with the edited diagram ``name`` among the current files; nothing is
        stored. Problems of other files are reported too when the edit causes them (a call
        activity whose target was removed).

        :raises NotAllowed: unless the actor is an administrator. :raises InvalidInput:
        """
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            sources, resolve = self._edited_sources(session, name, xml)
        return lint(sources, resolve).problems

    def deploy_model(self, actor: str, name: str, xml: str, comment: str,
                     replace_file: bool = False) -> list[Deployed]:
        """Deploy the edited diagram ``name`` with the current files; every process whose bundle
        changed gets a new current version carrying ``comment``. A diagram whose process another
        file defines (``key_project (1).bpmn`` for ``key_project``) replaces that file only with
        ``replace_file``, the administrator's explicit choice.

        :raises DeploymentRefused: with the lint's problems; nothing is stored then.
        :raises FileConflict: when another file defines one of its processes, without ``replace_file``.
        :raises InvalidInput: without a comment. :raises NotAllowed:
        """
        comment = (comment or "").strip()[:2000]
        if not comment:
            raise InvalidInput("Say what this version changes; the comment is kept in the version list.")
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            if not replace_file and name.endswith(".bpmn"):
                for process_id in sorted(process_ids_in(xml)):
                    others = _files_defining(_current_files(session)["bpmn"], {process_id}, name)
                    if others:
                        raise FileConflict(process=process_id, old=others[0], new=name)
            sources, resolve = self._edited_sources(session, name, xml, replace_file)
        deployed = self.deploy.deploy_sources(sources, resolve, actor, comment=comment,
                                       replace_file=replace_file)
        return [d for d in deployed if d.created]

    def make_version_current(self, actor: str, process_id: str, version: int) -> None:
        """Roll back (or forward): new projects of ``process_id`` start on ``version`` from now on;
        running projects stay on theirs.

        :raises NotAllowed: unless the actor is an administrator. :raises NotFound:
        """
        with self.db.write() as session:
            require_role(self.actor_in(session, actor), "admin")
            found = self._version(session, process_id, version)
            if not found.startable:
                raise InvalidInput("Version %(version)s cannot start projects.", version=version)
            version_queries.make_current(session, found)

    def compare_versions(self, actor: str, process_id: str, old: int, new: int) -> list[ElementChange]:
        """The elements added, removed or changed from version ``old`` to ``new`` of the file that
        defines ``process_id``, with the properties that changed.

        :raises NotAllowed: unless the actor is an administrator. :raises NotFound:
        """
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            before = _defining_file(self._version(session, process_id, old).bundle, process_id)[1]
            after = _defining_file(self._version(session, process_id, new).bundle, process_id)[1]
        return diff_diagrams(before, after)
