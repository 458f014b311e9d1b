"""Numbered sections, bullets and paragraphs to task specs with agencies and deadlines.

The rules, in the words of the documents:
- "MỤC ĐÍCH, YÊU CẦU" (objectives) gives no task;
- a section whose sub-headings are agencies ("IV. TỔ CHỨC THỰC HIỆN" / "1. Phòng Nội vụ")
  gives each bullet under a heading to that agency, and then the other content
  sections only describe: the tasks are where the agencies are;
- otherwise every bullet ("-") is a task, a bullet ending in ':' opens "+" sub-tasks,
  a section without bullets is one task, and a paragraph after a bullet belongs to it;
- a task that opens with agencies ("Các sở, ngành… tiến hành…") goes to them; one that
  names no one goes to the directive's recipients ("Kính gửi", "Nơi nhận");
- "phối hợp với <agency>" makes that agency coordinating;
- "CHẾ ĐỘ BÁO CÁO" is one periodic report task for every agency the directive tasks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from importer.agencies import SECRETARIAT, Matcher, partners, subject
from importer.layout import Block, Section, closes, plain, tree
from importer.names import (
    COMPOUND,
    VERBS,
    is_collective,
    is_generic,
    real_verb,
    split_names,
    subject_phrase,
)
from importer.names import HEADS as NAME_HEADS
from importer.tables import cells_of, column_roles, is_separator, row_due
from importer.textkey import capitalise, fold, key
from importer.timing import Deadline, action_months, deadlines, planning_only
from workflow.definitions.specs import Calendar

OBJECTIVES = ("muc dich", "yeu cau", "muc tieu", "quan diem", "can cu")
# a part or heading that reports what was done: "Phần thứ nhất: KẾT QUẢ THỰC HIỆN …"
RESULTS = ("ket qua", "nhung ket qua", "danh gia ket qua", "danh gia tinh hinh", "tinh hinh",
           "thuc trang", "han che", "ton tai", "nguyen nhan", "bai hoc")
# headings that describe rather than assign: the period, the theme, what to say and how
DESCRIBES = ("thoi gian", "chu de", "thong diep", "khau hieu", "doi tuong", "pham vi",
             "y nghia", "noi dung tuyen truyen", "hinh thuc", "chi tieu", "thanh phan")
ORGANISATION = ("to chuc thuc hien", "phan cong", "trach nhiem")
BUDGET = ("kinh phi",)
REPORTING = ("bao cao",)
# a bullet opening with these details the bullet before it
DETAIL = ("noi dung kiem tra", "noi dung giam sat", "noi dung tap trung")


@dataclass
class TaskDraft:
    code: str
    source: str
    lines: str
    title: str
    text: str
    lead: list[str] = field(default_factory=list)
    coordinating: list[str] = field(default_factory=list)
    due: Any = None
    recurs: list[Any] = field(default_factory=list)
    reviews: list[str] = field(default_factory=list)
    report: bool = False


@dataclass
class Entry:
    """A bullet (or a section's paragraphs) and what belongs to it."""

    first: Block
    text: str
    last_line: int
    subs: list[Entry] = field(default_factory=list)
    merged: bool = False  # a bullet that details this one was joined to it


@dataclass
class Context:
    matcher: Matcher
    calendar: Calendar
    recipients: list[str]  # default assignees ("Kính gửi", "Nơi nhận")
    recipients_review: str | None
    new_agency: Any  # callable(name, line) -> code, for agency headings the registry lacks
    secretariat: str | None = None
    issued: str | None = None  # the document's date as read: "dd/mm/yyyy", "mm/yyyy", "yyyy"
    title_month: str | None = None  # the action month the directive's title names
    notes: list[str] = field(default_factory=list)
    ad_hoc: list[str] = field(default_factory=list)


def tasks_of(root: Section, context: Context) -> list[TaskDraft]:
    sections = root.children or [root]  # no numbered sections: the body's bullets
    organisation = [s for s in sections if _is_organisation(s, context.matcher)]
    tasks: list[TaskDraft] = []
    described: list[Section] = []
    for section in sections:
        title = key(section.title)
        name = _source(section) or "(body)"
        if section.kind != "root" and any(word in title for word in OBJECTIVES) and \
                _heading_like(section.title, True):  # not "1. Đánh giá … các mục tiêu …"
            context.notes.append(f"{name} {section.title}: mục đích, yêu cầu, không phải "
                                 f"nhiệm vụ (dòng {section.line})")
            continue
        if section.kind in ("part", "roman") and title.startswith(RESULTS) and \
                section.title.upper() == section.title:
            context.notes.append(f"{name} {section.title}: kết quả đã đạt, không phải nhiệm "
                                 f"vụ (dòng {section.line})")
            continue
        if section.kind != "root" and (title.startswith(DESCRIBES) or (
                title.startswith("kinh phi") and not _requests(section))) and \
                _heading_like(section.title, True) and not _asks(section, context):
            context.notes.append(f"{name} {section.title}: phần mô tả, không phải nhiệm vụ "
                                 f"(dòng {section.line})")
            continue
        if section in organisation:
            for child in section.children:
                tasks += _agency_section(child, context)
            continue
        if section.kind != "root" and _is_report(section):
            tasks.append(_report_task(section, context))
            continue
        if organisation and not (any(word in title for word in ORGANISATION)
                                 and section.items and not section.children):
            described.append(section)
            continue
        tasks += _content(section, context)
    for section in described:  # "1. Phòng …: chủ trì tham mưu thực hiện các nhiệm vụ tại mục II"
        pointer = re.compile(rf"\b(?:mục|phần)\s+{re.escape(section.label)}\b(?!\.\d|\d)",
                             re.IGNORECASE)
        assigning = [t for t in tasks if pointer.search(t.text)]
        if not assigning or not section.label:
            context.notes.append(f"{_source(section)} {section.title}: phần nội dung; nhiệm "
                                 f"vụ được giao theo từng cơ quan ở "
                                 f"{_source(organisation[0])} (dòng {section.line})")
            continue
        leads = _unique(code for t in assigning for code in t.lead)
        for task in _content(section, context, default=leads):
            task.reviews.append(f"cơ quan chủ trì theo mục {assigning[0].source}, nơi "
                                f"giao các nhiệm vụ của mục {section.label}")
            tasks.append(task)
        tasks = [t for t in tasks if t not in assigning or not POINTER_ONLY.match(
            pointer.sub("", t.title).strip())]
        tasks.sort(key=lambda t: int(re.match(r"\d+", t.lines).group(0))  # type: ignore[union-attr]
                   if re.match(r"\d+", t.lines) else 0)
    for task in tasks:  # "Các cơ quan, đơn vị báo cáo kết quả …": everyone's report
        if not task.report and key(task.title).startswith("bao cao") and \
                task.lead == list(context.recipients) and \
                (_generic_subject(task.text) or subject_phrase(task.text) is None) and \
                not subject(context.matcher, task.text):
            task.report = True
        elif not task.report and _generic_subject(task.text) and \
                task.lead == list(context.recipients) and organisation:
            task.report = True  # "Các cơ quan, đơn vị … triển khai thực hiện; báo cáo …"
    tasks = [part for task in tasks for part in _split_by_deadlines(task, context)]
    unique_codes(tasks)
    report = [t for t in tasks if t.report]
    if report:
        _report_leads(report, [t for t in tasks if not t.report], context)
    return tasks


def _requests(section: Section) -> bool:
    """'Kinh phí: … đề nghị các cơ quan, đơn vị bố trí …' asks; 'Kinh phí: từ nguồn ngân
    sách xã' only says where the money comes from."""
    text = " ".join(b.text for b in section.items) + " " + section.title
    return bool(re.search(r"\b(?:đề nghị|yêu cầu|giao)\b", text, re.IGNORECASE) or
                subject_phrase(text))


def _asks(section: Section, context: Context) -> bool:
    """A "Thời gian hoàn thành" section that still gives work: 'Ủy ban nhân dân các xã
    ban hành quyết định … trước ngày 30/6/2026'."""
    for block in section.items:
        if block.kind in ("text", "bullet") and subject_phrase(block.text) and \
                deadlines(block.text, context.calendar)[0]:
            return True
    return False


def _is_report(section: Section) -> bool:
    """'II. CHẾ ĐỘ BÁO CÁO', '3. Báo cáo kết quả …', '4. Các cơ quan, đơn vị báo cáo …';
    not '2. Tổ chức lễ phát động …; gửi báo cáo nhanh …'."""
    title = section.title.strip()
    if _heading_like(title, bool(section.items or section.children)):
        return any(word in key(title) for word in REPORTING)
    found = subject_phrase(title)
    verb = key(title[found[1]:] if found else title)
    return verb.startswith(("bao cao", "thuc hien che do bao cao", "tong hop bao cao",
                            "gui bao cao"))


def _split_by_deadlines(task: TaskDraft, context: Context) -> list[TaskDraft]:
    """'… thông báo lịch đến các thôn trước ngày 10/9/2025; tổng hợp kết quả, báo cáo Ban
    Chỉ đạo trước ngày 15/10/2025': two deadlines, two tasks."""
    if task.recurs or not any(r.startswith("có nhiều hạn") for r in task.reviews):
        return [task]
    pieces = [c.strip() for c in task.text.split(";") if c.strip()]
    clauses: list[str] = []
    waiting: list[str] = []
    for piece in pieces:  # a clause without a date goes with the next dated one
        waiting.append(piece)
        if deadlines(piece, context.calendar)[0]:
            clauses.append("; ".join(waiting))
            waiting = []
    if waiting and clauses:
        clauses[-1] = "; ".join([clauses[-1], *waiting])
    if len(clauses) < 2:
        return [task]
    parts = []
    for number, clause in enumerate(clauses, start=1):
        part = TaskDraft(f"{task.code}.{number}", task.source, task.lines, _title(clause),
                         clause, list(task.lead), list(task.coordinating))
        part.reviews = [r for r in task.reviews if not r.startswith("có nhiều hạn")]
        part.reviews.append("một đoạn có nhiều hạn: đã tách thành nhiều nhiệm vụ")
        _timing(part, context)
        parts.append(part)
    return parts


def _inherit_months(task: TaskDraft, months: list[str]) -> None:
    """A bullet under "Các hoạt động hưởng ứng Tháng hành động …:" belongs to that month."""
    if months and task.due is None and not task.recurs:
        task.recurs = list(dict.fromkeys(months))
        task.reviews.append("tháng hành động lấy theo tiêu đề của mục")


def _attributed(section: Section, items: list[Block], attributes: list[Block], code: str,
                context: Context, default: list[str] | None) -> TaskDraft:
    """'1. Tổ chức Lễ phát động' over '- Đơn vị chủ trì: …', '- Đơn vị phối hợp: …',
    '- Thời gian thực hiện: …': one task, its agencies and time from those lines."""
    text = " ".join([section.title] + [b.text for b in items if b not in attributes])
    last = max([section.line] + [b.last for b in items])
    task = _task(code, _source(section), section.line, last, text.strip(), context, default,
                 fixed=False)
    leads: list[str] = []
    partners_of: list[str] = []
    for block in attributes:
        match = ATTRIBUTE.match(block.text)
        assert match is not None
        name, value = key(match["name"]), match["value"].rstrip(" .;")
        if name.startswith(("thoi gian", "thoi han", "tien do")):
            _timing(task, context, f"{task.text} (trước ngày {value})" if re.match(
                r"^\d", value) else f"{task.text} ({value})")
            if task.due is None and not task.recurs:
                _due_from(task, value, context, unless_month=True)
        elif "chu tri" in name or "thuc hien" in name:
            leads += _agencies_in(value, block.first, context)
        elif "phoi hop" in name:
            partners_of += _agencies_in(value, block.first, context)
    if leads:
        task.lead = _unique(leads)
        task.reviews = [r for r in task.reviews if r != context.recipients_review]
    task.coordinating = [c for c in _unique(partners_of + task.coordinating)
                         if c not in task.lead]
    return task


def _agencies_in(value: str, line: int, context: Context) -> list[str]:
    _, mentions = context.matcher.find(value)
    found = [_resolve(m.target, context) for m in mentions if m.named]
    for name in split_names(value):
        if not context.matcher.find(name)[1] and not is_generic(name) and \
                NAME_HEADS.match(key(name)):
            found.append(context.new_agency(name, line))
    return _unique(found)


# what is left of an assignment once "các nhiệm vụ tại mục II" is taken out: no work of its own
POINTER_ONLY = re.compile(r"^(?:Chủ trì\s*,?\s*)?(?:tham mưu\s+)?(?:tổ chức\s+)?(?:triển khai\s+)?"
                          r"(?:thực hiện\s+)?(?:các\s+)?(?:nhiệm vụ|nội dung)(?:\s+(?:nêu|tại|ở|"
                          r"được giao))*\s*$", re.IGNORECASE)


def _heading_like(title: str, has_items: bool) -> bool:
    """'1. Công tác tuyên truyền' over its paragraphs is a heading; '2. Đẩy mạnh thông
    tin, truyền thông về …' standing alone is a task."""
    bare = title.strip()
    if bare.upper() == bare:
        return True
    return has_items and len(bare) < 70 and not bare.endswith((".", ";"))


def _names_agency(title: str, context: Context) -> bool:
    heading = _heading(title.partition(":")[0])
    if re.sub(r"^cac ", "", key(heading)).startswith((
            "cong tac", "hoat dong", "noi dung", "nhiem vu", "giai phap", "to chuc thuc hien",
            "phan cong", "trach nhiem", "ke hoach", "chuong trinh", "bao cao", "che do")):
        return False
    return bool(subject(context.matcher, heading)) or (
        _looks_like_agency(heading) and len(heading.split()) <= 14 and not VERBS.search(
            fold(heading)))


def _is_organisation(section: Section, matcher: Matcher) -> bool:
    if section.kind == "root" or not section.children:
        return False
    if not any(word in key(section.title) for word in ORGANISATION):
        return False
    named = sum(1 for child in section.children
                if subject(matcher, _heading(child.title.partition(":")[0]))
                or _looks_like_agency(child.title.partition(":")[0]))
    return named * 2 >= len(section.children)


AGENCY_HEADS = re.compile(r"^(?:phong|so|hoi|ban|trung tam|cong an|uy ban|van phong|chi cuc|"
                          r"cuc|dai|benh vien|lien doan|huyen doan|thanh doan|tinh doan|doan|"
                          r"bao hiem|ngan hang|vien kiem sat|toa an|kho bac|chi nhanh|"
                          r"truong|cac|quan su|bo chi huy|tram|dang doan|dang uy|mat tran)\b")


def _looks_like_agency(title: str) -> bool:
    return bool(AGENCY_HEADS.match(key(_heading(title)))) and len(title) < 120


def _heading(title: str) -> str:
    """'Sở Nội vụ (cơ quan thường trực Ban)' -> 'Sở Nội vụ'; 'Đối với Sở Nội vụ:' too."""
    title = re.sub(r"\s*\([^)]*\)", "", title)
    return re.sub(r"^(?:Đề nghị|Giao|Đối với|Trách nhiệm của)\s+", "", title.strip(),
                  flags=re.IGNORECASE).rstrip(" :.")


def _join(*parts: object) -> str:
    """'ii.1' + 3 -> 'ii.1.3'; a document without numbered sections numbers from 1."""
    return ".".join(str(part) for part in parts if part != "")


def _source(section: Section) -> str:
    return ".".join(section.path)


def _code(section: Section) -> str:
    return ".".join(label.lower() for label in section.path)


def _agency_section(section: Section, context: Context) -> list[TaskDraft]:
    heading, _, said = section.title.partition(":")
    if not said.strip() and not section.children and \
            not _heading_like(section.title, bool(section.items)):
        # "1. Sở Nội vụ chủ trì, phối hợp …; tổng hợp …": a sentence naming its own lead
        return _tasks_in(section, _code(section), context, default=None)
    listed = ENUMERATED.match(section.title)
    if listed:  # "2. Các sở: Y tế, Giáo dục và Đào tạo, … cử thành viên …"
        names, rest = _enumerated(listed, context)
        if names:
            section.title = heading
            section.items.insert(0, Block("text", "", rest, section.line, section.line))
            tasks = _tasks_in(section, _code(section), context, default=names, fixed=True)
            return tasks
    if said.strip():  # "1. Phòng Nội vụ: tham mưu …" - the heading carries the task
        section.title = heading
        section.items.insert(0, Block("text", "", said.strip(), section.line, section.line))
    mentions = subject(context.matcher, _heading(section.title))
    leads = [_resolve(m.target, context) for m in mentions]
    review = None
    if not leads:
        names = split_names(_heading(section.title)) or [_heading(section.title)]
        leads = _unique(context.new_agency(name, section.line) for name in names)
        review = f"'{_heading(section.title)}' chưa có trong danh mục: đã thêm vào tệp " \
                 "cơ quan dự thảo"
    tasks = []
    for task in _tasks_in(section, _code(section), context, default=leads, fixed=True):
        if review:
            task.reviews.append(review)
        tasks.append(task)
    for child in section.children:
        tasks += _content(child, context, default=leads)
    return tasks


ENUMERATED = re.compile(r"^(?:Các\s+)?(?P<kind>sở|phòng|ban|hội)\s*:\s*(?P<rest>.+)$",
                        re.IGNORECASE)


def _enumerated(match: re.Match[str], context: Context) -> tuple[list[str], str]:
    """'Các sở: Y tế, Giáo dục và Đào tạo, Văn hóa, Thể thao và Du lịch cử …' -> the
    three departments, and the work that follows them."""
    rest = match["rest"]
    verb = next((m for m in VERBS.finditer(fold(rest)) if rest[m.start()].islower()
                 and real_verb(rest, m)), None)
    if verb is None:
        return [], rest
    kind = match["kind"].capitalize()
    kept: list[str] = []
    listed = COMPOUND.sub(lambda m: kept.append(m.group(0)) or f"\x00{len(kept) - 1}\x00",
                          rest[: verb.start()].strip())
    listed = f"{kind} " + re.sub(r",\s*(?=[^\W\d_])", lambda m: f", {kind} " if listed[
        m.end()].isupper() else m.group(0), listed)
    listed = re.sub(r",\s*(?=\x00)", f", {kind} ", listed)
    listed = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], listed)
    names = [n for n in split_names(listed) if not is_generic(n)]
    codes = _unique(context.new_agency(name, None) for name in names)
    return codes, capitalise(rest[verb.start():])


