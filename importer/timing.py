"""Report deadlines and action months in a task's text, against the committee's calendar.

A range or a month is only an action month when the calendar has one with exactly
those dates (15/11–15/12, 01/06–30/06) or when the text names it ("Tháng hành động vì
bình đẳng giới…"); nothing is invented where the document names none.
"""

from __future__ import annotations

import calendar as monthdays
import re
from dataclasses import dataclass

from importer.textkey import clean, key
from workflow.definitions.specs import Calendar

DAY_MONTH = r"(?P<{d}>\d{{1,2}})\s*[/.\-]\s*(?P<{m}>\d{{1,2}})(?:\s*[/.\-]\s*(?P<{y}>\d{{4}}))?"
RANGES = (
    # 15/11/15/12/2022: a slash where the dash belongs (seen in a real plan)
    re.compile(r"(?P<d1>\d{1,2})/(?P<m1>\d{1,2})/(?P<d2>\d{1,2})/(?P<m2>\d{1,2})/(?P<y2>\d{4})"),
    # từ ngày 15/11 đến ngày 15/12/2023, 15/11/2022-15/12/2022, 15/11-15/12/2022
    re.compile(r"(?:từ\s+(?:ngày\s+)?)?" + DAY_MONTH.format(d="d1", m="m1", y="y1") +
               r"\s*(?:đến(?:\s+hết)?(?:\s+ngày)?|[-–])\s*" +
               DAY_MONTH.format(d="d2", m="m2", y="y2"), re.IGNORECASE),
    # từ 1-30/6, từ ngày 01 - 30/6/2023
    re.compile(r"từ\s+(?:ngày\s+)?(?P<d1>\d{1,2})\s*(?:[-–]|đến)\s*(?:ngày\s+)?(?P<d2>\d{1,2})"
               r"\s*/\s*(?P<m2>\d{1,2})(?:\s*/\s*(?P<y2>\d{4}))?", re.IGNORECASE),
)
WHOLE_MONTH = re.compile(r"(?<!ngày )(?<!\d )\btháng\s+(?P<m>\d{1,2})(?:\s*/\s*(?P<y>\d{4}))?\b",
                         re.IGNORECASE)
CAMPAIGN = re.compile(r"tháng hành động", re.IGNORECASE)
DEADLINE = re.compile(
    r"(?:trước|chậm nhất(?:\s+là)?|hạn(?:\s+chót)?|không quá)\s+(?:ngày\s+)?"
    r"(?P<d>\d{1,2})\s*(?:[/.\-]\s*(?P<m>\d{1,2})(?:\s*[/.\-]\s*(?P<y>\d{4}))?"
    r"|\s+tháng\s+(?P<m2>\d{1,2})(?:\s+năm\s+(?P<y2>\d{4}))?)", re.IGNORECASE)
HALF = re.compile(r"(?:6|sáu)\s+tháng|sơ kết", re.IGNORECASE)
YEARLY = re.compile(r"báo cáo\s+(?:tổng kết\s+)?năm\b|tổng kết năm|báo cáo tổng kết|"
                    r"báo cáo h[àằ]ng năm", re.IGNORECASE)
QUARTER = re.compile(r"\bquý\b", re.IGNORECASE)
AD_HOC = re.compile(r"đột xuất", re.IGNORECASE)
STANDING = re.compile(r"chế độ (?:thông tin,?\s*)?báo cáo|báo cáo định kỳ|định kỳ báo cáo",
                      re.IGNORECASE)
