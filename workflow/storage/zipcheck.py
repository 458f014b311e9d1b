"""Zip-based files (.docx, .xlsx) checked before anything opens them: a small upload
must not unpack into a gigabyte or a hundred thousand entries."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from workflow.errors import NhiemvuError

MAX_ENTRIES = 1000
MAX_UNPACKED = 50 * 1024 * 1024
MAX_RATIO = 100


def check_zip(data: bytes | Path, what: str = "tệp") -> None:
    """Refuses (NhiemvuError, Vietnamese) an archive with too many entries, too many bytes
    once unpacked or a suspicious ratio; only the central directory is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise NhiemvuError(f"{what} không phải gói zip hợp lệ") from None
    if len(entries) > MAX_ENTRIES:
        raise NhiemvuError(f"{what} có {len(entries)} thành phần nén, quá {MAX_ENTRIES}")
    if sum(e.file_size for e in entries) > MAX_UNPACKED or any(
            e.compress_size and e.file_size / e.compress_size > MAX_RATIO for e in entries):
        raise NhiemvuError(f"{what} giải nén ra quá lớn so với dung lượng của nó")