def _content(section: Section, context: Context, default: list[str] | None = None
             ) -> list[TaskDraft]:
    if section.kind != "root" and (section.items or section.children) and \
            _heading_like(section.title, True) and _names_agency(section.title, context):
        return _agency_section(section, context)  # "1. Phòng Văn hóa - Xã hội" over its tasks
    tasks = _tasks_in(section, _code(section), context, default=default)
    for child in section.children:
        tasks += _content(child, context, default)
    return tasks


def _entries(items: list[Block]) -> tuple[list[Entry], list[Block]]:
    """Bullets with their sub-bullets and trailing paragraphs; paragraphs before any."""
    entries: list[Entry] = []
    intro: list[Block] = []
    for block in items:
        if block.kind == "bullet" and entries and not entries[-1].subs and \
                key(block.text).startswith(DETAIL):
            entries[-1].text = f"{entries[-1].text} - {block.text}"  # "- Nội dung kiểm tra…"
            entries[-1].last_line = block.last
            entries[-1].merged = True
        elif block.kind == "bullet":
            entries.append(Entry(block, block.text, block.last))
        elif block.kind == "plus" and entries and entries[-1].text.rstrip().endswith(":"):
            entries[-1].subs.append(Entry(block, block.text, block.last))
        elif block.kind == "plus" and (not entries or entries[-1].first.kind == "plus"):
            entries.append(Entry(block, block.text, block.last))  # "+" used as the bullet
        elif entries:
            target = entries[-1].subs[-1] if entries[-1].subs else entries[-1]
            target.text = f"{target.text} {block.text}"
            target.last_line = block.last
        else:
            intro.append(block)
    return entries, intro


