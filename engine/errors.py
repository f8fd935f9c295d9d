"""Domain errors raised by the engine.

Every error carries a stable ``code``, an English message template (the msgid the web layer
translates) and the parameters that fill it. The web layer maps each class to an HTTP status in
one place (``web/errors.py``); the CLI prints the message and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from forms.errors import FieldError
from forms.errors import fill


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""

    code = "engine_error"
    template = "The operation failed."

    def __init__(self, template: str | None = None, **params: Any) -> None:
        self.template = template or self.template
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The English message with its parameters filled in."""
        return fill(self.template, self.params)


class NotFound(EngineError):
    code = "not_found"
    template = "%(what)s %(key)s does not exist."


class NotAllowed(EngineError):
    code = "not_allowed"
    template = "You are not allowed to do this."


class NotAuthenticated(NotAllowed):
    """No credentials, or credentials that identify nobody (an unknown, revoked or expired API token)."""

    code = "not_authenticated"
    template = "An API token is required (Authorization: Bearer <token>)."


class Conflict(EngineError):
    """The thing acted on changed meanwhile: already completed, claimed by another user, stale."""

    code = "conflict"
    template = "This item was changed by someone else. Reload and try again."


class TaskAlreadyHandled(Conflict):
    code = "task_already_handled"
    template = "This task was already handled by %(by)s at %(at)s."


class TaskClaimedByOther(Conflict):
    code = "task_claimed"
    template = "This task has been claimed by %(by)s."


class RequestInProgress(Conflict):
    """A request with this Idempotency-Key is being done right now (by another server process)."""

    code = "request_in_progress"
    template = "A request with this Idempotency-Key is still being processed. Wait a moment and send it again."


class IdempotencyKeyReused(EngineError):
    """An Idempotency-Key sent again with another request than the one it was first used for."""

    code = "idempotency_key_reused"
    template = ("This Idempotency-Key was already used for a different request. Nothing was changed; "
                "use a new key for a new request.")


class FileConflict(Conflict):
    """A process would change the file it is defined in: an explicit choice is needed, so that an
    unrelated file that happens to use the same process id does not silently become its new version."""

    code = "file_conflict"
    template = ("Process %(process)s is deployed from the file %(old)s, not %(new)s: deploying %(new)s would make "
                "it a new version of that process. If that is meant, deploy again and confirm that it replaces "
                "%(old)s (dangjian deploy --replace-file).")

    def __init__(self, process: str, old: str, new: str) -> None:
        super().__init__(process=process, old=old, new=new)


class InvalidState(EngineError):
    code = "invalid_state"
    template = "This cannot be done while the process is %(status)s."


class InvalidSubmission(EngineError):
    """Submitted data failed validation; ``errors`` maps field path to its problems."""

    code = "invalid_submission"
    template = "The form has %(count)s error(s)."

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(count=len(errors))

    def by_field(self) -> dict[str, str]:
        """First message per field path, the shape forms and the API return."""
        out: dict[str, str] = {}
        for err in self.errors:
            out.setdefault(err.path, err.message)
        return out


class InvalidInput(EngineError):
    """A value given to a use case is not acceptable (a malformed code, an empty reason, ...)."""

    code = "invalid_input"
    template = "%(reason)s"


class InvalidUpload(InvalidInput):
    code = "invalid_upload"


class LoginFailed(EngineError):
    code = "login_failed"
    template = "Wrong user name or password."


class AccountLocked(EngineError):
    code = "account_locked"
    template = "Too many failed sign-ins from this computer. Try again after %(until)s."


class Refused(EngineError):
    """A business rule evaluated by the diagram refused the action (for example a quota)."""

    code = "refused"
    template = "%(reason)s"


@dataclass(frozen=True)
class LintProblem:
    """One problem found in a diagram or form file, located as precisely as possible.

    ``message`` is the English text; ``template`` and ``params`` are what the web layer translates,
    as for engine errors.
    """

    file: str
    line: int | None
    element: str | None
    code: str
    message: str
    template: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        elem = f" [{self.element}]" if self.element else ""
        return f"{where}{elem}: {self.code}: {self.message}"


class DeploymentRefused(EngineError):
    """The lint found problems; nothing was deployed."""

    code = "deployment_refused"
    template = "The deployment was refused: %(count)s problem(s) found."

    def __init__(self, problems: list[LintProblem]) -> None:
        self.problems = problems
        super().__init__(count=len(problems))


def phrase(text: str) -> str:
    """Mark a fixed English text for the catalogue: a phrase that a message takes as a parameter
    (the web layer translates it with the message), or a message template kept in a constant."""
    return text
