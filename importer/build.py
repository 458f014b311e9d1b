"""One directive file to a draft: header, upper directives, recipients, tasks.

Everything the importer decides carries the line it read and, where it guessed, a
review note; the draft is a starting point for a person, never loaded unseen.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from importer.agencies import SECRETARIAT, Matcher, subject
from importer.header import Found, Header, read_header, reference_sentences
from importer.layout import Block, Layout, Section, layout_of, plain
from importer.names import HEADS as NAME_HEADS
from importer.names import (
    complete,
    is_collective,
    is_generic,
    level_of,
    split_names,
    subject_phrase,
)
from importer.references import FoundReference, references_in
from importer.registry import AgencyFile, Directory, slug
from importer.source import ImportProblem, read_lines
from importer.tasks import (
    AGENCY_HEADS,
    Context,
    TaskDraft,
    annex_tasks,
    closing_tasks,
    paragraph_tasks,
    tasks_of,
    unique_codes,
)
from importer.textkey import expand, fold, key
from importer.timing import named_month, title_month
from workflow.definitions.fieldreader import CODE_PATTERN
from workflow.definitions.loader import DOCUMENT_KINDS
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
    group: bool = False  # a collective: a group whose members the secretariat fills in


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
    place: str | None = None  # the issuer's place: "xã Tân Phú"


def build_draft(path: Path, directory: Directory, code: str | None = None,
                calendar_code: str = "default", hints: Hints | None = None) -> Draft:
    if code is not None and not CODE_PATTERN.match(code):
        raise ImportProblem(f"--code '{code}' không phải mã hợp lệ (chỉ gồm chữ thường "
                            "không dấu, chữ số, '.' và '-')")
    hints = checked_hints(hints or Hints())
    lines = read_lines(path)
    layout = layout_of(lines)
    header = read_header(layout.header, layout.preamble + layout.closing, layout.signature)
    _place_the_issuer(header, layout)
    _apply_hints(header, hints)
    calendar = directory.calendars.get(calendar_code)
    if calendar is None:
        raise ImportProblem(f"không có lịch '{calendar_code}' trong thư mục danh mục "
                            "(cần một tệp có kind: calendar)")
    level = _level(header.issuer.value)
    registry = directory.for_place(header.place.value or "", _place_in(header.issuer.value),
                                   own_only=level in ("tinh", "trung-uong"))
    matcher = Matcher(registry, header.issuer.value, level)
    draft = Draft(path, "", header, [], [], Found(None), Found(None), calendar, registry)
    draft.place = issuer_place(header.issuer.value)
    _canonical_issuer(draft, matcher)
    if registry is None:
        draft.unplaced.append(f"không có tệp cơ quan nào của địa bàn "
                              f"'{header.place.value or draft.place or '?'}': mọi cơ quan "
                              "đều là mới")
    draft.chair = _chair(draft, matcher, level)
    new = partial(_new_agency, draft, matcher, level)
    draft.secretariat = _secretariat(draft, layout, matcher, level, new)
    draft.references = _references(layout, draft, matcher)
    recipients, review = _recipients(layout, draft, matcher, new)
    draft.recipients, draft.recipients_review = recipients, review
    context = Context(matcher, calendar, recipients, review, new,
                      secretariat=draft.secretariat.value, issued=header.date.value,
                      title_month=title_month(header.title.value, calendar)
                      or named_month(" ".join(b.text for b in layout.preamble), calendar))
    draft.tasks = tasks_of(layout.root, context)
    draft.tasks += annex_tasks(layout.annex, context)
    if draft.tasks:
        draft.tasks += closing_tasks(layout.closing, context, len(draft.tasks))
    if not draft.tasks:
        draft.tasks = paragraph_tasks(layout.preamble, context)
    if not draft.tasks:  # the letter's one request ends with "./.", among the closing lines
        draft.tasks = paragraph_tasks(layout.closing, context)
    unique_codes(draft.tasks)  # the body's, the annex's and the closing's tasks together
    if not draft.tasks:
        raise ImportProblem(f"{path}: không tìm thấy nhiệm vụ (không có mục đánh số, gạch "
                            "đầu dòng hay đoạn 'đề nghị …' nào giao việc); không ghi gì")
    _fill_missing(draft, context, layout)
    draft.notes += context.notes
    draft.ad_hoc = context.ad_hoc
    draft.footnotes = [(b.label, b.text, b.first) for b in layout.footnotes]
    draft.code = code or _draft_code(draft)
    if draft.code in directory.directives:
        draft.unplaced.append(f"văn bản '{draft.code}' đã có trong "
                              f"{directory.directives[draft.code]}: nạp cả hai sẽ lỗi; "
                              "hãy chọn --code khác hoặc thay tệp đó")
    return draft


HINT_DATE = re.compile(r"^(?:(?P<d>\d{1,2})/)?(?:(?P<m>\d{1,2})/)?(?P<y>\d{4})$")


def _place_the_issuer(header: Header, layout: Layout) -> None:
    """'ỦY BAN NHÂN DÂN' alone (a crawl lost the line below it): the level from the body
    ('UBND tỉnh xây dựng …') and the place from the date line ('Lạng Sơn, ngày …')."""
    issuer, place = header.issuer.value, header.place.value
    if not issuer or not place or issuer_place(issuer) or key(place) in key(issuer):
        return
    if key(issuer) not in ("uy ban nhan dan", "hoi dong nhan dan"):
        return
    short = "UBND" if key(issuer).startswith("uy ban") else "HĐND"
    for block in layout.preamble:
        match = re.search(rf"(?:{issuer}|{short})\s+(tỉnh|thành phố|huyện|quận|thị xã|xã|"
                          r"phường|thị trấn)\b", block.text, re.IGNORECASE)
        if match:
            header.issuer = Found(f"{issuer} {match.group(1).lower()} {place}",
                                  header.issuer.line, "địa bàn lấy từ dòng ngày tháng, cấp "
                                  "lấy từ phần mở đầu")
            return


def checked_hints(hints: Hints) -> Hints:
    """What the person gave, checked: one clear line for anything out of bounds."""
    if hints.year is not None and not 1990 <= hints.year <= 2100:
        raise ImportProblem(f"--year {hints.year}: cần một năm từ 1990 đến 2100")
    if hints.kind is not None and hints.kind not in DOCUMENT_KINDS:
        raise ImportProblem(f"--kind '{hints.kind}': cần một trong "
                            f"{', '.join(sorted(DOCUMENT_KINDS))}")
    issuer = hints.issuer
    if issuer is not None:
        issuer = " ".join(issuer.split())
        if not issuer or len(issuer) > 200:
            raise ImportProblem("--issuer: cần tên cơ quan ban hành, tối đa 200 ký tự")
    date = hints.date
    if date is not None:
        match = HINT_DATE.match(date.strip())
        if not match or (match["d"] and not match["m"]):
            raise ImportProblem(f"--date '{date}': cần dạng dd/mm/yyyy, mm/yyyy hoặc yyyy")
        day, month, year = int(match["d"] or 1), int(match["m"] or 1), int(match["y"])
        try:
            datetime.date(year, month, day)
        except ValueError:
            raise ImportProblem(f"--date '{date}': không có ngày này") from None
        if not 1990 <= year <= 2100:
            raise ImportProblem(f"--date '{date}': cần một năm từ 1990 đến 2100")
        date = "/".join(part for part in (
            f"{day:02d}" if match["d"] else "", f"{month:02d}" if match["m"] else "",
            str(year)) if part)
    return Hints(hints.year, issuer, hints.kind, date)


def _apply_hints(header: Header, hints: Hints) -> None:
    given = "theo thông tin người nhập cung cấp"
    if hints.issuer:
        header.issuer = Found(hints.issuer, None, given if header.issuer.value in (
            None, hints.issuer) else f"{given}; văn bản ghi '{header.issuer.value}'")
        header.issuer.review = None if header.issuer.review == given else header.issuer.review
    if hints.kind:
        header.kind = Found(hints.kind, header.kind.line)
    if hints.date:
        header.date = Found(hints.date, None, None if hints.date.count("/") == 2 else
                            "người nhập chỉ cho tháng hoặc năm ban hành")
        if header.year.review or header.year.value is None:
            header.year = Found(hints.date[-4:], None, "năm lấy theo ngày ban hành")
    if hints.year:
        header.year = Found(str(hints.year), None)


ISSUER_PLACE = re.compile(r"\b((?:xã|phường|thị trấn|đặc khu|huyện|quận|thị xã|tỉnh|"
                          r"thành phố)\s+[A-ZĐÀ-Ỹ][^\s,;.]*(?:\s+[A-ZĐÀ-Ỹ][^\s,;.]*)*)\s*$")


def issuer_place(issuer: str | None) -> str | None:
    """'Ủy ban nhân dân xã Tân Phú' -> 'xã Tân Phú'."""
    match = ISSUER_PLACE.search(issuer or "")
    return match.group(1) if match else None


def _place_in(issuer: str | None) -> str:
    words = (issuer or "").split()
    for index, word in enumerate(words):
        if word.lower() in {"huyện", "tỉnh", "phố", "quận", "xã"} and index + 1 < len(words):
            return " ".join(words[index + 1:])
    return ""


def _level(issuer: str | None) -> str | None:
    folded = f" {key(issuer or '')} "
    if folded.startswith((" bo ", " chinh phu ", " trung uong ")):
        return "trung-uong"
    if any(word in folded for word in (" huyen ", " quan ", " thi xa ", " huyen uy ")):
        return "huyen"
    if any(word in folded for word in (" tinh ", " thanh pho ", " tinh uy ")):
        return "tinh"
    if any(word in folded for word in (" xa ", " phuong ", " thi tran ", " dac khu ")):
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


def _secretariat(draft: Draft, layout: Layout, matcher: Matcher, level: str | None,
                 new: Callable[[str, int | None], str]) -> Found:
    """The report recipient: '(qua Phòng Lao động - Thương binh và Xã hội)'."""
    blocks = list(layout.preamble) + layout.closing + _all_blocks(layout.root)
    for block in blocks:
        for match in ROUTING.finditer(block.text):
            mentions = [m for m in subject(matcher, match.group(1)) if m.named
                        and m.target != SECRETARIAT]
            if mentions:
                return Found(mentions[0].target, block.first)
            if draft.registry is None and AGENCY_HEADS.match(key(match.group(1))):
                return Found(new(match.group(1), block.first), block.first,
                             "cơ quan thường trực lấy từ '(qua …)'")
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
    seen.add(re.sub(r"\s+", "", draft.header.number.value or ""))  # never the document itself
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


def _recipients(layout: Layout, draft: Draft, matcher: Matcher,
                new: Callable[[str, int | None], str]) -> tuple[list[str], str | None]:
    """Who a task naming no one goes to: 'Kính gửi', else the closing 'Đề nghị <X> …
    thực hiện', else 'Nơi nhận'."""
    addressed = _kinh_gui(layout)
    if addressed:
        codes = _codes_for(addressed, draft, matcher, new)
        if codes:
            return codes, None
    framing = _framing_assignees(layout)
    if framing:
        codes = _codes_for(framing, draft, matcher, new)
        if codes:
            return codes, "cơ quan thực hiện lấy từ câu 'đề nghị … thực hiện các nội dung sau'"
    closing = _closing_assignees(layout)
    if closing:
        codes = _codes_for(closing, draft, matcher, new)
        if codes:
            return codes, "cơ quan thực hiện lấy từ câu 'Đề nghị … thực hiện' ở cuối văn bản"
    implementers = _implementers(layout)
    if implementers:
        codes = _codes_for(implementers, draft, matcher, new)
        if codes:
            return codes, ("cơ quan thực hiện lấy từ câu '… căn cứ chức năng, nhiệm vụ …' của "
                           "mục tổ chức thực hiện")
    entries = []
    for block in layout.recipients:
        first = fold(block.text).split(" ", 1)[0].strip(",:;.")
        if first in SKIP_RECIPIENTS:
            continue
        entries.append((block.text, block.first))
    entries = [(text, line) for text, line in entries
               if not re.search(r"\((?:để\s+)?(?:b/c|báo cáo|t/h|theo dõi|biết)\)|có tên|tại mục|"
                                r"^như\s", text, re.I)]  # "Các đơn vị có tên tại mục II"
    codes = _codes_for(entries, draft, matcher, new if draft.registry is None else None)
    registry = draft.registry
    if registry is not None:
        groups = [c for c in codes if c in registry.groups]
        codes = [c for c in codes if c in groups or not any(
            c in registry.groups[g].members for g in groups)]
    codes = [c for c in codes if c != draft.chair.value]
    if codes:
        return codes, ("không có 'Kính gửi': nhiệm vụ không nêu cơ quan được giao cho danh "
                       "sách 'Nơi nhận'")
    named = _organisation_subjects(layout)
    if named:
        codes = _codes_for(named, draft, matcher, new)
        if codes:
            return codes, "cơ quan thực hiện lấy từ mục 'Tổ chức thực hiện'"
    secretariat = draft.secretariat.value
    return ([secretariat] if secretariat else []), \
        "không có nơi nhận: nhiệm vụ không nêu cơ quan được giao cho cơ quan thường trực"