def _tasks_in(section: Section, code: str, context: Context, default: list[str] | None,
              fixed: bool = False) -> list[TaskDraft]:
    rows = [block for block in section.items if block.kind == "row"]
    tasks = _table(rows, code, _source(section), context, default) if rows else []
    items = [block for block in section.items if block.kind != "row"]
    return tasks + _listed(items, section, code, context, default, fixed)


def _table(rows: list[Block], code: str, source: str, context: Context,
           default: list[str] | None) -> list[TaskDraft]:
    """One task per row of a task table, its agencies and time from its own columns."""
    header = cells_of(rows[0].text)
    roles = column_roles(header)
    if "content" not in roles.values() or "lead" not in roles.values():
        context.notes.append(f"{source}: bảng không có cột 'nội dung' và 'chủ trì', "
                             f"không đọc (dòng {rows[0].first})")
        return []
    column = {role: index for index, role in roles.items()}
    tasks: list[TaskDraft] = []
    group = ""
    for number, row in enumerate(rows[1:], start=1):
        cells = cells_of(row.text)
        if is_separator(cells):
            continue
        cell = partial(_cell, cells, column)

        label = cell("number").strip(" .")
        text = cell("content")
        if len({c for c in cells if c}) == 1 or (re.fullmatch(r"[IVX]+|[A-Z]", label) \
                and not cell("lead")):
            group = label.lower() if label and label != text else f"g{number}"
            continue
        if not text:
            continue
        row_code = ".".join(part for part in (code, group, label or str(number)) if part)
        task = TaskDraft(row_code, source, f"{row.first}", _title(text), text)
        if cell("product"):
            task.text = f"{text} Sản phẩm: {cell('product')}"
        lead = [_resolve(m.target, context) for m in context.matcher.find(cell("lead"))[1]]
        if not lead and cell("lead"):
            lead = [context.new_agency(part.strip(), row.first)
                    for part in re.split(r"[;,]\s*|\s+và\s+", cell("lead")) if part.strip()]
            task.reviews.append(f"'{cell('lead')}' chưa có trong danh mục: đã thêm vào tệp "
                                "cơ quan dự thảo")
        task.lead = _unique(lead) if lead else list(default or context.recipients)
        task.coordinating = [c for c in _unique(
            _resolve(m.target, context) for m in context.matcher.find(cell("coordinating"))[1])
            if c not in task.lead]
        in_month = any(m.code for m in action_months(f"{text} ({cell('due')})",
                                                     context.calendar, context.title_month))
        reporting = bool(deadlines(f"{text} trước ngày {cell('due')}", context.calendar)[0]
                         and any(d.period for d in deadlines(
                             f"{text} trước ngày {cell('due')}", context.calendar)[0]))
        due, review = (None, None) if in_month or reporting else row_due(cell("due"))
        if due is not None:
            task.due = due
            if review:
                task.reviews.append(review)
        elif reporting:  # "Báo cáo kết quả thực hiện năm 2026 | … | Trước ngày 10/12/2026"
            _timing(task, context, f"{task.text} trước ngày {cell('due')}")
        else:  # an action month in the time column or in the text
            _timing(task, context, f"{task.text} ({cell('due')})" if cell("due") else None)
        tasks.append(task)
    return tasks


