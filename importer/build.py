"""One directive file to a draft: header, upper directives, recipients, tasks.

Everything the importer decides carries the line it read and, where it guessed, a
review note; the draft is a starting point for a person, never loaded unseen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from importer.agencies import SECRETARIAT, Matcher, subject
from importer.header import Found, Header, read_header, reference_sentences
from importer.layout import Block, Layout, Section, layout_of
from importer.references import FoundReference, references_in
from importer.registry import AgencyFile, Directory, slug
from importer.source import ImportProblem, read_lines
from importer.tasks import AGENCY_HEADS, Context, TaskDraft, tasks_of
from importer.textkey import capitalise, expand, fold, key
from workflow.definitions.fieldreader import CODE_PATTERN
from workflow.definitions.specs import Calendar

SKIP_RECIPIENTS = {"luu", "nhu", "ct", "pct", "chu", "tt", "tttu", "thuong", "lanh", "vp", "van",
                   "website", "cong", "cv", "bt", "btc"}
ROUTING = re.compile(r"\(\s*qua\s+([^)]+)\)", re.IGNORECASE)


@dataclass
class NewAgency:
    code: str
    name: str
    level: str
    line: int | None
    review: str


@dataclass
class Reference:
    found: FoundReference
    issuer: str | None
    line: int | None
    review: str | None = None


@dataclass(frozen=True)
class Hints:
    """What the person importing knows that the document does not say: a text copied
    from a web page or an e-mail often starts at "Kính gửi" (`--year`, `--issuer`,
    `--kind`, `--date` on the command line and in the browser's intake form)."""

    year: int | None = None
    issuer: str | None = None
    kind: str | None = None
    date: str | None = None


@dataclass
class Draft:
    source: Path
    code: str
    header: Header
    references: list[Reference]
    tasks: list[TaskDraft]
    secretariat: Found
    chair: Found
    calendar: Calendar
    registry: AgencyFile | None
    new_agencies: list[NewAgency] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    recipients_review: str | None = None
    notes: list[str] = field(default_factory=list)  # what was read and not made a task
    unplaced: list[str] = field(default_factory=list)  # what could not be placed
    ad_hoc: list[str] = field(default_factory=list)
    footnotes: list[tuple[str, str, int]] = field(default_factory=list)


def build_draft(path: Path, directory: Directory, code: str | None = None,
                calendar_code: str = "default", hints: Hints | None = None) -> Draft:
    if code is not None and not CODE_PATTERN.match(code):
        raise ImportProblem(f"--code '{code}' không phải mã hợp lệ (chỉ gồm chữ thường "
                            "không dấu, chữ số, '.' và '-')")
    lines = read_lines(path)
    layout = layout_of(lines)
    header = read_header(layout.header, layout.preamble, layout.signature)
    if not layout.root.children and header.number.value is None and header.date.value is None:
        raise ImportProblem(f"{path}: không nhận ra cấu trúc văn bản (không có dòng 'Số:', "
                            "dòng ngày tháng, hay các mục I., 1., -); không ghi gì")
    calendar = directory.calendars.get(calendar_code)
    if calendar is None:
        raise ImportProblem(f"không có lịch '{calendar_code}' trong thư mục danh mục "
                            "(cần một tệp có kind: calendar)")
    registry = directory.for_place(header.place.value or "", _place_in(header.issuer.value))
    level = _level(header.issuer.value)
    matcher = Matcher(registry, header.issuer.value, level)
    draft = Draft(path, "", header, [], [], Found(None), Found(None), calendar, registry)
    _canonical_issuer(draft, matcher)
    if registry is None:
        draft.unplaced.append(f"không có tệp cơ quan nào của địa bàn "
                              f"'{header.place.value}': mọi cơ quan đều là mới")
    draft.chair = _chair(draft, matcher, level)
    draft.secretariat = _secretariat(draft, layout, matcher, level)
    draft.references = _references(layout, draft, matcher)
    recipients, review = _recipients(layout, draft, matcher)
    draft.recipients, draft.recipients_review = recipients, review
    context = Context(matcher, calendar, recipients, review,
                      lambda name, line: _new_agency(draft, name, line, level or "huyen"),
                      secretariat=draft.secretariat.value)
    draft.tasks = tasks_of(layout.root, context)
    if not draft.tasks:
        raise ImportProblem(f"{path}: không tìm thấy nhiệm vụ (không có mục đánh số hay "
                            "gạch đầu dòng sau phần đầu); không ghi gì")
    _fill_missing(draft, context)
    draft.notes += context.notes
    draft.ad_hoc = context.ad_hoc
    draft.footnotes = [(b.label, b.text, b.first) for b in layout.footnotes]
    draft.code = code or _draft_code(draft)
    if draft.code in directory.directives:
        draft.unplaced.append(f"văn bản '{draft.code}' đã có trong "
                              f"{directory.directives[draft.code]}: nạp cả hai sẽ lỗi; "
                              "hãy chọn --code khác hoặc thay tệp đó")
    return draft


def _place_in(issuer: str | None) -> str:
    words = (issuer or "").split()
    for index, word in enumerate(words):
        if word.lower() in {"huyện", "tỉnh", "phố", "quận", "xã"} and index + 1 < len(words):
            return " ".join(words[index + 1:])
    return ""


def _level(issuer: str | None) -> str | None:
    folded = f" {key(issuer or '')} "
    if any(word in folded for word in (" huyen ", " quan ", " thi xa ")):
        return "huyen"
    if any(word in folded for word in (" tinh ", " thanh pho ")):
        return "tinh"
    if any(word in folded for word in (" xa ", " phuong ", " thi tran ")):
        return "xa"
    return None


def _whole(matcher: Matcher, phrase: str) -> str | None:
    """The registry code a phrase names as a whole, if it does."""
    words, mentions = matcher.find(phrase)
    if len(mentions) == 1 and mentions[0].named and mentions[0].start == 0 \
            and mentions[0].end == len(words):
        return mentions[0].target
    return None


def _canonical_issuer(draft: Draft, matcher: Matcher) -> None:
    issuer = draft.header.issuer
    if issuer.value is None or draft.registry is None:
        return
    code = _whole(matcher, issuer.value)
    if code and code in draft.registry.agencies:
        name = draft.registry.agencies[code].name
        review = issuer.review if name == issuer.value else \
            f"'{issuer.value}' được hiểu là '{name}' trong danh mục"
        draft.header.issuer = Found(name, issuer.line, review)


def _chair(draft: Draft, matcher: Matcher, level: str | None) -> Found:
    registry = draft.registry
    if registry is None or draft.header.issuer.value is None:
        return Found(None)
    code = _whole(matcher, draft.header.issuer.value)
    if code in registry.agencies and key(registry.agencies[code].name).startswith("uy ban"):
        return Found(code, draft.header.issuer.line)
    for agency in registry.agencies.values():
        if key(agency.name).startswith("uy ban nhan dan") and agency.level == level:
            return Found(agency.code, None, f"Trưởng Ban: {agency.name}, Ủy ban "
                                            "nhân dân cùng cấp với cơ quan ban hành")
    return Found(None)


def _secretariat(draft: Draft, layout: Layout, matcher: Matcher, level: str | None) -> Found:
    """The report recipient: '(qua Phòng Lao động - Thương binh và Xã hội)'."""
    blocks = list(layout.preamble) + layout.closing + _all_blocks(layout.root)
    for block in blocks:
        for match in ROUTING.finditer(block.text):
            mentions = [m for m in subject(matcher, match.group(1)) if m.named
                        and m.target != SECRETARIAT]
            if mentions:
                return Found(mentions[0].target, block.first)
    registry = draft.registry
    if registry is not None:
        for agency in registry.agencies.values():
            if "lao dong thuong binh va xa hoi" in key(agency.name) and agency.level == level:
                return Found(agency.code, None, f"văn bản không ghi '(qua …)': coi "
                                                f"{agency.name} là cơ quan thường trực như "
                                                "thường lệ")
    return Found(None, None, "không tìm thấy cơ quan thường trực")


def _all_blocks(section: Section) -> list[Block]:
    blocks = list(section.items)
    for child in section.children:
        blocks += _all_blocks(child)
    return blocks


def _references(layout: Layout, draft: Draft, matcher: Matcher) -> list[Reference]:
    result: list[Reference] = []
    seen: set[str] = set()
    for text, line in reference_sentences(layout.preamble):
        for found in references_in(text):
            if found.number in seen:
                continue
            seen.add(found.number)
            reference = _reference(found, line, draft, matcher)
            if reference is not None:
                result.append(reference)
    return result


def _reference(found: FoundReference, line: int, draft: Draft, matcher: Matcher
               ) -> Reference | None:
    if found.kind is None:
        draft.notes.append(f"có dẫn {found.kind_word} {found.number}: loại văn bản này "
                           f"không có trong lược đồ, không ghi vào văn bản cấp trên")
        return None
    issuer, review = _complete_issuer(found.issuer, draft, matcher)
    if found.date is None:
        review = (review + "; " if review else "") + "không có ngày ban hành"
    return Reference(found, issuer, line, review)


def _complete_issuer(issuer: str | None, draft: Draft, matcher: Matcher
                     ) -> tuple[str | None, str | None]:
    """'UBND huyện' -> this district's people's committee; 'Sở …' without a province ->
    '… tỉnh <province of the registry's locality>'."""
    if issuer is None:
        return None, "không rõ cơ quan ban hành"
    code = _whole(matcher, issuer)
    registry = draft.registry
    if code and registry is not None and code in registry.agencies:
        return registry.agencies[code].name, None
    long = expand(issuer)
    folded = key(long)
    if registry is not None and folded.startswith(("so ", "uy ban nhan dan tinh")):
        parts = [p.strip() for p in registry.locality.split(",")]
        province = parts[-1] if parts else ""
        province = province[:1].lower() + province[1:]
        if province and key(province) not in folded:
            if folded == "uy ban nhan dan tinh":
                long = long.rsplit(" ", 1)[0]
            return f"{long} {province}", f"'{issuer}' được ghi thêm địa bàn của " \
                                         f"danh mục"
    return long, None


def _recipients(layout: Layout, draft: Draft, matcher: Matcher
                ) -> tuple[list[str], str | None]:
    """Who a task naming no one goes to: 'Kính gửi', else 'Nơi nhận'."""
    addressed = _kinh_gui(layout)
    if addressed:
        codes = _codes_for(addressed, draft, matcher, create=True)
        if codes:
            return codes, None
    entries = []
    for block in layout.recipients:
        first = fold(block.text).split(" ", 1)[0].strip(",:;.")
        if first in SKIP_RECIPIENTS:
            continue
        entries.append((block.text, block.first))
    codes = _codes_for(entries, draft, matcher, create=False)
    registry = draft.registry
    if registry is not None:
        groups = [c for c in codes if c in registry.groups]
        codes = [c for c in codes if c in groups or not any(
            c in registry.groups[g].members for g in groups)]
    codes = [c for c in codes if c != draft.chair.value]
    if codes:
        return codes, ("không có 'Kính gửi': nhiệm vụ không nêu cơ quan được giao cho danh "
                       "sách 'Nơi nhận'")
    secretariat = draft.secretariat.value
    return ([secretariat] if secretariat else []), \
        "không có nơi nhận: nhiệm vụ không nêu cơ quan được giao cho cơ quan thường trực"


def _kinh_gui(layout: Layout) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    collecting = False
    for block in layout.preamble:
        position = fold(block.text).find("kinh gui")
        if position >= 0:
            inline = block.text[position + len("kinh gui"):].strip(" :")
            if inline:
                found.append((inline, block.first))
            collecting = True
            continue
        if collecting and block.kind == "bullet":
            found.append((block.text, block.first))
        elif collecting:
            break
    return found


def _codes_for(entries: list[tuple[str, int]], draft: Draft, matcher: Matcher, create: bool
               ) -> list[str]:
    codes: list[str] = []
    for text, line in entries:
        _, mentions = matcher.find(text)
        targets = [draft.secretariat.value if m.target == SECRETARIAT else m.target
                   for m in mentions]
        targets = [t for t in targets if t]
        if not targets and create and AGENCY_HEADS.match(key(text)):
            targets = [_new_agency(draft, text.strip(" ;.,"), line, "huyen")]
        if not targets:
            draft.unplaced.append(f"nơi nhận '{text}' (dòng {line}): không có trong danh mục")
        codes += [t for t in targets if t not in codes]
    return codes


def _new_agency(draft: Draft, name: str, line: int | None, level: str) -> str:
    name = capitalise(expand(name.strip(" ;.,:")))
    for agency in draft.new_agencies:
        if key(agency.name) == key(name):
            return agency.code
    prefix = draft.registry.prefix if draft.registry and draft.registry.prefix else \
        "".join(word[0] for word in slug(draft.header.place.value or "moi").split("-"))
    base = f"{prefix}.{slug(name)[:40].strip('-')}"
    code, number = base, 2
    taken = set(draft.registry.agencies) | set(draft.registry.groups) if draft.registry \
        else set()
    while code in taken or any(a.code == code for a in draft.new_agencies):
        code, number = f"{base}-{number}", number + 1
    review = "cơ quan mới: kiểm tra tên, ghi cấp và địa chỉ thư thật"
    if key(name).startswith("cac ") or " cac " in key(name):
        review = "tên chung của nhiều cơ quan: hãy lập nhóm gồm các cơ quan thành viên"
    draft.new_agencies.append(NewAgency(code, name, level, line, review))
    return code


def _fill_missing(draft: Draft, context: Context) -> None:
    """The schema needs number, date, issuer and title: blanks become visible placeholders."""
    header = draft.header
    if header.year.value is None:
        raise ImportProblem(f"{draft.source}: không tìm thấy năm (không có 'năm YYYY' ở trích "
                            "yếu hay dòng ngày tháng); không ghi gì")
    if header.number.value is None:
        header.number = Found("/", None, "không có dòng 'Số:': chưa rõ số văn bản")
    if header.date.value is None:
        header.date = Found(header.year.value, None, "không có dòng ngày tháng: chỉ biết năm")
    if header.title.value is None:
        header.title = Found(f"(chưa có trích yếu) {draft.source.stem}", None,
                             "không có trích yếu: hãy ghi trích yếu")
    if header.issuer.value is None:
        fallback = draft.registry.name_of(draft.chair.value) if draft.registry and \
            draft.chair.value else "(chưa rõ cơ quan ban hành)"
        header.issuer = Found(fallback, None, "văn bản không ghi cơ quan ban hành")
    for task in draft.tasks:
        if not task.lead or SECRETARIAT in task.lead:
            task.lead = [c for c in task.lead if c != SECRETARIAT]
            if not task.lead:
                task.lead = [context.new_agency("Cơ quan thường trực", None)]
            task.reviews.append("nhiệm vụ này không nêu cơ quan thực hiện")


def _draft_code(draft: Draft) -> str:
    place = slug(draft.header.place.value or "") or slug(draft.header.issuer.value or "")
    return f"{place or 'van-ban'}-{draft.header.year.value}"
