"""Sample contexts for `nhiemvu preview`: what each template looks like with real-looking
data, without a database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from workflow.clock import LOCAL_TZ

_DIRECTIVE = {"code": "hq-2022", "kind_label": "Kế hoạch", "number": "/KH-UBND",
              "issued": "tháng 04/2022", "issuer": "Ủy ban nhân dân huyện Hà Quảng",
              "title": "Triển khai công tác Bình đẳng giới và vì sự tiến bộ của phụ nữ trên "
                       "địa bàn huyện năm 2022"}
_AGENCY = {"code": "hq.noi-vu", "name": "Phòng Nội vụ huyện Hà Quảng",
           "short_name": "Phòng Nội vụ", "head_name": "Nông Văn Bình",
           "greeting": "Ông Nông Văn Bình, Trưởng phòng Nội vụ huyện Hà Quảng"}
_TASK = {"id": 42, "title": "Báo cáo định kỳ 6 tháng và năm về thực hiện Kế hoạch",
         "text": "Định kỳ báo cáo 6 tháng trước ngày 05 tháng 6.", "due_on": date(2022, 6, 5),
         "period": "2022-h1", "period_label": "6 tháng đầu năm 2022",
         "recurrence": "6 tháng đầu năm 2022", "role_label": "chủ trì",
         "agency_code": "hq.noi-vu", "agency_name": _AGENCY["name"], "state": "assigned",
         "reported_at": datetime(2022, 6, 3, 15, 20, tzinfo=LOCAL_TZ),
         "report_text": "Đã tổ chức 3 lớp tập huấn cho 120 lượt cán bộ nữ.", "late": False,
         "link": "http://localhost:8000/bao-cao/42/eyJrIjoidCIsImkiOjQyfQ.mau-chu-ky",
         "directive_code": "hq-2022",
         "action_month": None}
_LINK = _TASK["link"]


def sample(template: str) -> dict[str, Any]:
    base: dict[str, Any] = {"reply_to": True, "agency": _AGENCY, "directive": _DIRECTIVE,
                            "task": _TASK,
                            "link": _LINK, "reason": "Thiếu số liệu cán bộ nữ lãnh đạo.",
                            "level": 1, "days_left": 7, "days_overdue": 4}
    extra: dict[str, dict[str, Any]] = {
        "tasks_assigned": {"year": 2022, "tasks": [_TASK, {**_TASK, "id": 43,
                           "title": "Tham mưu quy hoạch, đào tạo cán bộ nữ", "due_on": None}]},
        "escalation_chair": {"recipient": {"name": "Ủy ban nhân dân huyện Hà Quảng",
                                           "head_name": None, "greeting":
                                           "Chủ tịch Ủy ban nhân dân huyện Hà Quảng"},
                             "due_on": date(2022, 6, 5), "count": 3, "agencies": [
                                 {"name": "Phòng Nội vụ huyện Hà Quảng", "count": 1},
                                 {"name": "Ủy ban nhân dân xã Trường Hà", "count": 2}],
                             "agency_count": 2, "other_agencies": 0, "other_tasks": 0},
        "extension_requested": {"recipient": {"name": "Phòng Văn hóa - Xã hội"}},
        "task_reported": {"recipient": {"name": "Phòng Lao động - Thương binh và Xã hội"},
                          "figures": [{"label": "Số lớp tập huấn", "value": "12"}],
                          "files": [{"name": "Báo cáo 6 tháng.pdf", "size": 245_760}]},
        "action_month_opening": {"year": 2022, "tasks": [_TASK], "month": {
            "name": "Tháng hành động vì bình đẳng giới và phòng ngừa, ứng phó với bạo lực "
                    "trên cơ sở giới", "start": date(2022, 11, 15), "end": date(2022, 12, 15)}},
        "weekly_digest": {"recipient": {"name": "Phòng Lao động - Thương binh và Xã hội"},
                          "week_label": "tuần từ 13/06 đến 19/06/2022",
                          "documents": [base["directive"]], "as_of": datetime(2022, 6, 13, 8, 0,
                                                                     tzinfo=LOCAL_TZ),
                          "total": 2, "link": None, "link_label": "", "complete": True,
                          "agency_count": 2, "other_documents": 0, "counts": [], "worst": [],
                          "other_agencies": 0, "other_tasks": 0, "groups": [
                              {"agency": "Phòng Nội vụ huyện Hà Quảng", "tasks": [
                                  {"title": _TASK["title"], "directive": "hq-2022",
                                   "document": "Kế hoạch số 38/KH-UBND",
                                   "due_on": date(2022, 6, 5), "days_overdue": 9,
                                   "level": 2}]},
                              {"agency": "Ủy ban nhân dân xã Trường Hà", "tasks": [
                                  {"title": _TASK["title"], "directive": "hq-2022",
                                   "document": "Kế hoạch số 38/KH-UBND",
                                   "due_on": date(2022, 6, 5), "days_overdue": 9,
                                   "level": 1}]}]},
    }
    return {**base, **extra.get(template, {})}


TEMPLATES = ["tasks_assigned", "reminder", "overdue_notice", "escalation_head",
             "escalation_chair", "task_reported", "task_returned", "task_verified",
             "task_cancelled", "deadline_changed", "task_reassigned", "link_resent",
             "extension_requested", "extension_refused",
             "action_month_opening",
             "weekly_digest"]