def annex_tasks(blocks: list[Block], context: Context) -> list[TaskDraft]:
    """The task table of an annex after the signature ("Phụ lục: phân công …"), often
    the only place that names the lead agencies."""
    rows = [block for block in blocks if block.kind == "row"]
    if rows:
        tasks = _table(rows, "pl", "Phụ lục", context, None)
        unique_codes(tasks)
        return tasks
    start = next((i for i, b in enumerate(blocks) if b.kind in ("part", "roman", "arabic")),
                 None)
    if start is None:
        return []
    body: list[Block] = []  # the plan a decision issues, printed after its signature
    for block in blocks[start:]:
        if closes(block) or plain(block.text).startswith("noi nhan"):
            break
        body.append(block)
    return tasks_of(tree(body), context)


def closing_tasks(blocks: list[Block], context: Context, taken: int) -> list[TaskDraft]:
    """'Các đơn vị báo cáo kết quả thực hiện … trước ngày 20/02/2027./.': a closing line
    that still asks for dated work is a task."""
    tasks: list[TaskDraft] = []
    for block in blocks:
        folded = plain(block.text)
        if folded.startswith(CLOSING_WORDS) or not deadlines(block.text, context.calendar)[0]:
            continue
        task = _task(f"{taken + len(tasks) + 1}", "", block.first, block.last,
                     block.text.rstrip("./ "), context, None, fixed=False)
        tasks.append(task)
    return tasks


CLOSING_WORDS = ("tren day", "trong qua trinh", "nhan duoc", "noi nhan", "tran trong")


# "Công văn số 356/LĐTBXH-BĐG ngày 19/02/2021 của Bộ …: Đề nghị …": another document's
# words quoted, not a request of this one
QUOTES = re.compile(r"^(?:Công văn|Kế hoạch|Quyết định|Hướng dẫn|Thông báo|Chỉ thị)\s+"
                    r"(?:số\s+)?\d[\w.-]*/[^\s:]+[^:]{0,120}:\s")
OFFICE_HOLDER = r"(?:Trưởng|Thủ trưởng|Lãnh đạo|Chủ tịch|Giám đốc|Trưởng ban|Chánh Văn phòng)"
# "Điều 2. Giao Sở … chủ trì …", and "UBND tỉnh giao Sở …" in a page that reports it
ASSIGNS = re.compile(r"^(?:Điều\s+\d+\.\s*)?(?:(?:UBND|Ủy ban nhân dân|Chủ tịch UBND|Thường trực "
                     r"UBND)[^,.;:]{0,30}?\s+)?(?:Thống nhất\s+)?[Gg]iao\s+(?P<rest>\S.+)$")