def _kinh_gui(layout: Layout) -> list[tuple[str, int]]:
    """The recipients after 'Kính gửi', each ending at its line's end or ';'."""
    found: list[tuple[str, int]] = []
    collecting = False
    for block in layout.preamble:
        folded = plain(block.text)
        position = folded.find("kinh gui")
        if position >= 0 and position < 20:
            inline = re.sub(r"^.*?[Kk]ính\s+gửi\s*[*_]*\s*:?\s*[*_]*", "", block.text).strip()
            if inline:
                found.append((inline, block.first))
            collecting = True
            continue
        if collecting and block.kind in ("bullet", "address"):
            found.append((block.text, block.first))
        elif collecting:
            break
    return found


# the verbs after which a request names who does the work ("Đề nghị X tổ chức triển khai …")
_ASKED = (r"(?:căn cứ|tổ chức|triển khai|quan tâm|nghiêm túc|khẩn trương|thực hiện|chỉ đạo|"
          r"tập trung)")
CLOSING_ASSIGNEES = re.compile(
    rf"(?:^|[.:;,]\s+)[Đđ]ề nghị\s+(?P<who>[^.;:]{{4,200}}?)\s+{_ASKED}\b")
FRAMING = re.compile(
    rf"(?:[Đđ]ề nghị|yêu cầu|hướng dẫn)\s+(?P<who>[^\s,.;:][^.;:]{{3,159}}?)\s+{_ASKED}\b"
    r"[^.;]*?(?:sau|như sau)\s*:\s*$")


