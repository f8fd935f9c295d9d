"""The frames the server and an evaluator process exchange over a pipe.

One frame: a 4-byte big-endian length, then the message as UTF-8 JSON, with dates, datetimes and
decimals tagged (``{"$date": "2026-01-31"}``) so they arrive as what they were.
"""

from __future__ import annotations

import json
import struct
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import BinaryIO

HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"a value of type {type(value).__name__} cannot be passed")


def _tagged(value: dict[str, Any]) -> Any:
    if len(value) == 1:
        key, text = next(iter(value.items()))
        if key == "$datetime":
            return datetime.fromisoformat(text)
        if key == "$date":
            return date.fromisoformat(text)
        if key == "$decimal":
            return Decimal(text)
    return value


def encode(message: dict[str, Any]) -> bytes:
    """One frame: the length, then the message as JSON with dates and decimals tagged."""
    body = json.dumps(message, default=_default, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(body.decode("utf-8"), object_hook=_tagged)
    return message


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> dict[str, Any]:
    (size,) = HEADER.unpack(_read_exactly(stream, HEADER.size))
    if size > MAX_FRAME:
        raise EOFError
    return decode(_read_exactly(stream, size))

