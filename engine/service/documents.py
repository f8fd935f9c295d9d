"""Formal documents of a project, as filed: the application (the forms of the domain's application
steps) for printing on A4."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.errors import NotFound
from engine.persistence.models import InstanceEvent
from engine.service.base import Service
from engine.service.instances import visible_instance
from engine.service.tasks import choices_of
from engine.service.tasks import submissions


@dataclass(frozen=True)
class FiledDocument:
    """A document as its step filed it: the project, who filed it and when, its fields as shown
    (label, value) and the submitted data (for the parts a formal layout places apart)."""

    instance_id: int
    title: str
    process_name: str
    unit_code: str | None
    year: int | None
    step_name: str
    filed_by: str
    filed_at: datetime
    fields: list[tuple[str, Any]]
    data: dict[str, Any]


class DocumentService(Service):
    def application_document(self, actor: str, instance_id: int) -> FiledDocument:
        """The project's application as last filed (the latest of the domain's ``application_steps``),
        for anyone who may see the project.

        :raises NotFound: when the project has none (yet). :raises NotAllowed: out of scope.
        """
        with self.db.read() as session:
            viewer = self.actor_in(session, actor)
            instance = visible_instance(session, viewer, instance_id)
            events = list(session.scalars(select(InstanceEvent).where(
                InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "task_completed",
                InstanceEvent.bpmn_id.in_(self.domain.application_steps)).order_by(InstanceEvent.at, InstanceEvent.id)))
            if not events:
                raise NotFound(what="Application", key=instance_id)
            model = self.runs.model(session, instance.version_id)
            shown = submissions(model, events[-1:], viewer.roles, viewer.username,
                                choices_of(session, instance, self.runs))
            if not shown:
                raise NotFound(what="Application", key=instance_id)
            filed = shown[-1]
            return FiledDocument(instance.id, instance.title, model.name, instance.unit_code, instance.year,
                                 filed.step_name or "", filed.actor, filed.at, filed.shown,
                                 dict(filed.data) if isinstance(filed.data, dict) else {})
