"""Zip-based files (.docx, .xlsx) checked before anything opens them: a small upload
must not unpack into a gigabyte or a hundred thousand entries."""

from __future__ import annotations

import io
import zipfile

from workflow.errors import NhiemvuError

MAX_ENTRIES = 1000
MAX_UNPACKED = 50 * 1024 * 1024
MAX_RATIO = 100


def check_zip(data: bytes, what: str = "tệp") -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise NhiemvuError(f"{what} không phải gói zip hợp lệ") from None
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise NhiemvuError(f"{what} có {len(entries)} thành phần nén, quá {MAX_ENTRIES}")
    if sum(e.file_size for e in entries) > MAX_UNPACKED or any(
            e.compress_size and e.file_size / e.compress_size > MAX_RATIO for e in entries):
        raise NhiemvuError(f"{what} giải nén ra quá lớn so với dung lượng của nó")