PLANNING = re.compile(r"kế hoạch(?:\s+\S+){0,2}\s+tháng hành động", re.IGNORECASE)
CARRYING_OUT = re.compile(r"triển khai|tổ chức thực hiện|hưởng ứng|tổ chức các hoạt động|"
                          r"thực hiện tháng hành động", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MonthMention:
    code: str | None  # None: a range the calendar has no action month for
    evidence: str
    review: str | None = None


@dataclass(frozen=True, slots=True)
class Deadline:
    period: str | None  # a calendar report period, or None: a one-off deadline
    due: str | None  # "dd/mm", "dd/mm/yyyy"; None: the calendar's date for the period
    evidence: str
    review: str | None = None


def action_months(text: str, calendar: Calendar, bare: str | None = None
                  ) -> list[MonthMention]:
    """Action months a text refers to, in the order it names them; `bare` is the month a
    "Tháng hành động" without a name means (the one the directive's title names)."""
    text = clean(text)
    found: list[tuple[int, MonthMention]] = []
    taken: list[tuple[int, int]] = []
    for index, pattern in enumerate(RANGES):
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            groups = match.groupdict()
            start = (int(groups["d1"]), int(groups.get("m1") or groups["m2"]))
            end = (int(groups["d2"]), int(groups["m2"]))
            taken.append((match.start(), match.end()))
            review = "'15/11/15/12' được hiểu là khoảng 15/11–15/12" if index == 0 else None
            found.append((match.start(), _month_for(start, end, match.group(0), calendar,
                                                    review)))
    bare_month = next((m.start[1] for m in calendar.action_months if m.code == bare), None)
    for match in WHOLE_MONTH.finditer(text) if bare and not CAMPAIGN.search(text) else ():
        month = int(match.group("m"))  # "trong tháng 6/2025" in a directive about June's month
        if month == bare_month and not any(a <= match.start() < b for a, b in taken):
            found.append((match.start(), MonthMention(bare, match.group(0))))
    if CAMPAIGN.search(text):
        for match in WHOLE_MONTH.finditer(text):
            if any(a <= match.start() < b for a, b in taken):
                continue
            month = int(match.group("m"))
            if not 1 <= month <= 12:
                continue
            last = monthdays.monthrange(2001, month)[1]
            mention = _month_for((1, month), (last, month), match.group(0), calendar, None)
            if mention.code:
                found.append((match.start(), mention))
        for match in CAMPAIGN.finditer(text):
            code = _month_by_name(text[match.end(): match.end() + 160], calendar)
            if code:
                found.append((match.start(), MonthMention(code, match.group(0))))
            elif bare and not taken and not re.match(r"\s*(?:quốc gia|vì)\b",
                                                     text[match.end():]):
                found.append((match.start(), MonthMention(bare, match.group(0))))
    ordered: list[MonthMention] = []
    for _, mention in sorted(found, key=lambda item: item[0]):
        same = next((i for i, m in enumerate(ordered) if m.code and m.code == mention.code), None)
        if same is None:
            ordered.append(mention)
        elif mention.review and not ordered[same].review:
            ordered[same] = mention  # keep the reading that needs a look
    return ordered


def _month_for(start: tuple[int, int], end: tuple[int, int], evidence: str, calendar: Calendar,
               review: str | None) -> MonthMention:
    for month in calendar.action_months:
        if month.start == start and month.end == end:
            return MonthMention(month.code, evidence, review)
    return MonthMention(None, evidence, f"khoảng {start[0]:02d}/{start[1]:02d}–"
                                        f"{end[0]:02d}/{end[1]:02d} không phải tháng hành động "
                                        f"nào của lịch '{calendar.code}'")


def _month_by_name(following: str, calendar: Calendar) -> str | None:
    """'(Tháng hành động) vì bình đẳng giới và …' -> the month whose name shares most word
    pairs with what follows."""
    words = key(following).split()[:12]
    pairs = {" ".join(words[i:i + 2]) for i in range(len(words) - 1)}
    scores = []
    for month in calendar.action_months:
        name = key(month.name).split()
        name_pairs = {" ".join(name[i:i + 2]) for i in range(len(name) - 1)} - {"thang hanh",
                                                                                 "hanh dong"}
        scores.append((len(pairs & name_pairs), month.code))
    scores.sort(reverse=True)
    if scores and scores[0][0] >= 2 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
        return scores[0][1]
    return None


def planning_only(text: str) -> bool:
    """'xây dựng kế hoạch Tháng hành động' without carrying it out: due when it starts."""
    return bool(PLANNING.search(text)) and not CARRYING_OUT.search(text)


def report_periods(calendar: Calendar) -> dict[str, str]:
    """'half' / 'quarter' / 'year' -> the calendar's report period code."""
    kinds: dict[str, str] = {}
    for period in calendar.report_periods:
        name = key(period.name)
        if "6 thang" in name or "sau thang" in name or "so ket" in name:
            kinds.setdefault("half", period.code)
        elif "quy" in name.split():
            kinds.setdefault("quarter", period.code)
        elif "nam" in name.split():
            kinds.setdefault("year", period.code)
    return kinds


DUE_AT = re.compile(
    r"(?:trước|chậm nhất(?:\s+là)?|hạn(?:\s+chót)?|không quá|trong)\s+"
    r"(?:\d{1,2}\s*(?:giờ|h)(?:\s*\d{1,2}(?:\s*phút)?)?,?\s+)?"  # "trước 16 giờ 00 ngày …"
    r"(?:ngày\s+)?"
    r"(?:(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})(?:\s*[/.\-]\s*(?P<y>\d{4}))?"
    r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})(?:\s+năm\s+(?P<y2>\d{4}))?)"
    r"(?P<more>(?:\s*(?:,|và)\s*(?:ngày\s+)?\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{4})?)*)",
    re.IGNORECASE)
