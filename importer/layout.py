"""Lines to the document's structure: header, preamble, numbered sections, closing.

Real directives arrive hard-wrapped (PDF extraction breaks lines mid-sentence, even
mid-number, and leaves blank lines and page numbers inside paragraphs), so lines are
first joined into blocks: a block starts at a marker (I., 1., a), -, +, a markdown
heading or a bold line) or after a sentence that ended; anything else continues the
block before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from importer.source import Line
from importer.textkey import clean, fold

PART = re.compile(r"^(?:PHẦN\s+(?:THỨ\s+)?)?(?P<label>[A-H]|(?<=PHẦN )[IVX]{1,4}|"
                  r"(?<=PHẦN THỨ )\w+)\s*[.):](?![\\/])\s*(?P<rest>\S.*)$")  # "A. MỤC TIÊU"
# a web page's own lines around the text it shows: skip links, captions, an image's file
# name, the author and rating lines, a CMS's "Thứ ba - 19/04/2022 13:50 331 0"
PAGE_CHROME = re.compile(
    r"^(?:Nhảy đến nội dung|Skip to main content|Skip Ribbon Commands|"
    r"Đang tải (?:nội dung|dữ liệu)|Thứ\s+[2-7],|.{0,40}GMT\+\d|.*\blượt xem$|"
    r"\d+\s*/\s*\d+\s*ký tự|Ý kiến\s*\(\d*\)|"
    r"[•·]?\s*Từ khóa$|\d{3,}$|aA$|.{0,30}\d+°C|Trả lời$|Email của bạn sẽ không|"
    r"Ảnh minh họa\b|Ảnh\s*:|Nguồn\s*:|Tác giả(?: bài viết)?\s*:|Tổng số điểm của bài viết|"
    r"Click để đánh giá|Bài tin liên quan|Tin mới nhất|Tin xem nhiều|Các tin (?:tức )?khác|"
    r"Sign In$|Ngày đăng\s*:|\(?\s*Cập nhật lúc\b|[•·]?\s*(?:Đường dây nóng|Liên hệ quảng cáo|"
    r"Đặt báo|Tòa soạn)\b|[\d\s.+()-]{7,}(?:\s*-\s*\S+@\S+)?$|\S+@\S+\.\w+$|"
    r"[^\W\d_][\w ]{0,28}\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*$|"  # "Văn hoá … 06:37"
    r"(?:Thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|Chủ nhật)\s*[-–,]?\s*\d{1,2}/\d{1,2}/\d{4}\b|"
    r"(?:[A-Za-z]:\\|/)?\S*\.(?:jpe?g|png|gif|webp)$)", re.IGNORECASE)
# "Phần thứ nhất" alone, its title on the next line
LONE_PART = re.compile(r"^PHẦN\s+(?:(?:THỨ\s+)?(?P<label>NHẤT|HAI|BA|TƯ|BỐN|NĂM|SÁU)|"
                       r"(?P<roman>[IVX]{1,4}))\s*[.:]?$", re.IGNORECASE)
RULE = re.compile(r"^[-_=—–*\s]{3,}$")  # "--------", "___", "* * *": a rule, not a bullet
ROMAN = re.compile(r"^(?P<label>[IVX]{1,5})\s*(?:[.)]\s*|/\s+)(?P<rest>\S.*)$")
ARABIC = re.compile(r"^(?P<label>\d{1,2}(?:\.\d{1,2})*)\s*[.)/]\s+(?P<rest>\S.*)$")
LETTER = re.compile(r"^(?P<label>[a-zđ])\s*(?:\)\s*|/\s+)(?P<rest>\S.*)$")
BULLET = re.compile(r"^(?:[-–•✓✔►▪◦■●○➢❖]\s*|\*\s+)(?P<rest>\S.*)$")
PLUS = re.compile(r"^\+\s*(?P<rest>\S.*)$")
FOOTNOTE = re.compile(r"^(?:<sup>\s*(?P<label>\w+)\s*</sup>|\[\^(?P<label2>\w+)\]:)"
                      r"\s*(?P<rest>.*)$")
PAGE_NUMBER = re.compile(r"^(?:trang\s*)?\d{1,3}$", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?:…]['\"”’)]*$")
# a line that cannot end a paragraph or a heading: it stops on a connecting word or a dash
UNFINISHED = re.compile(r"(?:\s(?:và|của|về|với|cho|các|những|trong|tại|để|nhằm|theo|đến|từ|"
                        r"là|được|hoặc|thuộc)|\s[-–])$", re.IGNORECASE)
# a marker alone on its line ("1.", "II.", "a)", "Điều 2."), its text on the next line
LONE_MARKER = re.compile(r"^(?:[IVX]{1,5}|\d{1,2}(?:\.\d{1,2})*|[a-zđ]|Điều\s+\d{1,3})\s*[.):]$")
# "Sở Lao động" / "- Thương binh và Xã hội": the ministry's name broken at its dash
BROKEN_NAME = re.compile(r"^[-–]\s*Thương binh\b")
RANKS = {"part": 0.5, "roman": 1, "arabic": 2, "bold": 3, "letter": 4}
CLOSING_STARTS = ("tren day", "trong qua trinh", "nhan duoc", "noi nhan")


@dataclass
class Block:
    kind: str  # roman | arabic | letter | bold | bullet | plus | text | row | footnote
    label: str
    text: str
    first: int
    last: int
    markdown: int = 0  # number of '#' of a markdown heading

    @property
    def lines(self) -> str:
        return f"{self.first}" if self.first == self.last else f"{self.first}-{self.last}"


@dataclass
class Section:
    kind: str
    label: str
    title: str
    line: int
    parent: Section | None = None
    children: list[Section] = field(default_factory=list)
    items: list[Block] = field(default_factory=list)  # bullet, plus and text blocks

    @property
    def path(self) -> list[str]:
        """Labels from the top: II, 1, a; a '1.2' under '1' stands for both."""
        labels: list[str] = []
        node: Section | None = self
        while node is not None and node.kind != "root":
            if node.label and not (labels and labels[-1].startswith(f"{node.label}.")):
                labels.append(node.label)
            node = node.parent
        return labels[::-1]


@dataclass
class Layout:
    header: list[Line]  # raw lines before the first section heading
    preamble: list[Block]  # blocks before the first section heading
    root: Section
    closing: list[Block]  # "Trên đây…", "Trong quá trình…", the "./." paragraph
    recipients: list[Block]  # the "Nơi nhận" list
    signature: list[Line]  # raw lines after the recipients
    footnotes: list[Block]
    annex: list[Block] = field(default_factory=list)  # "Phụ lục" after the signature


def plain(text: str) -> str:
    """Folded text without markdown emphasis: '#### ***Nơi nhận:***' -> 'noi nhan:'."""
    return fold(text).replace("*", "").replace("_", " ").strip(" #")


def merged_rows(lines: list[Line]) -> list[Line]:
    """A markdown table row whose cells were split over lines (web crawls) made one line;
    the breaks inside a cell become ' // '."""
    lines = _bar_rows(_bar_cells(lines))
    merged: list[Line] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        raw = line.text.strip()
        if raw.startswith("|") and not raw.endswith("|") and raw.count("|") >= 1:
            parts, end = [raw], index + 1
            while end < len(lines) and end - index < 8:
                following = lines[end].text.strip()
                parts.append(following)
                end += 1
                if following.endswith("|"):
                    break
            if parts[-1].endswith("|"):
                merged.append(Line(line.number, " // ".join(parts), line.bold))
                index = end
                continue
        merged.append(line)
        index += 1
    return _unfold_columns(_unfold_layout_rows(merged))


CELL_BAR = re.compile(r"^\s*\|\s*$")
UNIT_START = re.compile(r"^(?:BAN|SỞ|PHÒNG|HỘI(?! CHỦ NGHĨA)|ĐOÀN|ĐẢNG (?:ỦY|ĐOÀN|BỘ)|"
                        r"CHI CỤC|TRUNG TÂM|VĂN PHÒNG|THƯỜNG TRỰC|CỤC|VỤ)\b")


def _bar_cells(lines: list[Line]) -> list[Line]:
    """A page that prints each table cell between lines holding only '|' (the issuer, the
    motto, 'Số:', 'Trà Vinh, ngày …', later the signature): the bars dropped, and the
    header's cells, wrapped in a narrow column ('ỦY BAN NHÂN' / 'DÂN' / 'TỈNH TRÀ VINH',
    'Số:' / '1782/QĐ-UBND'), joined back into the lines they were."""
    bars = [index for index, line in enumerate(lines) if CELL_BAR.match(line.text)]
    if len(bars) < 2:
        return lines
    out: list[Line] = []
    start, heading = 0, True
    for bar in bars:
        segment = lines[start:bar]
        filled = [line for line in segment if line.text.strip()]
        if heading and 0 < len(filled) <= 8:
            out.extend(_joined_cell(filled))
        else:
            heading = heading and not filled
            out.extend(segment)
        start = bar + 1
    return out + lines[start:]


def _joined_cell(lines: list[Line]) -> list[Line]:
    joined: list[Line] = []
    for line in lines:
        text = re.sub(r"\s*[-_=]{3,}\s*$", "", line.text.strip())
        if not text:
            continue
        if joined and _wrapped(joined[-1].text, text):
            last = joined[-1]
            joined[-1] = Line(last.number, f"{last.text} {text}", last.bold)
        else:
            joined.append(Line(line.number, text, line.bold))
    return joined


def _wrapped(before: str, after: str) -> bool:
    """Whether a cell's line goes on from the one above: lower case after it, a label
    ('Số:', 'Trà Vinh,'), or capitals after capitals unless a unit of the body above
    starts ('UBND TỈNH BẮC GIANG' / 'BAN DÂN TỘC')."""
    if before.endswith((":", ",", "-", "–")) or after[:1].islower() or after[:1].isdigit():
        return True
    if re.search(r"(?:^|\s)(?:ỦY|UỶ|UỸ|VÀ|CỦA)$", before):
        return True  # "ỦY" / "BAN NHÂN DÂN": a name wrapped after its first word
    return before.upper() == before and after.upper() == after and \
        not UNIT_START.match(after)


def _bar_rows(lines: list[Line]) -> list[Line]:
    """'BỘ NỘI VỤ | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM |': a table row copied without its
    leading bar, given it back so that it is read as a row."""
    out: list[Line] = []
    for line in lines:
        raw = line.text.strip()
        if raw.endswith("|") and not raw.startswith("|") and re.search(r"\S\s*\|\s*\S", raw):
            line = Line(line.number, f"| {raw}", line.bold)
        out.append(line)
    return out


def _unfold_columns(lines: list[Line]) -> list[Line]:
    """'Nơi nhận:          TM. BAN CHỈ ĐẠO' typed in two columns with spaces: the left
    column's lines (the recipients) first, then the right one's (the signature)."""
    start = next((i for i, line in enumerate(lines) if re.match(
        r"^\s*N[ơo]i\s+nh[ậa]n\s*:?\s{3,}\S", line.text, re.IGNORECASE)), None)
    if start is None:
        return lines
    left: list[Line] = []
    right: list[Line] = []
    for line in lines[start:]:
        parts = re.split(r"\s{3,}", line.text.strip())
        if len(parts) > 1:
            left.append(Line(line.number, parts[0], line.bold))
            right.append(Line(line.number, " ".join(parts[1:]), line.bold))
        elif line.text.startswith(("   ", "\t")) and line.text.strip() and \
                not line.text.strip().startswith(("-", "+")):
            right.append(Line(line.number, line.text.strip(), line.bold))
        else:
            left.append(line)
    return lines[:start] + left + right


def _unfold_layout_rows(lines: list[Line]) -> list[Line]:
    """'| Nơi nhận: // - Như trên; | TM. ỦY BAN … // Name |': a layout table of the
    recipients beside the signature, read as the lines a page would show; so is
    '| Kính gửi: | - Các bộ, …; |'."""
    out: list[Line] = []
    for line in lines:
        raw = line.text.strip()
        if raw.startswith("|") and re.search(r"nơi nhận|kính gửi", raw.lower()[:40]):
            for cell in raw.strip("|").split("|"):
                out.extend(Line(line.number, part.strip()) for part in cell.split(" // ")
                           if part.strip())
            continue
        out.append(line)
    return out


def blocks_of(lines: list[Line]) -> list[Block]:
    blocks: list[Block] = []
    addressing = False  # inside "Kính gửi": each recipient ends at its line's end
    fresh = False
    untitled: Block | None = None
    lone_marker = ""
    paragraphs = _blank_line_paragraphs(lines)
    after_blank = False
    for line in merged_rows(lines):
        raw = line.text.strip()
        if not raw:
            after_blank = True
            continue
        if PAGE_CHROME.match(raw):
            after_blank = True  # the page's own line parts the paragraphs around it
            continue
        parted, after_blank = after_blank and paragraphs, False
        hashes = len(raw) - len(raw.lstrip("#"))
        bold = line.bold or bool(re.match(r"^#*\s*\*\*.+\*\*\s*$", raw))
        note = FOOTNOTE.match(raw)
        if note:
            label = note.group("label") or note.group("label2") or ""
            blocks.append(Block("footnote", label, clean(note.group("rest")),
                                line.number, line.number))
            continue
        text = clean(raw.lstrip("#"))
        if not text or PAGE_NUMBER.match(text) or RULE.match(text):
            continue
        if lone_marker:
            text, lone_marker = f"{lone_marker} {text}", ""
        elif LONE_MARKER.match(text) and not addressing:
            lone_marker = text
            continue
        if BROKEN_NAME.match(text) and blocks and re.search(r"Lao động$", blocks[-1].text):
            blocks[-1].text = f"{blocks[-1].text} {text}"
            blocks[-1].last = line.number
            continue
        if text.startswith("|") and text.endswith("|") and text.count("|") >= 3:
            blocks.append(Block("row", "", text, line.number, line.number))  # a table row
            continue
        folded = plain(text)
        if "kinh gui" in folded[:20]:
            addressing = True
            blocks.append(Block("text", "", text, line.number, line.number))
            if not text.rstrip().endswith(":"):
                blocks[-1].kind = "address"
            addressing = not text.rstrip().endswith(".")
            fresh = not addressing
            continue
        if addressing:
            if folded.startswith(("thuc hien", "can cu", "theo ", "trien khai", "nham ",
                                  "de ", "ngay ", "ve viec", "tiep theo")) or len(text) > 160:
                addressing = False
                fresh = True
            elif blocks and blocks[-1].kind in ("address", "bullet") and \
                    not blocks[-1].text.rstrip().endswith((";", ".", ":")) and \
                    (text[:1].islower() or (blocks[-1].kind == "bullet"
                                            and _marker(text)[0] == "text")):
                blocks[-1].text = _join(blocks[-1].text, text)
                blocks[-1].last = line.number
                continue
            else:
                kind, label, rest = _marker(text)
                blocks.append(Block("bullet" if kind == "bullet" else "address", "",
                                    rest if kind == "bullet" else text, line.number,
                                    line.number))
                if text.rstrip().endswith("."):
                    addressing, fresh = False, True
                continue
        lone = LONE_PART.match(text)
        if lone:
            untitled = Block("part", (lone["label"] or lone["roman"]).upper(), "",
                             line.number, line.number)
            blocks.append(untitled)
            continue
        if untitled is not None:  # the title of "Phần thứ nhất" on the line below it
            untitled.text, untitled.last, untitled = text.strip("*"), line.number, None
            continue
        kind, label, rest = _marker(text)
        if fresh:  # the paragraph after the recipients starts a block of its own
            fresh = False
            blocks.append(Block(kind, label, rest, line.number, line.number, hashes))
            continue
        if kind == "text" and bold and hashes == 0 and not _continues(blocks, text):
            kind = "bold"
        if kind == "text" and hashes:
            kind = "bold"
        new_paragraph = parted and not text[:1].islower()  # a blank line before, no lower case
        if kind == "text" and _continues(blocks, text) and not new_paragraph:
            last = blocks[-1]
            last.text = _join(last.text, rest)
            last.last = line.number
            continue
        blocks.append(Block(kind, label, rest, line.number, line.number, hashes))
    return blocks


def _blank_line_paragraphs(lines: list[Line]) -> bool:
    """A web page or a markdown file set out with a blank line after each paragraph: there
    a blank line ends the paragraph ('Ảnh minh họa. Nguồn: …' / 'Văn phòng UBND tỉnh ban
    hành …'); in a PDF's text, blank lines only mark page breaks inside paragraphs."""
    filled = sum(1 for line in lines if line.text.strip())
    blank = sum(1 for before, line in pairwise(lines)
                if before.text.strip() and not line.text.strip())
    return filled >= 4 and blank * 3 >= filled


def _marker(text: str) -> tuple[str, str, str]:
    for kind, pattern in (("part", PART), ("roman", ROMAN), ("arabic", ARABIC), ("letter", LETTER),
                          ("bullet", BULLET), ("plus", PLUS)):
        match = pattern.match(text)
        if match:
            label = match.groupdict().get("label") or ""
            return kind, label, match.group("rest").strip()
    return "text", "", text


def _continues(blocks: list[Block], text: str) -> bool:
    """A line without a marker continues the block before unless a sentence ended."""
    if not blocks:
        return False
    previous = blocks[-1]
    if _capitals(text) != _capitals(previous.text) and previous.kind not in RANKS:
        return False  # "TM. ỦY BAN NHÂN DÂN" after a recipient, a name after its title
    if previous.kind == "bold" and previous.markdown:
        return False
    if previous.kind in ("address", "row", "layout"):
        return False
    starts_lower = text[:1].islower() or text[:1] in "(,;–-"
    if previous.kind in RANKS:  # a heading wraps only onto a line that goes on in lower case
        return starts_lower or UNFINISHED.search(previous.text) is not None or \
            (text[:1].isdigit() and not previous.text.endswith((".", ":")))
    return starts_lower or not SENTENCE_END.search(previous.text)


def _capitals(text: str) -> bool:
    bare = text.replace("*", "").strip()
    return any(c.isalpha() for c in bare) and bare.upper() == bare and len(bare) > 2


def _join(left: str, right: str) -> str:
    if left.endswith("-") and right[:1].isupper() and re.search(r"\d+/[A-ZĐ&-]+-$", left):
        return left + right  # "37/KH-" + "UBND ngày…": a number broken at the line end
    return f"{left} {right}"


def _mark_layout_tables(blocks: list[Block]) -> None:
    """A table that is not a task table (the header's issuer and motto, a page's metadata,
    a signature beside the recipients) is layout, not content."""
    from importer.tables import cells_of, column_roles

    index = 0
    while index < len(blocks):
        if blocks[index].kind != "row":
            index += 1
            continue
        end = index
        while end < len(blocks) and blocks[end].kind == "row":
            end += 1
        roles = column_roles(cells_of(blocks[index].text.replace(" // ", " ")))
        if not ("content" in roles.values() and "lead" in roles.values()):
            for block in blocks[index:end]:
                block.kind = "layout"
        index = end


def closes(block: Block) -> bool:
    folded = plain(block.text)
    return folded.startswith(CLOSING_STARTS) or (block.text.endswith("./.")
                                                 and block.kind in ("text", "bold"))


ATTACHED = {"ke hoach", "chuong trinh", "huong dan", "de an"}  # a plan after the decision


def _attached(block: Block) -> bool:
    """'KẾ HOẠCH' (or 'KẾ HOẠCH HÀNH ĐỘNG VỀ …' run into one block) after a decision's
    signature: the plan it issues."""
    folded = plain(block.text).strip(" .:")
    return folded in ATTACHED or (_capitals(block.text) and folded.startswith(
        tuple(f"{word} " for word in ATTACHED)))


def _signs(block: Block) -> bool:
    """'KT. CHỦ TỊCH', 'K/T TRƯỞNG BAN', 'TM. ỦY BAN NHÂN DÂN': a signature opens."""
    text = clean(block.text).replace("*", "").strip()
    return bool(re.match(r"^(?:K/?T|T/?M|T/?L|Q)\s*[.:/]?\s+\S", text)) and text.upper() == text


def layout_of(lines: list[Line]) -> Layout:
    blocks = blocks_of(lines)
    _mark_layout_tables(blocks)
    end = next((i for i, b in enumerate(blocks) if plain(b.text).startswith("noi nhan")
                or _signs(b)), len(blocks))  # the body ends where the signature opens
    first_heading = next((i for i, b in enumerate(blocks[:end])
                          if b.kind in ("part", "roman", "arabic")), None)
    if first_heading is None:  # points lettered a), b), c) at the top
        first_heading = next((i for i, b in enumerate(blocks[:end]) if b.kind == "letter"),
                             None)
    if first_heading is None:  # a letter of bullets only: the body opens at its first list
        first_heading = next((i for i, b in enumerate(blocks[:end]) if b.kind in ("bullet", "row")
                              and i and blocks[i - 1].kind in ("text", "bold")
                              and "kinh gui" not in fold(blocks[i - 1].text)), None)
    if first_heading is None:  # one paragraph: everything before the closing is preamble
        first_heading = next((i for i, b in enumerate(blocks) if i and (
            closes(b) or plain(b.text).startswith("noi nhan"))), len(blocks))
    header_end = blocks[first_heading].first if first_heading < len(blocks) else \
        (lines[-1].number + 1 if lines else 1)
    header = [line for line in lines if line.number < header_end]
    preamble = [b for b in blocks[:first_heading] if b.kind not in ("footnote", "layout")]
    body: list[Block] = []
    closing: list[Block] = []
    recipients: list[Block] = []
    annex: list[Block] = []
    footnotes = [b for b in blocks[:first_heading] if b.kind == "footnote"]
    signature_from = None
    annex_from = None
    stage = "body"
    for block in blocks[first_heading:]:
        folded = plain(block.text)
        if block.kind == "footnote":
            footnotes.append(block)
            continue
        if stage == "body" and closes(block):
            stage = "closing"
        if stage in ("body", "closing") and signature_from is None and _signs(block):
            stage = "signature"
            signature_from = block.first
        if stage in ("body", "closing") and folded.startswith("noi nhan"):
            stage = "recipients"
            inline = re.sub(r"^[*_#\s]*N[ơo]i\s+nh[ậa]n[*_\s]*:?[*_\s]*", "", block.text,
                            flags=re.IGNORECASE)
            if inline.strip(" -"):
                recipients.append(Block("bullet", "", inline.strip(" -"), block.first,
                                        block.last))
            continue
        if stage == "recipients":
            if block.kind == "bullet":
                recipients.append(block)
                continue
            stage = "signature"
            signature_from = block.first
        if stage == "signature" and (folded.startswith("phu luc") or block.kind == "row"
                                     or _attached(block)):
            stage = "annex"
            annex_from = block.first
        if stage == "body":
            body.append(block)
        elif stage == "closing":
            closing.append(block)
        elif stage == "annex":
            annex.append(block)
        elif stage == "signature" and signature_from is None:
            signature_from = block.first
    if signature_from is None and recipients:
        signature_from = recipients[-1].last + 1
    if signature_from is not None:  # "- Lưu: VT.          KT. CHỦ TỊCH": printed beside
        by_number = {line.number: line.text for line in lines}
        while re.search(r"\S(?:\s{3,}|\s+\|\s+)(?:K/?T|T/?M|T/?L|Q)\.?\s+[A-ZĐ]",
                        by_number.get(signature_from - 1, "")):
            signature_from -= 1
    signature = [line for line in merged_rows(lines) if signature_from is not None
                 and line.number >= signature_from and clean(line.text)
                 and (annex_from is None or line.number < annex_from)]
    return Layout(header, preamble, tree(body), closing, recipients, signature, footnotes,
                  annex)


def _rank(kind: str, label: str) -> float | None:
    """Roman above arabic above bold above letter; '1.2' below '1'."""
    rank = RANKS.get(kind)
    if rank is not None and kind == "arabic":
        rank += label.count(".") / 10
    return rank


def tree(blocks: list[Block]) -> Section:
    root = Section("root", "", "", 0)
    current = root
    for block in blocks:
        rank = _rank(block.kind, block.label)
        if rank is None:
            current.items.append(block)
            continue
        while current.kind != "root" and _rank(current.kind, current.label) >= rank:
            assert current.parent is not None
            current = current.parent
        section = Section(block.kind, block.label, block.text, block.first, current)
        current.children.append(section)
        current = section
    return root
