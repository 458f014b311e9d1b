"""Vietnamese labels for what users see."""

from __future__ import annotations

from typing import Any

from workflow.dates import format_date

STATE_LABELS = {
    "assigned": "Đã giao",
    "reported": "Đã báo cáo",
    "returned": "Trả lại để bổ sung",
    "verified": "Đã xác nhận",
    "cancelled": "Đã hủy",
}

ROLE_LABELS = {"lead": "chủ trì", "coordinating": "phối hợp"}

TRIGGER_LABELS = {"assign": "Giao nhiệm vụ", "report": "Gửi báo cáo", "verify": "Xác nhận",
                  "return": "Trả lại để bổ sung", "cancel": "Hủy nhiệm vụ",
                  "close": "Kết thúc năm (không hoàn thành)",
                  "remind": "Nhắc hạn", "mark_overdue": "Quá hạn",
                  "notify_overdue": "Thông báo quá hạn", "escalate": "Báo cáo cấp trên",
                  "open": "Mở tháng hành động"}
ACTOR_LABELS = {"agency": "cơ quan", "secretariat": "thường trực", "scheduler": "hệ thống",
                "system": "hệ thống"}
CHANNEL_LABELS = {"cli": "dòng lệnh", "web": "trang quản lý", "link": "liên kết",
                  "scheduler": "lịch tự động"}

DOCUMENT_LABELS = {"ke-hoach": "Kế hoạch", "chuong-trinh": "Chương trình", "cong-van": "Công văn",
                   "quyet-dinh": "Quyết định", "chi-thi": "Chỉ thị", "thong-tri": "Thông tri",
                   "nghi-quyet": "Nghị quyết", "huong-dan": "Hướng dẫn", "thong-bao": "Thông báo"}
PERIOD_LABELS = {"h1": "6 tháng đầu năm", "year": "năm", "june": "Tháng hành động tháng 6",
                 "gender-equality": "Tháng hành động 15/11-15/12"}


def period_label(task: Any) -> str:
    """'6 tháng đầu năm 2022', 'năm 2022', 'Tháng hành động tháng 6 2022'."""
    period = task.period.split("-", 1)[1] if "-" in task.period else None
    return f"{PERIOD_LABELS.get(period, period)} {task.year}" if period else f"năm {task.year}"


def issued_label(directive: Any) -> str:
    """'ngày 12/04/2022', 'tháng 04/2022' or 'năm 2023', as precise as the document is."""
    if directive.date_precision == "day":
        return f"ngày {format_date(directive.issued_on)}"
    if directive.date_precision == "month":
        return f"tháng {directive.issued_on.month:02d}/{directive.issued_on.year}"
    return f"năm {directive.issued_on.year}"


def document_label(directive: Any) -> str:
    """'Kế hoạch số 12/KH-UBND'."""
    kind = DOCUMENT_LABELS.get(directive.kind, directive.kind)
    return f"{kind} số {directive.number}"


def head_title(position: str, agency_name: str) -> str:
    """A head's full title from a position and the unit's name, written the way letters
    are addressed: 'Trưởng phòng' + 'Phòng Nội vụ huyện X' is 'Trưởng phòng Nội vụ huyện X',
    'Chủ tịch' + 'Hội Nông dân huyện X' is 'Chủ tịch Hội Nông dân huyện X'."""
    last, first = position.split()[-1], agency_name.split(" ", 1)
    if len(first) == 2 and last.casefold() == first[0].casefold():
        return f"{position} {first[1]}"
    return f"{position} {agency_name}"


def greeting(agency: Any) -> str:
    """Whom an escalation is addressed to, title named once: 'Ông Nguyễn Văn A, Trưởng
    phòng Nội vụ huyện X'; the title alone when the name is unknown; the unit's leaders
    when the registry has neither."""
    title = agency.head_title or f"Lãnh đạo {agency.name}"
    if agency.head_name:
        return f"{agency.head_salutation or 'Ông/Bà'} {agency.head_name}, {title}"
    return title