MORE_DATE = re.compile(r"(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})(?:\s*/\s*(?P<y>\d{4}))?")
PERIOD_WORDS = re.compile(
    r"(?P<half>(?:6|sáu)\s+tháng(?:\s+đầu\s+năm(?:\s+\d{4})?)?|sơ kết)|(?P<quarter>\bquý\b)|"
    r"(?P<year>tổng kết|h[ằà]ng năm|cả năm|(?<!\d )\bnăm\b)", re.IGNORECASE)  # not "05 năm"


QUARTER_DONE = re.compile(r"(?:hoàn thành|xong)\s+(?:trong\s+)?quý\s+(?P<q>IV|I{1,3}|[1-4])"
                          r"(?:\s*/\s*(?P<y>\d{4}))?", re.IGNORECASE)
QUARTER_ENDS = {"1": (31, 3), "2": (30, 6), "3": (30, 9), "4": (31, 12), "I": (31, 3),
                "II": (30, 6), "III": (30, 9), "IV": (31, 12)}


def deadlines(text: str, calendar: Calendar) -> tuple[list[Deadline], bool]:
    """Report deadlines in a text, and whether it also asks for ad-hoc reports.

    Every date of a report sentence is read, each with its period: "định kỳ 6 tháng
    (trước ngày 05/6/2023) và năm 2023 (trước ngày 05/12/2023)" and "6 tháng và năm
    (trước ngày 15/6 và 15/12 hằng năm)" both give a half-year and a yearly deadline.
    A date after "trước ngày" outside a report sentence is the task's own deadline.
    """
    text = clean(text).replace("*", "")
    periods = report_periods(calendar)
    found: list[Deadline] = []
    ad_hoc = False
    for clause in re.split(r";|\.\s", text):
        clause = clause.strip()
        reporting = "báo cáo" in clause.lower()
        if AD_HOC.search(clause) and reporting:
            ad_hoc = True
        dates: list[tuple[int, str]] = []
        spans: list[tuple[int, int]] = []
        for match in DUE_AT.finditer(clause):
            if match.group(0).lower().startswith("trong") and "ngày" not in match.group(0):
                continue
            spans.append((match.start(), match.end()))
            due = _due_text(match)
            if due:
                dates.append((match.start(), due))
            for more in MORE_DATE.finditer(match.group("more") or ""):
                extra = due_text(int(more["d"]), int(more["m"]), more["y"])
                if extra:
                    dates.append((match.start() + 1, extra))
        completion = [(at, due) for at, due in dates
                      if re.search(r"(?:hoàn thành|xong)\W*$", clause[max(0, at - 14):at])]
        for match in QUARTER_DONE.finditer(clause):  # "hoàn thành trong quý IV/2025"
            day, month = QUARTER_ENDS[match["q"].upper()]
            quarter_due = due_text(day, month, match["y"])
            if quarter_due:
                completion.append((match.start(), quarter_due))
        if completion:  # "… xây dựng báo cáo tổng kết năm, hoàn thành trước ngày 30/11"
            found += [Deadline(None, due, clause, "hạn hoàn thành của nhiệm vụ")
                      for _, due in completion]
            dates = [d for d in dates if d not in completion]
            if not dates:
                continue
        if not reporting:
            found += [Deadline(None, due, clause, "hạn hoàn thành của nhiệm vụ")
                      for _, due in dates]
            continue
        kinds: list[tuple[int, str]] = []
        for match in PERIOD_WORDS.finditer(clause):
            if any(a <= match.start() < b for a, b in spans):
                continue
            kind = match.lastgroup or ""
            if kind == "quarter" and "báo cáo" not in clause.lower():
                continue
            if match.group(0).lower() == "sơ kết" and (
                    "giai đoạn" in clause[match.end():].lower() or
                    (dates and all(not 5 <= int(due.split("/")[1]) <= 7 for _, due in dates))):
                continue  # "báo cáo sơ kết … giai đoạn 2018-2021", "… trước ngày 31/10": one
                # review of a programme, not the 6-month report
            kinds.append((match.start(), kind))
        ordered: list[str] = []
        for _, kind in kinds:
            if kind not in ordered:
                ordered.append(kind)
        if not dates:
            for kind in ordered:
                if kind in periods and (kind != "year" or YEARLY.search(clause)):
                    found.append(Deadline(periods[kind], None, clause,
                                          "không ghi ngày: lấy ngày theo lịch"))
            continue
        if len(ordered) == len(dates):
            pairs = list(zip(ordered, [due for _, due in dates], strict=True))
        else:
            pairs = []
            for position, due in dates:
                before = [kind for at, kind in kinds if at < position]
                pairs.append((before[-1] if before else (ordered[0] if len(ordered) == 1
                                                         else ""), due))
        for kind, due in pairs:
            code = periods.get(kind)
            found.append(Deadline(code, due, clause) if code else Deadline(None, due, clause))
    if not found and STANDING.search(text):
        for kind in ("half", "year"):
            if kind in periods:
                found.append(Deadline(periods[kind], None, STANDING.search(text).group(0),
                                      "báo cáo định kỳ 'theo quy định': lấy các kỳ "
                                      "và hạn báo cáo của lịch"))
    return found, ad_hoc


