"""Reading a submitted form safely: size limits, CSRF, files."""

from __future__ import annotations

import re

from starlette.datastructures import FormData
from starlette.requests import Request

from web.security import BodyTooLarge


class FormRejected(Exception):
    """A form that cannot be processed; status and Vietnamese message for the page."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


async def read_form(request: Request, max_bytes: int, max_files: int,
                    max_fields: int = 50) -> FormData:
    length = request.headers.get("content-length")
    too_large = FormRejected(413, "Dữ liệu gửi lên quá lớn",
                             f"Tổng dung lượng gửi lên vượt quá "
                             f"{max_bytes // (1024 * 1024)} MB. Hãy giảm số tệp hoặc "
                             "dung lượng tệp rồi gửi lại.")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise too_large
    try:
        form = await request.form(max_files=max_files, max_fields=max_fields)
    except BodyTooLarge:
        raise too_large from None
    except Exception as exc:  # multipart errors: too many files, malformed body
        if "Too many files" in str(exc):
            raise FormRejected(413, "Quá nhiều tệp",
                               f"Mỗi báo cáo đính kèm tối đa {max_files} tệp.") from None
        raise FormRejected(400, "Biểu mẫu không hợp lệ",
                           "Không đọc được dữ liệu biểu mẫu. Hãy tải lại trang và gửi "
                           "lại.") from None
    try:
        refuse_nul(form)
    except FormRejected:
        await form.close()
        raise
    return form


ID_TEXT = re.compile(r"[0-9]{1,9}")


class BadInput(Exception):
    """A value malformed at the edge (an id that is no id): a 400 page with this
    Vietnamese line, before anything reads the database."""


def small_int(value: object) -> int | None:
    """A non-negative id from a path or a form field: ASCII digits only, at most nine of
    them (within every INTEGER column); anything else is None."""
    text = value if isinstance(value, str) else ""
    return int(text) if ID_TEXT.fullmatch(text) else None


def path_id(request: Request, name: str) -> int:
    """An id in the path (a task, an attachment, a year), or BadInput."""
    value = small_int(request.path_params.get(name))
    if not value:
        raise BadInput(f"«{str(request.path_params.get(name))[:40]}» trong địa chỉ không "
                       f"phải một số hợp lệ.")
    return value


def refuse_nul(form: FormData) -> None:
    """PostgreSQL cannot store a NUL character, and no person types one: the whole form
    is refused with one line, before anything is written or kept on disk."""
    for name, value in form.multi_items():
        if isinstance(value, str) and "\x00" in value:
            raise FormRejected(400, "Biểu mẫu không hợp lệ",
                               f"Trường «{name[:40]}» chứa ký tự không hợp lệ (NUL). Hãy gõ "
                               "lại nội dung rồi gửi lại.")


def sentence(message: object) -> str:
    """An engine message ("chưa có …") as a line on the page ("Chưa có …")."""
    text = str(message)
    return text[:1].upper() + text[1:]
