"""Reading a submitted form safely: size limits, CSRF, files."""

from __future__ import annotations

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
        return await request.form(max_files=max_files, max_fields=max_fields)
    except BodyTooLarge:
        raise too_large from None
    except Exception as exc:  # multipart errors: too many files, malformed body
        if "Too many files" in str(exc):
            raise FormRejected(413, "Quá nhiều tệp",
                               f"Mỗi báo cáo đính kèm tối đa {max_files} tệp.") from None
        raise FormRejected(400, "Biểu mẫu không hợp lệ",
                           "Không đọc được dữ liệu biểu mẫu. Hãy tải lại trang và gửi "
                           "lại.") from None


def small_int(value: object) -> int | None:
    """A positive id from a path or a form field: digits only, at most nine of them."""
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def sentence(message: object) -> str:
    """An engine message ("chưa có …") as a line on the page ("Chưa có …")."""
    text = str(message)
    return text[:1].upper() + text[1:]
