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
from workflow.fieldreader import CODE_PATTERN
from workflow.specs import Calendar

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
                calendar_code: str = "default") -> Draft:
    if code is not None and not CODE_PATTERN.match(code):
        raise ImportProblem(f"--code '{code}' is not a code (expected lowercase letters, "
                            "digits, '.' and '-')")
    lines = read_lines(path)
    layout = layout_of(lines)
    header = read_header(layout.header, layout.preamble, layout.signature)
    if not layout.root.children and header.number.value is None and header.date.value is None:
        raise ImportProblem(f"{path}: no directive structure found (no 'Số:' line, no date "
                            "line, no numbered sections I., 1., -); nothing written")
    calendar = directory.calendars.get(calendar_code)
    if calendar is None:
        raise ImportProblem(f"no calendar '{calendar_code}' under the registry folder(s) "
                            "(expected a file with kind: calendar)")
    registry = directory.for_place(header.place.value or "", _place_in(header.issuer.value))
    level = _level(header.issuer.value)
    matcher = Matcher(registry, header.issuer.value, level)
    draft = Draft(path, "", header, [], [], Found(None), Found(None), calendar, registry)
    _canonical_issuer(draft, matcher)
    if registry is None:
        draft.unplaced.append(f"no agency file under the registry has the locality "
                              f"'{header.place.value}': every agency is new")
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
        raise ImportProblem(f"{path}: no tasks found (no numbered sections or bullets after "
                            "the header); nothing written")
    _fill_missing(draft, context)
    draft.notes += context.notes
    draft.ad_hoc = context.ad_hoc
    draft.footnotes = [(b.label, b.text, b.first) for b in layout.footnotes]
    draft.code = code or _draft_code(draft)
    if draft.code in directory.directives:
        draft.unplaced.append(f"a directive '{draft.code}' is already defined in "
                              f"{directory.directives[draft.code]}: loading both fails; "
                              "choose another --code or replace that file")
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
            f"'{issuer.value}' read as the registry's '{name}'"
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
            return Found(agency.code, None, f"the committee's chair: {agency.name}, the "
                                            "people's committee at the issuer's level")
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
                return Found(agency.code, None, f"no '(qua …)' routing in the document: "
                                                f"assumed {agency.name}, the usual standing "
                                                "office of the committee")
    return Found(None, None, "no secretariat found")


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
        draft.notes.append(f"cited {found.kind_word} {found.number}: the schema has no "
                           f"document kind for it, not recorded as implemented")
        return None
    issuer, review = _complete_issuer(found.issuer, draft, matcher)
    if found.date is None:
        review = (review + "; " if review else "") + "no date found"
    return Reference(found, issuer, line, review)


def _complete_issuer(issuer: str | None, draft: Draft, matcher: Matcher
                     ) -> tuple[str | None, str | None]:
    """'UBND huyện' -> this district's people's committee; 'Sở …' without a province ->
    '… tỉnh <province of the registry's locality>'."""
    if issuer is None:
        return None, "no issuer found"
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
            return f"{long} {province}", f"'{issuer}' completed with the registry's " \
                                         f"locality"
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
        return codes, "no 'Kính gửi': tasks naming no agency go to the 'Nơi nhận' list"
    secretariat = draft.secretariat.value
    return ([secretariat] if secretariat else []), \
        "no recipients found: tasks naming no agency go to the secretariat"


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
            draft.unplaced.append(f"recipient '{text}' (line {line}): not in the registry")
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
    review = "a new agency: check the name, set the level and the real e-mail address"
    if key(name).startswith("cac ") or " cac " in key(name):
        review = "a collective name: make it a group of its member agencies"
    draft.new_agencies.append(NewAgency(code, name, level, line, review))
    return code


def _fill_missing(draft: Draft, context: Context) -> None:
    """The schema needs number, date, issuer and title: blanks become visible placeholders."""
    header = draft.header
    if header.year.value is None:
        raise ImportProblem(f"{draft.source}: no year found (no 'năm YYYY' in the title or "
                            "the date line); nothing written")
    if header.number.value is None:
        header.number = Found("/", None, "no 'Số:' line: the number is unknown")
    if header.date.value is None:
        header.date = Found(header.year.value, None, "no date line: only the year is known")
    if header.title.value is None:
        header.title = Found(f"(chưa có trích yếu) {draft.source.stem}", None,
                             "no title found: write the trích yếu")
    if header.issuer.value is None:
        fallback = draft.registry.name_of(draft.chair.value) if draft.registry and \
            draft.chair.value else "(chưa rõ cơ quan ban hành)"
        header.issuer = Found(fallback, None, "no issuer found in the document")
    for task in draft.tasks:
        if not task.lead or SECRETARIAT in task.lead:
            task.lead = [c for c in task.lead if c != SECRETARIAT]
            if not task.lead:
                task.lead = [context.new_agency("Cơ quan thường trực", None)]
            task.reviews.append("no agency found for this task")


def _draft_code(draft: Draft) -> str:
    place = slug(draft.header.place.value or "") or slug(draft.header.issuer.value or "")
    return f"{place or 'van-ban'}-{draft.header.year.value}"