# a request; "… đã đề nghị các xã gửi số liệu trước ngày 20/10" is an earlier one, quoted
ASKS = re.compile(r"(?<!theo )(?<!đã )\b(?P<verb>đề nghị|yêu cầu)\s+(?!của\b)(?P<rest>.+)$",
                  re.IGNORECASE)  # "yêu cầu" only when an agency follows (not "đáp ứng yêu cầu")


def paragraph_tasks(preamble: list[Block], context: Context) -> list[TaskDraft]:
    """A letter of one paragraph ("… đề nghị Trưởng các khu phố báo cáo … chậm nhất là
    ngày 10/6/2026"): the request is the task, for the letter's recipients."""
    tasks: list[TaskDraft] = []
    for block in (unit for whole in preamble for unit in _request_units(whole)):
        if block.kind not in ("text", "bold") or "kính gửi" in block.text.lower()[:20] or \
                plain(block.text).startswith(CLOSING_WORDS) or QUOTES.match(block.text):
            continue
        match = ASKS.search(block.text)
        if match and match["verb"].lower() == "yêu cầu" and subject_phrase(match["rest"]) is None:
            match = None
        if match and re.match(r"(?:liên hệ|liên lạc)\b", match["rest"], re.IGNORECASE):
            continue  # "Thông tin cần thiết, đề nghị liên hệ với đồng chí …": a contact
        if not match and tasks and tasks[-1].due is None and not tasks[-1].recurs and \
                re.match(r"^(?:Báo cáo|Kết quả)\b", block.text):
            # "Báo cáo sơ kết gửi về Bộ … trước ngày 31 tháng 10 năm 2025": the request's date
            _timing(tasks[-1], context, block.text)
            continue
        if not match:
            assigned = ASSIGNS.match(block.text)
            if assigned:  # "Điều 2. Giao Giám đốc Sở … chủ trì … triển khai thực hiện"
                text = re.sub(rf"^{OFFICE_HOLDER}\s+", "", assigned["rest"])
                task = _task(str(len(tasks) + 1), "", block.first, block.last, text, context,
                             None, fixed=False)
                task.reviews.append("điều khoản giao việc của quyết định được coi là nhiệm vụ")
                tasks.append(task)
            continue
        rest = re.sub(rf"^(?:{OFFICE_HOLDER}\s+)?", "", match["rest"])
        found = subject_phrase(rest)
        text = capitalise(rest[found[1]:]) if found else capitalise(rest)
        dated = [d for d in deadlines(text, context.calendar)[0] if d.due and d.due.count("/") == 2]
        probe = TaskDraft("", "", "", "", text)
        if dated and all(_quoted(d, probe, context) for d in dated):
            continue  # "… đã có Công văn … đề nghị … trước ngày 10/6/2026": quoted, past
        task = _task(str(len(tasks) + 1), "", block.first, block.last, text, context,
                     None, fixed=True)
        named = _named_subject(found[0], block.first, context) if found else []
        if named and not context.recipients:  # "Kính gửi: ……": the request names them
            task.lead = named
            task.reviews = [r for r in task.reviews if r != context.recipients_review]
        task.reviews.append("văn bản không chia mục: yêu cầu của đoạn văn được coi là nhiệm vụ")
        tasks.append(task)
    return tasks


def _request_units(block: Block) -> list[Block]:
    """A paragraph that makes several requests ('UBND tỉnh yêu cầu các sở … . UBND tỉnh
    giao Sở … . Đồng thời tổ chức kiểm tra …'): one unit from each sentence that asks or
    assigns to the next; a sentence that does neither goes on the unit before it."""
    if block.kind not in ("text", "bold"):
        return [block]
    units: list[str] = []
    for sentence in re.split(r"(?<=\.)\s+(?=[A-ZĐÀ-Ỹ])", block.text):
        asks = ASKS.search(sentence) or ASSIGNS.match(sentence)
        if units and not asks:
            units[-1] = f"{units[-1]} {sentence}"
        else:
            units.append(sentence)
    if len(units) == 1:
        return [block]
    return [Block(block.kind, block.label, unit, block.first, block.last) for unit in units]


def _cell(cells: list[str], column: dict[str, int], role: str) -> str:
    index = column.get(role)
    return cells[index] if index is not None and index < len(cells) else ""


def _listed(items: list[Block], section: Section, code: str, context: Context,
            default: list[str] | None, fixed: bool) -> list[TaskDraft]:
    source = _source(section)
    attributes = [b for b in items if b.kind in ("bullet", "plus") and ATTRIBUTE.match(b.text)]
    if attributes and section.kind != "root" and not section.children and all(
            ATTRIBUTE.match(b.text) for b in items if b.kind in ("bullet", "plus")):
        return [_attributed(section, items, attributes, code, context, default)]
    entries, intro = _entries(items)
    if not entries:
        if section.kind != "root" and DESCRIPTION.match(section.title) and not intro:
            context.notes.append(f"{source} {section.title[:60]}: phần mô tả, không phải "
                                 f"nhiệm vụ (dòng {section.line})")
            return []  # "2. Thời gian: từ ngày 15/9 đến ngày 30/9/2025"
        sentence = section.kind != "root" and not section.children and \
            not _heading_like(section.title, bool(intro))
        if not intro and not sentence:
            return []
        blocks = intro
        text = " ".join(block.text for block in intro)
        first = intro[0].first if intro else section.line
        last = intro[-1].last if intro else section.line
        if sentence:  # "2. Đẩy mạnh thông tin, truyền thông …": the point is the task
            text = f"{section.title} {text}".strip()
            first = section.line
        del blocks
        return [_task(code, source, first, last, text, context, default, fixed)]
    if intro:
        context.notes.append(f"{source}: đoạn trước gạch đầu dòng đầu tiên được coi là lời "
                             f"dẫn, không phải nhiệm vụ (dòng {intro[0].first})")
    tasks = []
    heading_months = [m.code for m in action_months(section.title, context.calendar)
                      if m.code] if section.kind != "root" else []
    for number, entry in enumerate(entries, start=1):
        if entry.subs:
            entry_months = [m.code for m in action_months(entry.text, context.calendar)
                            if m.code]
            for sub_number, sub in enumerate(entry.subs, start=1):
                task = _task(_join(code, number, sub_number), source, sub.first.first,
                             sub.last_line, sub.text, context, default, fixed)
                _inherit_months(task, entry_months or heading_months)
                tasks.append(task)
            continue
        task = _task(_join(code, number), source, entry.first.first, entry.last_line,
                     entry.text, context, default, fixed)
        if entry.merged:
            task.reviews.append("gạch đầu dòng sau nói rõ nội dung nhiệm vụ này: đã gộp vào")
        _inherit_months(task, heading_months)
        tasks.append(task)
    return tasks


