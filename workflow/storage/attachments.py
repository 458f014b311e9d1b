"""Report attachments: the type is decided from the bytes, never from the name or the
browser's claim, and files are stored by content hash outside any served folder.

A file reaches its place only after the transaction that records it has committed: it
is first written to `.staging/`, promoted after the commit, and deleted when the request
is refused or rolled back. `sweep` (run when the app starts) finishes what a crash
interrupted: a staged file whose row committed is promoted, any other one is deleted."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
from sqlalchemy import Engine

from workflow.errors import NhiemvuError
from workflow.storage.zipcheck import check_zip

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


STAGING = ".staging"
STORED_NAME = re.compile(r"[0-9a-f]{64}\.[a-z]{3,4}")


@dataclass(frozen=True)
class StoredFile:
    filename: str
    stored_name: str
    content_type: str
    size: int
    staged: Path | None = None  # where it waits until its transaction commits


def detect(path: Path) -> str | None:
    """The allowed content type of the file at `path`, or None."""
    kind = filetype.guess(str(path))
    if kind is None:
        return None
    if kind.mime in ALLOWED and kind.extension not in {"zip", "docx", "xlsx"}:
        return kind.mime
    if kind.extension in {"zip", "docx", "xlsx"}:
        try:
            check_zip(path)  # entries, unpacked size, ratio: before anything unpacks it
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, NhiemvuError):
            return None
        return next((mime for part, mime in OOXML_PARTS.items() if part in names), None)
    return None


def safe_filename(name: str, extension: str | None = None) -> str:
    """The name as shown and offered for download: no path, no control or invisible
    formatting characters (a right-to-left override can show 'gpj.exe' as 'exe.jpg'),
    and, given the type found from the bytes, that type's extension and no other."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl",
                                                      "Zp"} else c for c in name)
    name = re.sub(r"[\"<>|:*?]", "_", name).strip(" ._")
    if extension is not None:
        stem = name.rsplit(".", 1)[0] if "." in name else name
        return f"{stem.strip(' ._')[:190] or 'tep-dinh-kem'}.{extension}"
    return name[:200] or "tep-dinh-kem"


class AttachmentStore:
    """Files under `root/ab/<sha256>.<ext>`; writing the same bytes twice stores them
    once."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def staging(self) -> Staging:
        return Staging(self)

    def stage(self, filename: str, stream: BinaryIO) -> StoredFile:
        """Checks and writes one upload under `.staging/`; UploadError when refused, and
        then nothing of it stays on disk."""
        shown = safe_filename(filename)
        folder = self.root / STAGING
        folder.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
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
            extension = ALLOWED[content_type]
            stored_name = f"{digest.hexdigest()}.{extension}"
            staged = folder / f"{stored_name}.{secrets.token_hex(8)}"
            os.replace(temp, staged)
        finally:
            temp.unlink(missing_ok=True)
        return StoredFile(safe_filename(filename, extension), stored_name, content_type, size,
                          staged)

    def promote(self, stored: StoredFile) -> None:
        """Into place, once the row that names it has committed."""
        if stored.staged is None or not stored.staged.exists():
            return
        target = self.path(stored.stored_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # the same bytes were attached before
            stored.staged.unlink(missing_ok=True)
        else:
            os.replace(stored.staged, target)

    def path(self, stored_name: str) -> Path:
        if not STORED_NAME.fullmatch(stored_name):
            raise ValueError(f"not a stored attachment name: {stored_name!r}")
        return self.root / stored_name[:2] / stored_name

    def staged_names(self, older_than: float) -> dict[Path, str | None]:
        """Files in `.staging/` last written before `older_than` (a time.time() value):
        each with the stored name it waits to become (None: an upload cut short)."""
        folder = self.root / STAGING
        if not folder.is_dir():
            return {}
        found: dict[Path, str | None] = {}
        for entry in folder.iterdir():
            try:
                if not entry.is_file() or entry.stat().st_mtime >= older_than:
                    continue
            except OSError:
                continue
            name = entry.name.rsplit(".", 1)[0]
            found[entry] = name if STORED_NAME.fullmatch(name) else None
        return found

    def sweep(self, committed: Callable[[set[str]], set[str]], older_than: float) -> Swept:
        """Finishes what a crash interrupted: staged files whose rows committed are
        promoted, the others deleted. Only files older than `older_than`, so that the
        uploads of requests in flight in other workers are left alone."""
        staged = self.staged_names(older_than)
        wanted = committed({n for n in staged.values() if n})
        swept = Swept()
        for path, name in staged.items():
            if name in wanted:
                self.promote(StoredFile("", name, "", 0, path))
                swept.promoted += 1
            else:
                path.unlink(missing_ok=True)
                swept.deleted += 1
        return swept


@dataclass
class Swept:
    promoted: int = 0
    deleted: int = 0


class Staging:
    """The uploads of one request: promoted together after the commit, or discarded."""

    def __init__(self, store: AttachmentStore) -> None:
        self.store = store
        self.files: list[StoredFile] = []

    def put(self, filename: str, stream: BinaryIO) -> StoredFile:
        stored = self.store.stage(filename, stream)
        self.files.append(stored)
        return stored

    def promote(self) -> None:
        for stored in self.files:
            self.store.promote(stored)
        self.files.clear()

    def discard(self) -> None:
        """Nothing of a refused or rolled-back request stays on disk."""
        for stored in self.files:
            if stored.staged is not None:
                stored.staged.unlink(missing_ok=True)
        self.files.clear()


STAGED_GRACE_SECONDS = 3600  # far longer than any request may take


def sweep_orphans(engine: Engine, store: AttachmentStore) -> Swept:
    """At start: the staged files a crash left behind, promoted when their row committed
    and deleted otherwise."""
    from sqlalchemy import select

    from workflow.storage.db import read_session
    from workflow.storage.models import AttachmentRow

    def committed(names: set[str]) -> set[str]:
        if not names:
            return set()
        with read_session(engine) as session:
            return set(session.scalars(select(AttachmentRow.stored_name).where(
                AttachmentRow.stored_name.in_(sorted(names)))))  # type: ignore[attr-defined]

    return store.sweep(committed, time.time() - STAGED_GRACE_SECONDS)