def _framing_assignees(layout: Layout) -> list[tuple[str, int]]:
    """'Đề nghị Ủy ban nhân dân các xã, phường thực hiện một số nội dung sau:': the
    letter's own framing names who does the points below."""
    return _asked_of(reversed(layout.preamble), FRAMING)


def _organisation_subjects(layout: Layout) -> list[tuple[str, int]]:
    """'III. TỔ CHỨC THỰC HIỆN / Hội LHPN các tỉnh, thành phố căn cứ Hướng dẫn …': the
    bodies an organisation section's paragraphs open with do the letter's work."""
    found: list[tuple[str, int]] = []
    for section in layout.root.children:
        if not any(word in key(section.title) for word in ("to chuc thuc hien", "trach nhiem")):
            continue
        for block in section.items:
            subject_found = subject_phrase(block.text)
            if subject_found and not is_generic(subject_found[0]):
                found.append((subject_found[0], block.first))
    return found


IMPLEMENTERS = re.compile(r"^(?P<who>[^.;:]{4,200}?)\s+căn cứ\s+(?:vào\s+)?chức năng",
                          re.IGNORECASE)


def _implementers(layout: Layout) -> list[tuple[str, int]]:
    """'Các sở, ban, ngành tỉnh, UBND các huyện căn cứ chức năng, nhiệm vụ xây dựng kế
    hoạch triển khai thực hiện': in a plan, the bodies that carry out its content points."""
    def walk(section: Section) -> Iterable[Block]:
        yield Block("text", section.label, section.title, section.line, section.line)
        yield from section.items
        for child in section.children:
            yield from walk(child)

    return _asked_of(walk(layout.root), IMPLEMENTERS)  # anchored: a paragraph's opening


