"""What kinds of files may be uploaded, recognised by their content, not by their name.

An upload is accepted when its extension is allowed, and its first bytes (and, for Office files,
its inner structure) match that extension: an executable renamed ``report.pdf`` is refused.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from pathlib import PureWindowsPath

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileKind:
    extension: str
    content_type: str
    label: str


KINDS = {
    ".pdf": FileKind(".pdf", "application/pdf", "PDF"),
    ".png": FileKind(".png", "image/png", "PNG 图片"),
    ".jpg": FileKind(".jpg", "image/jpeg", "JPEG 图片"),
    ".jpeg": FileKind(".jpeg", "image/jpeg", "JPEG 图片"),
    ".doc": FileKind(".doc", "application/msword", "Word"),
    ".xls": FileKind(".xls", "application/vnd.ms-excel", "Excel"),
    ".docx": FileKind(".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    ".xlsx": FileKind(".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
    ".txt": FileKind(".txt", "text/plain; charset=utf-8", "文本"),
}


class UploadRefused(Exception):
    """The file is not acceptable; ``reason`` is an English msgid for the message shown."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


# Bidirectional controls: U+202E makes "report\u202egpj.exe" read as "reportexe.jpg".
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])


def clean_name(name: str) -> str:
    """The file name without any directory part, NUL or bidirectional controls, trimmed to 200 characters."""
    base = PureWindowsPath(PurePosixPath((name or "").translate(_BIDI_CONTROLS)).name).name.strip().replace("\x00", "")
    return base[-200:] if base else "file"


def _office_part(data: bytes, folder: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(item.startswith(folder) for item in archive.namelist())
    except zipfile.BadZipFile:
        return False


def _matches(extension: str, data: bytes) -> bool:
    if extension == ".pdf":
        return data.startswith(b"%PDF-")
    if extension == ".png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in (".jpg", ".jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if extension in (".doc", ".xls"):
        return data.startswith(OLE)
    if extension == ".docx":
        return data.startswith(b"PK\x03\x04") and _office_part(data, "word/")
    if extension == ".xlsx":
        return data.startswith(b"PK\x03\x04") and _office_part(data, "xl/")
    if extension == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return b"\x00" not in data
    return False


def check_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> FileKind:
    """The kind of an acceptable file.

    :raises UploadRefused: when it is empty, too large, of a kind not allowed, or disguised.
    """
    if not data:
        raise UploadRefused("The file is empty.")
    if len(data) > max_bytes:
        raise UploadRefused("The file is larger than %(limit)s MB.", limit=max_bytes // (1024 * 1024))
    extension = PurePosixPath(clean_name(name).lower()).suffix
    kind = KINDS.get(extension)
    if kind is None:
        raise UploadRefused("Files of this type cannot be uploaded; allowed: %(kinds)s.",
                            kinds=", ".join(sorted(KINDS)))
    if not _matches(extension, data):
        raise UploadRefused("The file's content does not match its extension %(extension)s.", extension=extension)
    return kind