def title_month(title: str | None, calendar: Calendar) -> str | None:
    """The action month a directive's title names: what a bare "Tháng hành động" in
    its tasks refers to."""
    codes = [m.code for m in action_months(title or "", calendar) if m.code]
    return codes[0] if len(set(codes)) == 1 else None


def named_month(preamble: str, calendar: Calendar) -> str | None:
    """The month a letter names once and then calls "Tháng hành động" ('… “Tháng hành
    động vì bình đẳng giới …” (sau đây gọi tắt là Tháng hành động) từ ngày 15/11 …'),
    for a letter whose title does not name it or that has no title."""
    defined = re.search(r"gọi tắt là\W*Tháng hành động", preamble, re.IGNORECASE)
    if defined:
        sentence = preamble[max(0, defined.start() - 300): defined.end() + 120]
        return title_month(sentence, calendar)
    return title_month(preamble, calendar)  # the one month the opening names, if only one


def _due_text(match: re.Match[str]) -> str | None:
    day = match.group("d") or match.group("d2")
    return due_text(int(day), int(match.group("m") or match.group("m2") or 0),
                    match.group("y") or match.group("y2"))


def due_text(day: int, month: int, year: str | None) -> str | None:
    """'dd/mm' or 'dd/mm/yyyy' as a definition writes a due date; None for 31/02 or 5/13."""
    if not (1 <= month <= 12 and 1 <= day <= monthdays.monthrange(2000, month)[1]):
        return None
    return f"{day:02d}/{month:02d}" + (f"/{year}" if year else "")