def _closing_assignees(layout: Layout) -> list[tuple[str, int]]:
    """'Đề nghị thành viên Ban … và Ban … các xã, thị trấn tổ chức triển khai thực hiện'."""
    # "Trong quá trình … đề nghị các sở, ngành kịp thời phản ánh": not who does the work
    return _asked_of((b for b in layout.closing
                      if not plain(b.text).startswith("trong qua trinh")), CLOSING_ASSIGNEES)


def _asked_of(blocks: Iterable[Block], pattern: re.Pattern[str]) -> list[tuple[str, int]]:
    """The first block whose request names a list of bodies, not 'các cơ quan, đơn vị'."""
    for block in blocks:
        for match in pattern.finditer(block.text):
            if is_generic(match.group("who")):
                continue
            names = split_names(match.group("who"))
            if names and all(NAME_HEADS.match(key(n)) and len(n.split()) <= 18 for n in names):
                return [(match.group("who"), block.first)]
    return []


def _codes_for(entries: list[tuple[str, int]], draft: Draft, matcher: Matcher,
               new: Callable[[str, int | None], str] | None) -> list[str]:
    codes: list[str] = []
    for text, line in entries:
        for name in split_names(text) or [text]:
            _, mentions = matcher.find(name)
            targets = [draft.secretariat.value if m.target == SECRETARIAT else m.target
                       for m in mentions]
            targets = [t for t in targets if t]
            if not targets and new is not None and not is_generic(name) and (
                    NAME_HEADS.match(key(name)) or is_collective(name)):
                targets = [new(name, line)]
            if not targets:
                draft.unplaced.append(f"nơi nhận '{name}' (dòng {line}): không có trong "
                                      "danh mục")
            codes += [t for t in targets if t not in codes]
    return codes