def _task(code: str, source: str, first: int, last: int, text: str, context: Context,
          default: list[str] | None, fixed: bool) -> TaskDraft:
    lines = f"{first}" if first == last else f"{first}-{last}"
    task = TaskDraft(code, source or "văn bản", lines, _title(text), text)
    mentions = [] if fixed else subject(context.matcher, text)
    found = None if fixed else subject_phrase(text)
    named = _named_subject(found[0], first, context) if found else []
    whole = _uncovered_collective(found[0], first, context) if found else []
    if whole:  # "Các sở, ngành, địa phương" is not the known "Các sở, ngành tỉnh"
        mentions, named = [], whole
    if not fixed and not mentions and not named:
        named = _trailing_leads(text, first, context)
    if mentions:
        task.lead = _unique([*(_resolve(m.target, context) for m in mentions), *named])
    elif named:
        task.lead = named
    elif INSPECTION.match(text) and not fixed:
        task.lead = [context.secretariat or context.new_agency("Cơ quan thường trực", first)]
        task.reviews.append("kiểm tra, giám sát: do cơ quan thường trực của Ban thực hiện, "
                            "không phải nơi được kiểm tra")
    elif default:
        task.lead = list(default)
    else:
        task.lead = list(context.recipients)
        if context.recipients_review:
            task.reviews.append(context.recipients_review)
    task.coordinating = [c for c in _unique(_resolve(m.target, context)
                                            for m in partners(context.matcher, text))
                         if c not in task.lead]
    _timing(task, context)
    _inline_attributes(task, text, first, context)
    trailing = TRAILING.search(text)
    if trailing and task.due is None and not task.recurs:  # "(Sở … thực hiện, quý III/2023)"
        when = re.search(r",\s*((?:trước ngày|tháng|quý)\s*[^,()]+|\d{1,2}/\d{1,2}/\d{4})\s*\)",
                         trailing.group(0))
        if when and not SPAN.search(when.group(1)) and " và " not in when.group(1):
            _due_from(task, when.group(1), context, unless_month=True)
    return task


def _due_from(task: TaskDraft, phrase: str, context: Context, unless_month: bool) -> None:
    """A time phrase beside a task ('Quý II/2026', 'tháng 3/2023', 'trước ngày 15/11') as
    its due date, as a task table's time column is read; an action month is not one."""
    due, review = row_due(phrase)
    if due is None or (unless_month and any(m.code for m in action_months(
            phrase, context.calendar, context.title_month))):
        return
    task.due = due
    if review:
        task.reviews.append(review)


SPAN = re.compile(r"\btừ\b.*\bđến\b", re.IGNORECASE)  # a period of activity, not a due date
INLINE_ATTRIBUTE = re.compile(
    r"(?:^|[.;]\s+)(?P<name>(?:cơ quan|đơn vị)\s+(?:chủ trì|thực hiện|phối hợp)|thời gian"
    r"(?:\s+thực hiện|\s+hoàn thành)?)\s*:\s*(?P<value>.+?)"
    r"(?=\.\s|\.?$|;\s*(?:cơ quan|đơn vị|thời gian|chủ trì|phối hợp))", re.IGNORECASE)


def _inline_attributes(task: TaskDraft, text: str, line: int, context: Context) -> None:
    """'… của xã. Cơ quan chủ trì: Phòng Văn hóa - Xã hội. Thời gian: Quý II/2026.'"""
    leads: list[str] = []
    with_: list[str] = []
    for match in INLINE_ATTRIBUTE.finditer(text):
        name, value = key(match["name"]), match["value"].strip(" .")
        if name.startswith("thoi gian"):
            if task.due is None and not task.recurs and not SPAN.search(value):
                _due_from(task, value, context, unless_month=False)
        elif "phoi hop" in name:
            with_ += _agencies_in(value, line, context)
        else:
            leads += _agencies_in(value, line, context)
    if leads:
        task.lead = _unique(leads)
        task.reviews = [r for r in task.reviews if r != context.recipients_review]
    if with_:
        task.coordinating = [c for c in _unique(task.coordinating + with_) if c not in task.lead]


INSPECTION = re.compile(r"^(?:Tổ chức\s+|Thành lập\s+)?(?:các\s+)?(?:(?:đoàn|cuộc)\s+)?"
                        r"(?:kiểm tra|giám sát)\b", re.IGNORECASE)
DESCRIPTION = re.compile(r"^(?:Nội dung|Thời gian|Đối tượng|Địa điểm|Hình thức|Thành phần|"
                         r"Phạm vi|Chủ đề|Thông điệp|Khẩu hiệu|Kinh phí)(?:\s+\w+){0,2}\s*:",
                         re.IGNORECASE)


TRAILING = re.compile(r"\((?:(?P<who>[^()]{3,160}?)\s+(?:chủ trì|thực hiện|phụ trách)\b[^()]*|"
                      r"\s*(?:(?:cơ quan|đơn vị)\s+)?(?:chủ trì|thực hiện)\s*:\s*(?P<who2>[^;()]+)"
                      r"(?:;\s*phối hợp\s*:\s*(?P<with>[^;()]+))?[^()]*)\)\s*[.;]?\s*$",
                      re.IGNORECASE)
ATTRIBUTE = re.compile(
    r"^(?P<name>(?:cơ quan|đơn vị|bộ phận)\s+(?:chủ trì|thực hiện|phối hợp|thường trực)|chủ trì|"
    r"phối hợp|thời gian(?:\s+thực hiện|\s+hoàn thành)?|thời hạn|tiến độ|sản phẩm|kinh phí)"
    r"\s*:\s*(?P<value>.+)$", re.IGNORECASE)


