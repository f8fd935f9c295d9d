"""What the sandbox raises, and what an evaluation run in another process reports back."""

from __future__ import annotations


class ScriptTimeout(Exception):
    """Raised inside sandboxed code when it exceeds its CPU budget.

    Sandboxed code cannot catch it (``try`` is not allowed there), so it always reaches
    SpiffWorkflow, which marks the task as failed, and the runtime puts the instance in error.
    """


class SandboxViolation(Exception):
    """Raised when sandboxed code asks for something the sandbox refuses (a huge result, …)."""


class UnstorableValue(SandboxViolation):
    """A script left a value in the task data that the state cannot hold."""



class EvaluationFailed(Exception):
    """The script failed in an evaluator process: its exception's type and message, and the line (0: unknown)."""

    def __init__(self, kind: str, message: str, line: int) -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind, self.line = kind, line


class EvaluatorDied(Exception):
    """The evaluator process ended or overran its time: the kernel or the pool stopped it for exceeding a limit."""
