"""Vietnamese labels for what users see."""

STATE_LABELS = {
    "assigned": "Đã giao",
    "reported": "Đã báo cáo",
    "returned": "Trả lại để bổ sung",
    "verified": "Đã xác nhận",
    "cancelled": "Đã hủy",
}

ROLE_LABELS = {"lead": "chủ trì", "coordinating": "phối hợp"}
