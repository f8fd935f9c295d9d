"""Storing the files of a task: checked by content, within the project's quota, their bytes kept
once per digest. Helpers for the use cases that store files; they take the session and never commit,
so a use case that fails after storing leaves nothing behind."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidUpload
from engine.persistence import records
from engine.persistence.models import Attachment
from engine.persistence.models import AttachmentBlob
from engine.persistence.models import HumanTask
from engine.persistence.queries import collaboration
from engine.settings import EngineSettings
from engine.uploads import UploadRefused
from engine.uploads import check_upload
from engine.uploads import clean_name
from forms import FieldError

MB = 1024 * 1024


@dataclass(frozen=True)
class ChosenFile:
    """A file chosen in a form's file field (``field``), not stored yet."""

    field: str
    name: str
    content: bytes


def reference(row: Attachment) -> dict[str, Any]:
    """What a form's file field stores for a stored file."""
    return {"id": row.id, "name": row.name, "sha256": row.sha256, "size": row.size,
            "content_type": row.content_type}


def store_file(session: Session, settings: EngineSettings, task: HumanTask | records.TaskRecord, username: str,
               name: str, content: bytes) -> Attachment:
    """Store ``content`` as a file of ``task``'s project, uploaded by ``username`` (flushed: it has its id).

    :raises InvalidUpload: empty, too large, not an allowed kind, content not matching its name, or
        beyond the project's quota.
    """
    try:
        kind = check_upload(name, content, settings.max_upload_bytes)
    except UploadRefused as refused:
        raise InvalidUpload(refused.reason, **refused.params) from None
    used = collaboration.bytes_stored(session, task.instance_id)
    quota = settings.upload_quota_bytes
    if used + len(content) > quota:
        raise InvalidUpload("This project's files would exceed %(limit)s MB (%(used)s MB are used). "
                            "Delete a file you no longer need, or ask 市委组织部.",
                            limit=quota // MB, used=round(used / MB, 1))
    digest = hashlib.sha256(content).hexdigest()
    if session.get(AttachmentBlob, digest) is None:
        session.add(AttachmentBlob(sha256=digest, data=content, size=len(content)))
        session.flush()  # the attachment row refers to it
    row = Attachment(instance_id=task.instance_id, human_task_id=task.id, name=clean_name(name),
                     content_type=kind.content_type, size=len(content), sha256=digest,
                     uploaded_by=username, uploaded_at=clock.now())
    session.add(row)
    session.flush()  # its id goes into the form's data, and the next file's quota counts it
    return row


def store_chosen(session: Session, settings: EngineSettings, task: HumanTask | records.TaskRecord, username: str,
                 files: Sequence[ChosenFile], form: dict[str, Any] | None, data: dict[str, Any]) -> list[FieldError]:
    """Store each file chosen in one of ``form``'s file fields and add its reference to the field's
    value in ``data`` (a file sent for any other field is ignored); the refused ones as errors on
    their field (with the file's name), for the use case to roll back."""
    properties = (form or {}).get("properties", {})
    errors = []
    for chosen in files:
        if properties.get(chosen.field, {}).get("x-widget") != "files":
            continue
        try:
            row = store_file(session, settings, task, username, chosen.name, chosen.content)
        except InvalidUpload as error:
            errors.append(FieldError(chosen.field, error.code, error.template, {**error.params, "name": chosen.name}))
            continue
        value = data.get(chosen.field)
        data[chosen.field] = [*(value if isinstance(value, list) else []), reference(row)]
    return errors