def _new_agency(draft: Draft, matcher: Matcher, issuer_level: str | None, name: str,
                line: int | None) -> str:
    """An agency (or, for a collective, a group) the registry lacks, at the level its name
    says, added to the draft's agencies file and learnt for later sentences."""
    name = re.sub(r"^(?:Trưởng|Thủ trưởng|Lãnh đạo|Chủ tịch)(?:\s+[a-zà-ỹđ]+){0,2}?\s+(?=các\s)",
                  "", name.strip())  # "Trưởng thôn các thôn" -> "các thôn"
    name = re.sub(r"^[Cc]ác\s+(?=thành viên\b)", "", name)
    name = complete(name, draft.place, issuer_level)
    if key(name) in ("cac thanh vien ban", "thanh vien ban") and draft.place:
        name = f"Thành viên Ban Vì sự tiến bộ của phụ nữ {draft.place}"
    for agency in draft.new_agencies:
        if key(agency.name) == key(name):
            return agency.code
    prefix = draft.registry.prefix if draft.registry and draft.registry.prefix else \
        "".join(word[0] for word in slug(draft.place or draft.header.place.value
                                         or "moi").split("-"))
    base = f"{prefix}.{slug(name)[:40].strip('-')}"
    code, number = base, 2
    taken = set(draft.registry.agencies) | set(draft.registry.groups) if draft.registry \
        else set()
    while code in taken or any(a.code in (code, f"{code}.1") for a in draft.new_agencies):
        code, number = f"{base}-{number}", number + 1
    level = level_of(name, issuer_level)
    collective = is_collective(name)
    review = "cơ quan mới: kiểm tra tên, ghi cấp và địa chỉ thư thật"
    if collective:
        review = (f"tên chung của nhiều cơ quan (cấp {LEVEL_WORDS.get(level, level)}): đã lập "
                  "nhóm với một thành viên giữ chỗ; hãy thay bằng các cơ quan thành viên")
    draft.new_agencies.append(NewAgency(code, name, level, line, review, collective))
    matcher.learn(code, name, draft.place.split(" ", 1)[1] if draft.place and " " in
                  draft.place else None)
    return code


