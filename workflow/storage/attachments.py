"""Report attachments: the type is decided from the bytes, never from the name or the
browser's claim, and files are stored by content hash outside any served folder."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype

CHUNK = 64 * 1024
# What agencies may attach: content type -> the extension it is served with.
ALLOWED = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
}
ALLOWED_LABEL = "PDF, DOCX, XLSX, JPG, PNG, WEBP"
OOXML_PARTS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class UploadError(Exception):
    """A file the agency must replace; the message is shown to them (Vietnamese), the
    status is the HTTP one (413 too large, 415 wrong type, 400 empty)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StoredFile:
    filename: str
    stored_name: str
    content_type: str
    size: int


def detect(path: Path) -> str | None:
    """The allowed content type of the file at `path`, or None."""
    kind = filetype.guess(str(path))
    if kind is None:
        return None
    if kind.mime in ALLOWED and kind.extension not in {"zip", "docx", "xlsx"}:
        return kind.mime
    if kind.extension in {"zip", "docx", "xlsx"}:
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        return next((mime for part, mime in OOXML_PARTS.items() if part in names), None)
    return None


def safe_filename(name: str) -> str:
    """The name as shown and offered for download: no path, no control characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "_", name).strip(" .")
    return name[:200] or "tep-dinh-kem"


class AttachmentStore:
    """Files under `root/ab/<sha256>`; writing the same bytes twice stores them once."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def put(self, filename: str, stream: BinaryIO) -> StoredFile:
        shown = safe_filename(filename)
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadError(f"Tệp «{shown}» quá lớn: tối đa "
                                          f"{self.max_bytes // (1024 * 1024)} MB.", 413)
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise UploadError(f"Tệp «{shown}» rỗng.", 400)
            content_type = detect(temp)
            if content_type is None:
                raise UploadError(f"Tệp «{shown}» không đúng định dạng cho phép "
                                  f"({ALLOWED_LABEL}); định dạng được kiểm tra theo nội dung.", 415)
            stored_name = f"{digest.hexdigest()}.{ALLOWED[content_type]}"
            target = self.path(stored_name)
            target.parent.mkdir(exist_ok=True)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        return StoredFile(shown, stored_name, content_type, size)

    def path(self, stored_name: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}\.[a-z]{3,4}", stored_name):
            raise ValueError(f"not a stored attachment name: {stored_name!r}")
        return self.root / stored_name[:2] / stored_name
