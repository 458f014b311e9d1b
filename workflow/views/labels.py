"""Vietnamese labels for what users see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from workflow.dates import format_date
from workflow.definitions.specs import Calendar
from workflow.definitions.store import load_calendars
from workflow.storage.models import DirectiveRow

STATE_LABELS = {
    "assigned": "Đã giao",
    "reported": "Đã báo cáo",
    "returned": "Trả lại để bổ sung",
    "verified": "Đã xác nhận",
    "cancelled": "Đã hủy",
    "not_done": "Không hoàn thành",
}

ROLE_LABELS = {"lead": "chủ trì", "coordinating": "phối hợp"}

TRIGGER_LABELS = {"assign": "Giao nhiệm vụ", "report": "Gửi báo cáo", "verify": "Xác nhận",
                  "return": "Trả lại để bổ sung", "cancel": "Hủy nhiệm vụ",
                  "close": "Kết thúc năm (không hoàn thành)",
                  "remind": "Nhắc hạn", "mark_overdue": "Quá hạn",
                  "notify_overdue": "Thông báo quá hạn", "escalate": "Báo cáo cấp trên",
                  "open": "Mở tháng hành động", "transfer": "Chuyển giao",
                  "reschedule": "Đổi hạn", "reassign": "Giao cho cơ quan khác",
                  "resend": "Gửi lại liên kết", "request_extension": "Đề nghị gia hạn",
                  "refuse_extension": "Không đồng ý gia hạn"}
ACTOR_LABELS = {"agency": "cơ quan", "secretariat": "thường trực", "scheduler": "hệ thống",
                "system": "hệ thống"}
CHANNEL_LABELS = {"cli": "dòng lệnh", "web": "trang quản lý", "link": "liên kết",
                  "scheduler": "lịch tự động", "rollup": "tổng hợp từ báo cáo của Ban cấp dưới",
                  "paper": "văn bản giấy (Thường trực nhập)",
                  "phone": "điện thoại (Thường trực nhập)",
                  "document": "công văn (Thường trực nhập)",
                  "email": "thư điện tử (Thường trực nhập)"}

DOCUMENT_LABELS = {"ke-hoach": "Kế hoạch", "chuong-trinh": "Chương trình", "cong-van": "Công văn",
                   "quyet-dinh": "Quyết định", "chi-thi": "Chỉ thị", "thong-tri": "Thông tri",
                   "nghi-quyet": "Nghị quyết", "huong-dan": "Hướng dẫn", "thong-bao": "Thông báo"}
PERIOD_LABELS = {"h1": "6 tháng đầu năm", "year": "năm"}
ACTION_MONTH_LABELS = {"june": "Tháng hành động phòng, chống bạo lực gia đình",
                       "gender-equality": "Tháng hành động vì bình đẳng giới"}


def period_label(task: Any, calendar: Calendar | None = None) -> str:
    """A period as people write it: '6 tháng đầu năm 2023', 'năm 2023', 'Tháng hành động
    vì bình đẳng giới năm 2023 (15/11–15/12/2023)'; an action month carries its window
    when the calendar is at hand."""
    period = task.period.split("-", 1)[1] if "-" in task.period else None
    if period is None or period == "year":
        return f"năm {task.year}"
    if period in PERIOD_LABELS:
        return f"{PERIOD_LABELS[period]} {task.year}"
    month = calendar.find_action_month(period) if calendar else None
    name = ACTION_MONTH_LABELS.get(period) or (month.name if month else f"Kỳ {period}")
    if month is None:
        return f"{name} năm {task.year}"
    start, end = month.start_date(task.year), month.end_date(task.year)
    return f"{name} năm {task.year} ({start:%d/%m}–{format_date(end)})"


def period_labeler(session: Session) -> Callable[[Any], str]:
    """`period_label` with each task's own calendar, read once for a whole page or run."""
    calendars = load_calendars(session)
    by_directive = {code: calendar for code, calendar in session.execute(
        select(DirectiveRow.code, DirectiveRow.calendar_code))}
    return lambda task: period_label(task, calendars.get(by_directive.get(task.directive_code)))


def issued_label(directive: Any) -> str:
    """'ngày 12/04/2022', 'tháng 04/2022' or 'năm 2023', as precise as the document is."""
    if directive.date_precision == "day":
        return f"ngày {format_date(directive.issued_on)}"
    if directive.date_precision == "month":
        return f"tháng {directive.issued_on.month:02d}/{directive.issued_on.year}"
    return f"năm {directive.issued_on.year}"


def size_label(value: int) -> str:
    """A file size as a reader wants it: '1,2 MB', '340 KB'."""
    if value >= 1024 * 1024:
        return f"{value / 1024 / 1024:.1f} MB".replace(".", ",")
    return f"{max(1, round(value / 1024))} KB"


def week_label(week: str) -> str:
    """An ISO week ('2023-W23') as people write it: 'tuần từ 05/06 đến 11/06/2023'."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    sunday = monday + timedelta(days=6)
    start = f"{monday:%d/%m}" if monday.year == sunday.year else format_date(monday)
    return f"tuần từ {start} đến {format_date(sunday)}"


def document_label(directive: Any) -> str:
    """'Kế hoạch số 12/KH-UBND'."""
    kind = DOCUMENT_LABELS.get(directive.kind, directive.kind)
    return f"{kind} số {directive.number}"


def greeting(agency: Any) -> str:
    """Whom an escalation is addressed to, title named once: 'Ông Nguyễn Văn A, Trưởng
    phòng Nội vụ huyện X'; the title alone when the name is unknown; the unit's leaders
    when the registry has neither."""
    title = agency.head_title or f"Lãnh đạo {agency.name}"
    if agency.head_name:
        return f"{agency.head_salutation or 'Ông/Bà'} {agency.head_name}, {title}"
    return title