LEVEL_WORDS = {"xa": "xã", "huyen": "huyện", "tinh": "tỉnh", "trung-uong": "trung ương"}


YEAR_WORDS = re.compile(r"(?<!đến )(?<!tới )\bnăm\s+(\d{4})\b")
DATED = re.compile(r"\b\d{1,2}/\d{1,2}/(\d{4})\b")


def _fill_missing(draft: Draft, context: Context, layout: Layout) -> None:
    """The schema needs number, date, issuer, year and title: what the document does not
    give becomes a visible placeholder marked for review, never a refusal."""
    header = draft.header
    if header.year.value is None:
        text = " ".join(b.text for b in layout.preamble) + " " + \
            " ".join(t.text for t in draft.tasks)
        # "… năm 2024" says the work's year; a full date is mostly a cited document's
        years = YEAR_WORDS.findall(text) or DATED.findall(text)
        if years:
            common = max(sorted(set(years)), key=years.count)
            header.year = Found(common, None, f"năm lấy theo nội dung ('năm {common}')")
        else:
            header.year = Found(str(datetime.date.today().year), None,
                                "văn bản không ghi năm: lấy năm hiện tại")
    _drop_earlier_years(draft, int(header.year.value or 0))
    _drop_past_periods(draft)
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
                task.lead = [draft.secretariat.value] if draft.secretariat.value else \
                    [context.new_agency("Cơ quan thường trực", None)]
            task.reviews.append("nhiệm vụ này không nêu cơ quan thực hiện")


def _drop_earlier_years(draft: Draft, year: int) -> None:
    """A date of an earlier year than the directive's is quoted, not asked (the loader
    would refuse it as before the issue date)."""
    def earlier(due: object) -> bool:
        return isinstance(due, str) and due.count("/") == 2 and int(due[-4:]) < year

    for task in draft.tasks:
        kept = [e for e in task.recurs if not (isinstance(e, dict) and earlier(e.get("due")))]
        dropped = len(task.recurs) - len(kept)
        if earlier(task.due):
            task.due, dropped = None, dropped + 1
        if dropped:
            task.recurs = kept
            task.reviews.append(f"hạn của năm trước năm {year}: là trích dẫn, không lập lịch")


def _drop_past_periods(draft: Draft) -> None:
    """'báo cáo 6 tháng' in a letter of October: this year's half-year report date is
    past when it is issued, so the loader would refuse it; the period is left out."""
    issued, year = draft.header.date.value or "", draft.header.year.value or ""
    if issued.count("/") != 2 or not year.isdigit():
        return
    day, month, issue_year = (int(part) for part in issued.split("/"))
    defaults = {p.code: p.due for p in draft.calendar.report_periods}
    for task in draft.tasks:
        kept = []
        for entry in task.recurs:
            period = entry.get("period") if isinstance(entry, dict) else entry
            due = entry.get("due") if isinstance(entry, dict) else None
            when = None
            if period in defaults and (due is None or due.count("/") == 1):
                due_day, due_month = (int(x) for x in due.split("/")) if due else \
                    defaults[period]
                when = (int(year), due_month, due_day)
            if when is not None and when < (issue_year, month, day):
                task.reviews.append(f"kỳ báo cáo {period} của năm {year} đã qua khi ban hành: "
                                    "không lập lịch")
                continue
            kept.append(entry)
        task.recurs = kept


def _draft_code(draft: Draft) -> str:
    place = slug(draft.header.place.value or "") or slug(draft.place or "") or \
        slug(draft.header.issuer.value or "")
    return f"{place or 'van-ban'}-{draft.header.year.value}"
