"""One evaluator process (:mod:`engine.runtime.isolation.child`) and the pipe to it, seen from the server."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO
from typing import Any

from engine.runtime.isolation.frames import HEADER
from engine.runtime.isolation.frames import MAX_FRAME
from engine.runtime.isolation.frames import decode
from engine.runtime.isolation.frames import encode
from engine.runtime.sandbox import EvaluatorDied

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024


class EvaluatorProcess:
    """One child process and its pipe."""

    def __init__(self, memory_bytes: int) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0",
               "LANG": "C.UTF-8"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.runtime.isolation.child", str(memory_bytes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        self.stdin: IO[bytes] = _piped(self.process.stdin)
        self.stdout: IO[bytes] = _piped(self.process.stdout)
        self.incoming = self.stdout.fileno()

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.stdin.write(encode(message))
            self.stdin.flush()
        except (BrokenPipeError, OSError):
            raise EvaluatorDied("the evaluator process ended") from None

    def _read(self, size: int, wall_seconds: float) -> bytes:
        chunks, missing = [], size
        while missing:
            ready, _, _ = select.select([self.incoming], [], [], wall_seconds)
            if not ready:
                raise EvaluatorDied("the script ran longer than its CPU time allows")
            chunk = os.read(self.incoming, missing)
            if not chunk:
                raise EvaluatorDied(self._why_ended())
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def receive(self, wall_seconds: float) -> dict[str, Any]:
        (size,) = HEADER.unpack(self._read(HEADER.size, wall_seconds))
        if size > MAX_FRAME:
            raise EvaluatorDied("the evaluator sent an oversized answer")
        return decode(self._read(size, wall_seconds))

    def _why_ended(self) -> str:
        code = self.process.wait()
        if code in (-signal.SIGPROF, -signal.SIGXCPU, -signal.SIGKILL):  # the CPU limit, inside one C-level operation
            return "the script used more than its CPU time"
        if code == 3:
            return "the script needed more memory than allowed"
        return f"the evaluator process ended (status {code})"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        for stream in (self.stdin, self.stdout):
            stream.close()



def _piped(stream: IO[bytes] | None) -> IO[bytes]:
    """A pipe of the child (always there: the process is started with both)."""
    if stream is None:
        raise EvaluatorDied("the evaluator process has no pipe")
    return stream