def _trailing_leads(text: str, line: int, context: Context) -> list[str]:
    """'… về bình đẳng giới (Phòng Văn hóa - Xã hội chủ trì, phối hợp với Hội LHPN xã).'"""
    match = TRAILING.search(text)
    if not match:
        return []
    who = match.group("who") or match.group("who2")
    _, mentions = context.matcher.find(who)
    if mentions and all(m.named for m in mentions):
        return _unique(_resolve(m.target, context) for m in mentions)
    names = [n for n in split_names(who) if not is_generic(n)]
    if not names or not all(NAME_HEADS.match(key(n)) for n in names):
        return []
    return _unique(context.new_agency(name, line) for name in names)


def _uncovered_collective(subject_text: str, line: int, context: Context) -> list[str]:
    """A collective subject that a known name covers only in part ('Các sở, ngành' of
    'Các sở, ngành, địa phương'): the whole phrase is one group of its own."""
    if not is_collective(subject_text) or len(split_names(subject_text)) != 1:
        return []
    phrase, mentions = context.matcher.find(subject_text)
    if not mentions or not all(m.named for m in mentions):
        return []
    covered = sum(m.end - m.start for m in mentions)
    rest = re.sub(r"^\s*(?:(?:tinh|huyen|xa|phuong|thanh pho|quan|thi xa|thi tran)"
                  r"(?:\s+\S+){0,3}|tren dia ban.*)\s*$", "", phrase[mentions[-1].end:])
    rest = re.sub(r"[^a-z]", "", rest)  # what the known name leaves out, place words aside
    if len(rest) < 4 or covered >= len(phrase) - 4:
        return []
    return [context.new_agency(subject_text, line)]


def _named_subject(subject_text: str, line: int, context: Context) -> list[str]:
    """The agencies a task opens with (its subject_phrase) when the registry does not
    know them."""
    codes: list[str] = []
    for name in split_names(subject_text):
        if is_generic(name):
            continue
        known = context.matcher.find(name)[1]
        if known:  # the registry's, or one this draft already added
            codes += [_resolve(m.target, context) for m in known]
        else:
            codes.append(context.new_agency(name, line))
    return _unique(codes)


def _timing(task: TaskDraft, context: Context, text: str | None = None) -> None:
    """Deadlines and action months from the task's text (or a text given with it)."""
    text = text or task.text
    months = action_months(text, context.calendar, context.title_month)
    for month in months:
        if month.code is None:
            task.reviews.append(f"{month.review} ('{month.evidence}'): không lập lịch")
        elif month.review:
            task.reviews.append(month.review)
    codes = [m.code for m in months if m.code]
    found, ad_hoc = deadlines(text, context.calendar)
    if ad_hoc:
        context.ad_hoc.append(task.code)
    found = [d for d in found if not _quoted(d, task, context)]
    periodic = [d for d in found if d.period]
    one_off = [d for d in found if d.period is None]
    if codes and planning_only(text) and len(codes) == 1 and not found:
        task.due = {"action_month": codes[0], "anchor": "start"}
        task.reviews.append("kế hoạch cho tháng hành động: hạn là ngày tháng bắt đầu")
        return
    if one_off and not periodic and codes:
        after = [d for d in one_off if _after_month(d.due or "", codes, context)]
        reports = key(task.title).startswith(("bao cao", "tong hop bao cao", "gui bao cao"))
        if len(after) == len(one_off) and not reports:  # "… Tháng hành động; báo cáo … 05/7"
            task.reviews.append(f"hạn {one_off[0].due} sau tháng hành động: là báo cáo kết quả "
                                "tháng, theo hạn của lịch")
            one_off = []
        else:  # "… lễ mít tinh hưởng ứng Tháng hành động; hoàn thành trước ngày 14/11"
            task.reviews.append(f"có hạn {one_off[0].due}: tháng hành động chỉ được nhắc "
                                "đến, không lập lịch theo tháng")
            codes = []
    recurs: list[Any] = list(codes)
    dated = {d.period for d in periodic if d.due}
    periodic = [d for d in periodic if d.due or d.period not in dated]
    for deadline in periodic:
        entry = {"period": deadline.period, "due": deadline.due} if deadline.due \
            else deadline.period
        if entry not in recurs:
            recurs.append(entry)
        if deadline.review:
            task.reviews.append(deadline.review)
    if one_off and not recurs:
        task.due = one_off[0].due
        if len(one_off) > 1:
            task.reviews.append("có nhiều hạn: chỉ giữ hạn đầu tiên")
    elif one_off:
        task.reviews.append(f"hạn {one_off[0].due} bên cạnh báo cáo định kỳ: không giữ")
    task.recurs = recurs


def _after_month(due: str, codes: list[str], context: Context) -> bool:
    """A deadline after the action month's last day: its results report."""
    parts = due.split("/")
    if len(parts) < 2:
        return False
    day, month = int(parts[0]), int(parts[1])
    for code in codes:
        action = next((m for m in context.calendar.action_months if m.code == code), None)
        if action is not None:
            end_day, end_month = action.end
            if (month, day) > (end_month, end_day) and month - end_month <= 1:
                return True
    return False


def _quoted(deadline: Deadline, task: TaskDraft, context: Context) -> bool:
    """A date before the document's own is quoted from an earlier letter, not asked."""
    issued = context.issued or ""
    due = deadline.due or ""
    if issued.count("/") != 2 or due.count("/") != 2:
        return False
    def ordinal(value: str) -> tuple[int, ...]:
        day, month, year = (int(part) for part in value.split("/"))
        return year, month, day
    if ordinal(due) < ordinal(issued):
        task.reviews.append(f"hạn {due} trước ngày ban hành {issued}: là trích dẫn văn bản "
                            "trước, không lập lịch")
        return True
    return False


def _report_task(section: Section, context: Context) -> TaskDraft:
    blocks = [block for block in section.items]
    for child in section.children:
        blocks += child.items
    text = " ".join(block.text for block in blocks)
    first = blocks[0].first if blocks else section.line
    last = blocks[-1].last if blocks else section.line
    if not _heading_like(section.title, bool(blocks)):  # "3. Báo cáo kết quả … trước ngày"
        text, first = f"{section.title} {text}".strip(), section.line
    text = text or section.title
    named = bool(subject(context.matcher, text) or subject_phrase(text))
    task = _task(f"{_code(section)}.bao-cao", _source(section), first, last, text, context,
                 None, fixed=False)
    if named and not _generic_subject(text):
        return task  # "Các thành viên Ban báo cáo …": who reports is said
    task.report = True
    task.coordinating = []
    return task


def _generic_subject(text: str) -> bool:
    found = subject_phrase(text)
    return found is not None and any(is_generic(n) for n in split_names(found[0]))


def _report_leads(report: list[TaskDraft], others: list[TaskDraft], context: Context) -> None:
    """Everyone the directive tasks reports: the named collectives plus the groups and
    agencies they do not cover; the secretariat receives, it does not report."""
    registry = context.matcher.registry
    for task in report:
        leads = list(task.lead)
        if leads == list(context.recipients) and context.recipients_review and \
                any(other.lead for other in others):
            leads = []  # recipients guessed from "Nơi nhận": those tasked are who report
        covered = set()
        for code in leads:
            covered |= registry.members(code) if registry else {code}
        extra: list[str] = []
        for other in others:
            for code in other.lead:
                members = registry.members(code) if registry else {code}
                if code in leads or code in extra or members <= covered:
                    continue
                extra.append(code)
                covered |= members
        task.lead = [c for c in _unique(leads + extra) if c != context.secretariat] or task.lead
        task.reviews.append("báo cáo: mọi cơ quan được giao nhiệm vụ; hãy kiểm tra danh sách")


def unique_codes(tasks: list[TaskDraft]) -> None:
    """Two tasks never share a code, whatever the numbering of the document."""
    seen: set[str] = set()
    for index, task in enumerate(tasks, start=1):
        task.code = re.sub(r"[^a-z0-9.-]+", "-", task.code.lower()).strip(".-") or \
            f"nv{index}"  # a heading without a number gives no code of its own
        code, number = task.code, 2
        while code in seen:
            code, number = f"{task.code}-{number}", number + 1
        if code != task.code:
            task.reviews.append(f"số thứ tự {task.code} bị lặp: đổi thành {code}")
            task.code = code
        seen.add(code)


def _resolve(target: str, context: Context) -> str:
    if target == SECRETARIAT:
        return context.secretariat or SECRETARIAT
    return target


def _unique(codes: Any) -> list[str]:
    seen: list[str] = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    return seen


TITLE_WIDTH = 120
PARTNER_FIRST = re.compile(r"^(?:chủ trì,?\s*)?phối hợp với\s+\S", re.IGNORECASE)
CLAUSE_END = re.compile(r"\s*[;:]|\.\s|\.$|\s\(|,\s*(?:hoàn thành|xong|thời gian|thời hạn)\b")
GROUNDS = re.compile(r"^căn cứ\s+(?:vào\s+)?(?:chức năng|nhiệm vụ|tình hình|điều kiện)[^;:.]*?,"
                     r"\s*(?=(?:chủ động\s+)?\w)", re.IGNORECASE)
# the grounds' other words when the comma after them is missing ("căn cứ chức năng, nhiệm
# vụ xây dựng kế hoạch …", "…, nhiệm vụ được giao, tình hình thực tế, triển khai …")
MORE_GROUNDS = re.compile(r"^(?:(?:nhiệm vụ|quyền hạn|tình hình thực tế|điều kiện thực tế)"
                          r"(?:\s+được giao)?(?:\s+của\s+(?:mình|đơn vị|địa phương|ngành))?"
                          r"\s*,?\s+)+", re.IGNORECASE)
LEAD_ROLE = re.compile(r"^chủ trì,?\s+(?!phối hợp)", re.IGNORECASE)
SOFT_BREAK = re.compile(r",\s|\s(?:nhằm|để|trong đó|đồng thời|thông qua)\s")
TIME_BREAK = re.compile(r"\s(?:từ ngày|trong thời gian|trước ngày|chậm nhất|trong năm|"
                        r"hằng năm|hàng năm|trong quý|định kỳ|thường xuyên)\s")
DANGLING = {"và", "của", "về", "với", "cho", "các", "những", "trong", "tại", "để", "nhằm",
            "theo", "từ", "đến", "là", "được", "có", "hoặc", "như", "trên", "ở", "một"}


def _title(text: str) -> str:
    """The task's verb phrase up to its first clause boundary, never cut inside a word:
    'Công an phường chủ trì rà soát …; báo cáo …' -> 'Chủ trì rà soát …'."""
    text = text.strip().strip("-+ ")
    found = subject_phrase(text)
    if found is not None:
        text = text[found[1]:]
    else:
        text = re.sub(r"^(?:Thống nhất\s+)?(?:Giao|Đề nghị|Yêu cầu)\s+", "", text,
                      flags=re.IGNORECASE)
    grounds = GROUNDS.match(text)
    if grounds:  # "căn cứ chức năng, nhiệm vụ được giao, triển khai …": the work follows
        text = MORE_GROUNDS.sub("", text[grounds.end():])
    elif re.match(r"^căn cứ\s", text, re.IGNORECASE):  # "căn cứ Kế hoạch xây dựng …"
        verb = next((m for m in VERBS.finditer(fold(text), 8)
                     if text[m.start()].islower() and m.start() < 90), None)
        if verb is not None:
            text = text[verb.start():]
    role = LEAD_ROLE.match(text)
    if role and VERBS.match(fold(text[role.end():])):  # "chủ trì tổ chức …": the work
        text = text[role.end():]
    text = re.sub(r"^chủ trì,?\s+(?=phối hợp)", "", text, flags=re.IGNORECASE)
    partner = PARTNER_FIRST.match(text)
    if partner:  # "phối hợp với Phòng … tổ chức thăm hỏi": the work is the second verb
        verb = next((m for m in VERBS.finditer(fold(text), partner.end())
                     if m.start() < partner.end() + 160 and real_verb(text, m)), None)
        if verb is not None:
            text = text[verb.start():]
    text = capitalise(text)
    end = CLAUSE_END.search(text, 12)
    if end:
        text = text[: end.start()]
    if len(text) > TITLE_WIDTH:
        folded = fold(text)
        clauses = [m.start() for m in SOFT_BREAK.finditer(text) if m.start() >= 30
                   and VERBS.match(folded, m.end())]  # ", phối hợp với …": a new clause
        commas = [m.start() for m in SOFT_BREAK.finditer(text) if 30 <= m.start() <= TITLE_WIDTH]
        clauses += [m.start() for m in TIME_BREAK.finditer(text) if m.start() >= 30]
        clauses.sort()
        text = text[: clauses[0]] if clauses and clauses[0] <= TITLE_WIDTH + 30 else \
            text[: commas[-1]] if commas else text[:TITLE_WIDTH].rsplit(" ", 1)[0]
    words = text.rstrip(" ,.;:").split()
    while len(words) > 3 and (words[-1].lower().strip(",") in DANGLING or
                              " ".join(words[-2:]).lower() == "một số"):
        words.pop()
    return " ".join(words).rstrip(" ,.;:-")
