"""The document's identity: number (Số), place and date, kind, title (trích yếu), issuer,
year and signer, read from the lines above the first section and below the last.

Blanks are normal: a directive is often drafted with "Số:      /KH-UBND" and
"ngày   tháng 4 năm 2022" to be filled in when it is signed; those come out as a blank
number and a partial date, flagged for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from importer.layout import UNFINISHED, Block, merged_rows
from importer.names import COMPOUND
from importer.source import Line
from importer.textkey import capitalise, clean, expand, key, sentence_case

# "Số: 4155QĐ/ BTP": the code's kind typed before the bar, the issuer after a space
RUN_ON_NUMBER = re.compile(r"Số\s*:?\s*(\d+)\s*([A-ZĐ]{2,4})\s*/\s+([A-ZĐ&-]{2,12})\b")
NUMBER = re.compile(r"Số\s*:?\s*(?P<serial>\d*[a-zA-Z]?(?:-[A-ZĐ]{1,5})?)\s*/\s*"
                    r"(?P<code>[^\s,]+)")  # "Số: 37/KH-UBND", "Số 12-HD/BTGDV"
DATE = re.compile(r",\s*ngày\s*(?:(?P<day>\d{1,2})?\s*tháng\s*(?P<month>\d{1,2})?\s*năm\s*"
                  r"(?P<year>\d{4})|(?P<day2>\d{1,2})\s*[/.-]\s*(?P<month2>\d{1,2})\s*[/.-]\s*"
                  r"(?P<year2>\d{4}))", re.IGNORECASE)
MOTTO = re.compile(r"ĐẢNG\s+CỘNG\s+SẢN\s+VIỆT\s+NAM|"
                   r"(?:C[ỘO]NG\s+)?H[ÒOÀ]+A?\s+XÃ\s+HỘI\s+CHỦ\s+NGHĨA(?:\s+VIỆT\s+NAM)?|"
                   r"Độc\s+lập\s*-\s*Tự\s+do\s*[-–]\s*Hạnh\s+phúc|^[-_=|\s]+$|^VIỆT NAM$|"
                   r"^C[ỘO]NG$", re.IGNORECASE)
# what may stand before the date line's ", ngày": nothing, or the place ("Hậu Giang",
# "Phan Rang-Tháp Chàm", "TP. Hồ Chí Minh"); ", ngày 14 tháng 7 năm 2014, Bộ … đã ban
# hành" inside a sentence is a cited date, never the document's
PLACE_ONLY = re.compile(r"[\s—–|,;-]*(?:(?:[A-ZĐÀ-Ỹ][\w.\-–]*|thành|phố|thị|xã|trấn|phường|"
                        r"huyện|tỉnh|quận)\s*){0,7}")
# "4781/BVHTTDL-GĐ" alone on a page's first line: the number without its "Số:"
BARE_NUMBER = re.compile(r"^\d{1,6}[a-zA-Z]?/[A-ZĐ][A-ZĐ&.]*(?:-[A-ZĐ&.]+)+$")
# "Công văn số 85-CV/BDVTU ngày 15/6/2023 của Ban Dân vận Tỉnh ủy về việc …": a web page's
# title line, the only place a copied letter may give its number and date
PAGE_TITLE = re.compile(
    r"^(?P<kind>Công văn|Kế hoạch|Hướng dẫn|Quyết định|Thông báo|Chỉ thị|Chương trình|"
    r"Thông tri|Nghị quyết)\s+(?:số\s+)?(?P<number>[\w.-]*\d[\w.-]*/[\wĐđ&/.-]+)\s+"
    r"ngày\s+(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4})\s+của\s+"
    r"(?P<issuer>[^:;]{3,100}?)\s+(?:về việc|V/v|về)\s+(?P<title>.+)$", re.IGNORECASE)
META_KEYS = {"so hieu", "loai van ban", "noi ban hanh", "nguoi ky", "ngay ban hanh",
             "ngay hieu luc", "co quan ban hanh", "linh vuc", "tinh trang", "ngay dang",
             "trich yeu", "ngay cong bo", "tinh trang hieu luc", "chuc vu"}
BREADCRUMB = re.compile(r"\s>\s|^Trang chủ\b", re.IGNORECASE)
KIND_WORDS = {
    "KẾ HOẠCH": "ke-hoach", "CHƯƠNG TRÌNH": "chuong-trinh", "CÔNG VĂN": "cong-van",
    "QUYẾT ĐỊNH": "quyet-dinh", "CHỈ THỊ": "chi-thi", "THÔNG TRI": "thong-tri",
    "NGHỊ QUYẾT": "nghi-quyet", "HƯỚNG DẪN": "huong-dan", "THÔNG BÁO": "thong-bao",
}
NUMBER_CODES = {"KH": "ke-hoach", "CTR": "chuong-trinh", "QĐ": "quyet-dinh", "CT": "chi-thi",
                "NQ": "nghi-quyet", "HD": "huong-dan", "TB": "thong-bao", "TTR": "thong-tri"}
ISSUER_HEADS = r"(?:Ủy ban|Uỷ ban|UBND|Ban|Sở|Phòng|Hội|Thường trực|Bộ|Công an|Trung tâm|" \
               r"Đảng ủy|Tỉnh ủy|Huyện ủy|Thành ủy|Đoàn|Liên đoàn|Văn phòng)"
UPPER_ABBREVIATIONS = (("UBND", "ỦY BAN NHÂN DÂN"), ("MTTQ", "MẶT TRẬN TỔ QUỐC"),
                       ("LHPN", "LIÊN HIỆP PHỤ NỮ"), ("HĐND", "HỘI ĐỒNG NHÂN DÂN"),
                       ("BVSTBPN", "BAN VÌ SỰ TIẾN BỘ CỦA PHỤ NỮ"))
# a body of the parent above it: "ỦY BAN MTTQ … XÃ PHÚ LỘC" over "BAN THƯỜNG TRỰC"
BODY_OF = re.compile(r"^(?:Ban thường trực|Ban thường vụ|Ban chấp hành|Đảng đoàn|"
                     r"Đoàn chủ tịch|Thường trực|Ban thư ký)$", re.IGNORECASE)
ISSUER_CLAUSE = re.compile(rf"(?:^|[,.:]\s+)(?P<who>{ISSUER_HEADS}(?:{COMPOUND.pattern}|[^,.;:])"
                           r"{0,120}?)\s+(?:(?:trân trọng|kính|xin|đã)\s+)?"
                           r"(?i:ban hành|xây dựng kế hoạch|xây dựng chương trình|đề nghị|"
                           r"hướng dẫn|triển khai|yêu cầu|giao)\b")
UNIT_LINE = r"(?:Sở|Phòng|Ban|Hội|Trung tâm|Văn phòng|Chi cục|Cục)\b"
# the proposal a decision answers, never what it implements
PROPOSAL = re.compile(r"[;,.]?\s*\b(?:Xét|Theo)\s+(?:đề nghị|đề xuất|tờ trình)\b", re.IGNORECASE)
REFERENCE_START = re.compile(r"\b(?:Thực hiện|Căn cứ|Triển khai|Theo hướng dẫn|Theo chỉ đạo|"
                             r"Tiếp theo|Hướng dẫn thực hiện|[Tt]heo yêu cầu của|Trên cơ sở|"
                             r"(?<=nêu rõ, )(?:thực hiện|căn cứ)|"  # "… nêu rõ, thực hiện …"
                             # "Ngày 20/01/2018, Ban Bí thư … đã ban hành Chỉ thị số …"
                             r"Ngày\s+\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}\s*,"
                             r"(?=[^.]*\bđã ban hành\b))")
# the line under a decision's title that names who decides ("ỦY BAN NHÂN DÂN TỈNH …",
# "CHỦ TỊCH ỦY BAN NHÂN DÂN …", "BỘ TRƯỞNG BỘ TƯ PHÁP"), where a wrapped title stops
AUTHORITY_LINE = re.compile(r"^(?:Ủ?Y BAN|UỶ BAN|UBND|CHỦ TỊCH|BỘ TRƯỞNG|THỦ TƯỚNG|GIÁM ĐỐC|"
                            r"TRƯỞNG BAN|BAN (?!HÀNH)|HỘI ĐỒNG|BỘ |SỞ |PHÒNG |ĐẢNG ỦY|"
                            r"THƯỜNG TRỰC|KÍNH GỬI|CĂN CỨ)")
NEWS_KIND = re.compile(r"\b(?:vừa|đã)\s+ban hành\s+(?P<kind>kế hoạch|hướng dẫn|quyết định|"
                       r"thông báo|chỉ thị|chương trình)\b", re.IGNORECASE)
# a page that reports the directive: "Văn phòng UBND tỉnh ban hành Công văn số 635/VP-KGVX,
# ngày 24/2/2021 …", "Ngày 04/3/2022, Ủy ban nhân dân tỉnh ban hành Kế hoạch số 38/KH-UBND"
NEWS_LEAD = re.compile(
    r"(?:^|[;.]\s+)(?:\([^)]{2,30}\)\s*[-–]\s*)?"  # "(Tổ Quốc) - ": a newspaper's tag
    r"(?:[Nn]gày\s+(?P<d1>\d{1,2})\s*/\s*(?P<m1>\d{1,2})\s*/\s*(?P<y1>\d{4}),?\s*)?"
    r"(?P<issuer>[^,.;:()]{3,80}?)\s+(?:vừa\s+|đã\s+)?ban hành\s+"
    r"(?P<kind>Công văn|Kế hoạch|Hướng dẫn|Quyết định|Thông báo|Chỉ thị|Chương trình|"
    r"văn bản)\s+(?:số\s+)?(?P<number>\d[\w.-]*/[\wĐđ&/.-]+?)[.,]?"
    r"(?:,?\s+ngày\s+(?P<d2>\d{1,2})\s*/\s*(?P<m2>\d{1,2})(?:\s*/\s*(?P<y2>\d{4}))?)?"
    r"(?=[\s,.]|$)")


@dataclass
class Found:
    """One extracted value with the line it came from and why it may need review."""

    value: str | None
    line: int | None = None
    review: str | None = None


@dataclass
class Header:
    number: Found = field(default_factory=lambda: Found(None))
    date: Found = field(default_factory=lambda: Found(None))
    place: Found = field(default_factory=lambda: Found(None))
    kind: Found = field(default_factory=lambda: Found(None))
    title: Found = field(default_factory=lambda: Found(None))
    issuer: Found = field(default_factory=lambda: Found(None))
    year: Found = field(default_factory=lambda: Found(None))
    signer: Found = field(default_factory=lambda: Found(None))


def bare(text: str) -> str:
    """A line without markdown: headings, emphasis, table bars at its ends."""
    text = clean(text.strip().lstrip("#"))
    text = re.sub(r"(?<![\w/])[*_]+|[*_]+(?![\w])", "", text)
    return text.strip(" |")


def header_lines(header: list[Line]) -> list[tuple[int, str]]:
    """The header's lines in reading order: a layout table (issuer | motto) read column
    by column, a web page's metadata table and breadcrumb left out."""
    out: list[tuple[int, str]] = []
    table: list[tuple[int, list[str]]] = []

    def flush() -> None:
        firsts = [key(cells[0]) for _, cells in table if cells]
        if sum(1 for first in firsts if first in META_KEYS) < 2:  # not a page's metadata
            for column in range(max((len(cells) for _, cells in table), default=0)):
                for number, cells in table:
                    if column < len(cells):
                        out.extend((number, part) for part in
                                   (bare(p) for p in cells[column].split(" // ")) if part)
        table.clear()

    for line in merged_rows(header):
        raw = line.text.strip()
        if raw.startswith("|") and raw.count("|") >= 2:
            cells = [c.strip() for c in raw.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                continue
            table.append((line.number, cells))
            continue
        flush()
        text = bare(raw)
        if text and not BREADCRUMB.search(text):
            out.append((line.number, text))
    flush()
    return out


def _page_title(lines: list[tuple[int, str]], result: Header) -> None:
    for number, text in lines:
        match = PAGE_TITLE.match(text)
        if not match:
            continue
        if result.number.value is None:
            result.number = Found(match["number"], number)
        if result.date.value is None:
            result.date = Found(f"{int(match['d']):02d}/{int(match['m']):02d}/{match['y']}",
                                number)
        if result.kind.value is None or result.kind.review:
            result.kind = Found(KIND_WORDS.get(match["kind"].upper(), "cong-van"), number)
        if result.title.value is None:
            result.title = Found(capitalise(match["title"].rstrip(" .")), number)
        if result.issuer.value is None:
            result.issuer = Found(match["issuer"].strip(), number)
        return


def read_header(header: list[Line], preamble: list[Block], signature: list[Line]) -> Header:
    result = Header()
    lines = header_lines(header)
    for index, (number, text) in enumerate(lines):
        if ", ngày" in text and not DATE.search(text) and index + 1 < len(lines):
            text = f"{text} {lines[index + 1][1]}"  # "…, ngày  tháng 4 năm" / "2022"
        text = RUN_ON_NUMBER.sub(r"Số: \1/\2-\3", text)
        match = NUMBER.search(text)
        if match and result.number.value is None:
            serial, code = match.group("serial"), match.group("code").rstrip(".;,")
            result.number = Found(f"{serial}/{code}", number,
                                  None if serial else "văn bản để trống số")
            text = text[: match.start()] + " " + text[match.end():]
        date = DATE.search(text)
        if date and result.date.value is None and PLACE_ONLY.fullmatch(text[: date.start()]):
            result.date = _date(date, number)
            result.place = Found(_place(text[: date.start()]), number)
        if result.number.value is None and BARE_NUMBER.match(text):
            result.number = Found(text, number, "số văn bản lấy từ dòng đầu trang")
    result.kind = _kind(lines, result.number.value)
    result.title = _title(lines, result.kind)
    page = Header()
    _page_title(lines, page)
    if page.number.value is not None:
        result.number = result.number if result.number.value else page.number
        result.date = result.date if result.date.value else page.date
        result.kind = page.kind if result.kind.review else result.kind
        result.title = result.title if result.title.value else page.title
    reported = _news_lead(preamble, result) if result.number.value is None else None
    if result.kind.review and result.number.value is None:  # "UBND tỉnh vừa ban hành kế
        # hoạch về …": a report that names neither number nor header names the kind
        named = next((m for b in preamble[:4] if (m := NEWS_KIND.search(b.text))), None)
        if named:
            result.kind = Found(KIND_WORDS[named["kind"].upper()], None,
                                "loại văn bản lấy từ câu đưa tin của trang")
    result.issuer = _issuer(lines, preamble)
    if reported and (result.issuer.value is None or result.issuer.review):
        result.issuer = reported  # the page's report names who issued the directive
    if result.issuer.value is None or result.issuer.review:
        result.issuer = page.issuer if page.issuer.value else result.issuer
    result.year = _year(result.title, result.date)
    result.signer = _signer(signature)
    return result


def _news_lead(preamble: list[Block], result: Header) -> Found | None:
    """A page that reports the directive in its first sentences gives its number, date,
    kind and issuer there; taken only when no 'Số:' line does, and marked for review.
    Returns the issuer it names."""
    for block in preamble[:6]:
        match = NEWS_LEAD.search(block.text)
        if not match:
            continue
        review = "số và ngày lấy từ câu đưa tin của trang"
        result.number = Found(match["number"].rstrip(".,"), block.first, review)
        day, month = match["d1"] or match["d2"], match["m1"] or match["m2"]
        year = match["y1"] or match["y2"] or _only_year(block.text)  # "ngày 09/5 … năm 2019"
        if day and year and result.date.value is None:
            result.date = Found(f"{int(day):02d}/{int(month):02d}/{year}", block.first, review)
        if result.kind.value is None or result.kind.review:
            kind = match["kind"].upper()
            result.kind = Found(KIND_WORDS.get(kind, "cong-van"), block.first)
        about = re.match(r"\s*(?:về việc|về)\s+(?P<title>[^.;]{8,200})", block.text[match.end():])
        if about and result.title.value is None:  # "… số 3229/UBND-KGVX về tổ chức …"
            result.title = Found(capitalise(about["title"].strip()), block.first, review)
        return Found(expand(match["issuer"].strip()), block.first,
                     "cơ quan ban hành lấy từ câu đưa tin của trang")
    return None


def _only_year(text: str) -> str | None:
    years = set(re.findall(r"\bnăm (\d{4})\b", text))
    return years.pop() if len(years) == 1 else None


def _date(match: re.Match[str], line: int) -> Found:
    day, month = match.group("day") or match.group("day2"), match.group("month") or \
        match.group("month2")
    year = match.group("year") or match.group("year2")
    if day and month:
        return Found(f"{int(day):02d}/{int(month):02d}/{year}", line)
    if month:
        return Found(f"{int(month):02d}/{year}", line, "văn bản để trống ngày ban hành")
    return Found(year, line, "văn bản để trống ngày và tháng ban hành")


def _place(text: str) -> str | None:
    """The capitalised words just before ', ngày' ('Hà Quảng', 'Thanh Hà')."""
    words = [w for w in re.split(r"\s+", text.strip().strip(",")) if w]
    place: list[str] = []
    for word in reversed(words):
        if not word[:1].isupper() or re.search(r"[/\d]", word):
            break
        place.insert(0, word)
        if len(place) == 4:
            break
    before = words[: len(words) - len(place)]
    if place and len(before) >= 2 and " ".join(before[-2:]).lower() in PLACE_KINDS:
        place = before[-2:] + place  # "Thành phố Hồ Chí Minh"
    return " ".join(place) or None


PLACE_KINDS = {"thành phố", "thị xã", "thị trấn"}


def _kind(lines: list[tuple[int, str]], number: str | None) -> Found:
    for line, text in lines:
        bare = MOTTO.sub("", text).strip()
        if bare.upper() == bare and bare in KIND_WORDS:
            return Found(KIND_WORDS[bare], line)
    for line, text in lines:  # "HƯỚNG DẪN Tổ chức các hoạt động …": kind and title on a line
        match = KIND_AND_TITLE.match(text)
        if match:
            return Found(KIND_WORDS[match.group(1)], line)
    if number and "/" in number:
        head = number.split("/", 1)[1].split("-")[0].upper()
        if head in NUMBER_CODES:
            return Found(NUMBER_CODES[head], None, f"loại văn bản lấy theo ký hiệu '{head}' của số")
    if any(text.startswith(("V/v", "v/v")) for _, text in lines):
        return Found("cong-van", None, "công văn: phần đầu có 'V/v' và không ghi "
                                       "loại văn bản")
    return Found("cong-van", None, "không có dòng loại văn bản (KẾ HOẠCH, CHƯƠNG TRÌNH…); "
                                   "coi là công văn")


STOP_TITLE = ("Thực hiện", "Căn cứ", "Kính gửi", "Nhằm", "Để", "Triển khai", "Theo ",
              "Hướng dẫn", "Tiếp theo", "Ngày ", "Sau khi", "Trên cơ sở", "Xét ")


KIND_AND_TITLE = re.compile(r"^(" + "|".join(KIND_WORDS) + r")\s+(?=\S*[a-zà-ỹđ])(.+)$")


def _title(lines: list[tuple[int, str]], kind: Found) -> Found:
    for line, text in lines:
        match = KIND_AND_TITLE.match(text)
        if match and line == kind.line:
            return Found(match.group(2).rstrip(" ."), line)
    for index, (line, text) in enumerate(lines):
        if text.startswith(("V/v", "v/v", "V/V", "Công văn V/v", "Công văn v/v")):
            parts = [re.sub(r"^Công văn\s+", "", text)]
            for _, following in lines[index + 1:]:
                if following.startswith(STOP_TITLE) or NUMBER.search(following) or \
                        DATE.search(following):
                    break
                parts.append(following)
            return Found(" ".join(parts), line)
    if kind.line is not None:
        after = [(n, t) for n, t in lines if n > kind.line]
        parts, first = [], None
        for number, text in after[:4]:
            if (parts and text.startswith(STOP_TITLE)) or \
                    (text.isupper() and parts and not _title_goes_on(parts[-1], text)) or \
                    NUMBER.search(text) or DATE.search(text):
                break
            parts.append(text)
            first = first or number
            if text.endswith((".", ":")):
                break
        if parts:
            return Found(" ".join(parts).rstrip("."), first)
    return Found(None, None, "không tìm thấy trích yếu")


def _title_goes_on(before: str, text: str) -> bool:
    """'… TỈNH THÁI BÌNH,' / 'GIAI ĐOẠN 2021-2030': a title wrapped onto a second line of
    capitals, not the issuer's line that follows a decision's title."""
    return before.endswith((",", "-", "–")) or UNFINISHED.search(before) is not None or \
        not AUTHORITY_LINE.match(text)



def _party_case(parent: str) -> str:
    """'đảng ủy xã Tam Nông' -> 'Đảng ủy xã Tam Nông' as a body's name is written."""
    return parent[:1].upper() + parent[1:]


def _upper_expanded(text: str) -> str:
    for short, long in UPPER_ABBREVIATIONS:
        text = re.sub(rf"\b{short}\b", long, text)
    return text


def _issuer(lines: list[tuple[int, str]], preamble: list[Block]) -> Found:
    """The header's issuer block (above 'Số:'), else the preamble's '<X> ban hành…'."""
    block: list[str] = []
    first = None
    for line, text in lines:
        if NUMBER.search(text) or DATE.search(text) or text.startswith(("V/v", "v/v")):
            break
        bare_text = MOTTO.sub("", text).strip(" -")
        if bare_text and bare_text.upper() == bare_text and bare_text not in KIND_WORDS \
                and any(c.isalpha() for c in bare_text):
            block.append(_upper_expanded(bare_text))
            first = first or line
    trailing = re.match(r"^(?P<org>.+?)\s+(?P<body>BAN THƯỜNG TRỰC|BAN THƯỜNG VỤ|ĐẢNG ĐOÀN|"
                        r"BAN CHẤP HÀNH)$", " ".join(block))
    if trailing:  # "ỦY BAN MTTQ … TỈNH NGHỆ AN BAN THƯỜNG TRỰC" flattened from a cell
        block = [trailing["body"], trailing["org"]]
    if len(block) > 1 and BODY_OF.match(sentence_case(block[0])):
        # "ĐOÀN CHỦ TỊCH" over "HỘI LIÊN HIỆP PHỤ NỮ VIỆT NAM": the body of that organisation
        body, organisation = sentence_case(block[0]), sentence_case(" ".join(block[1:]))
        organisation = re.sub(r"^(\w+)\s+(\w)", lambda m: f"{m.group(1)} {m.group(2).upper()}",
                              organisation) if organisation.startswith("Hội ") else organisation
        body = re.sub(r"^Ban (\w)", lambda m: f"Ban {m.group(1).upper()}", body)
        return Found(f"{body} {organisation}", first)
    lower = next((i for i, part in enumerate(block) if i and re.match(
        UNIT_LINE, sentence_case(part), re.IGNORECASE)), None)
    if lower is not None:  # "UBND TỈNH CAO BẰNG" over "SỞ LAO ĐỘNG…": the lower unit issues
        unit = sentence_case(" ".join(block[lower:]))
        parent = sentence_case(" ".join(block[:lower]))
        if BODY_OF.match(unit) or re.match(r"^(?:Đảng ủy|Tỉnh ủy|Huyện ủy|Thành ủy|Đảng bộ)\b",
                                           parent, re.IGNORECASE):
            return Found(f"{unit} {_party_case(parent)}", first)
        if key(unit) == "van phong":  # "UBND TỈNH HẬU GIANG" over "VĂN PHÒNG": its office
            return Found(f"Văn phòng {parent}", first)
        place = re.search(r"\b(?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường)\b.*$", parent)
        if place and not re.search(r"\b(?:tỉnh|thành phố|huyện|quận|thị xã|xã)\b", unit):
            unit = f"{unit} {place.group(0)}"
        return Found(unit, first, f"đơn vị ban hành trực thuộc '{parent}'")
    if block and re.match(ISSUER_HEADS, sentence_case(" ".join(block))):
        return Found(sentence_case(" ".join(block)), first)
    for item in preamble:
        match = ISSUER_CLAUSE.search(item.text)
        if match and " về " not in match.group("who"):
            return Found(expand(match.group("who").strip()), item.first,
                         "cơ quan ban hành lấy từ phần mở đầu")
    return Found(None, None, "không rõ cơ quan ban hành")


def _year(title: Found, date: Found) -> Found:
    if title.value:
        years = re.findall(r"(?<!đến )(?<!tới )năm (\d{4})", title.value, re.IGNORECASE)
        if years:
            return Found(years[-1], title.line)
    if date.value:
        return Found(date.value[-4:], date.line, "năm lấy theo ngày ban hành")
    return Found(None, None, "không tìm thấy năm")


SIGNER_WORDS = (("kt.", "KT."), ("tm.", "TM."), ("tl.", "TL."), ("q.", "Q."),
                ("chủ tịch", "Chủ tịch"), ("ủy ban", "Ủy ban"), ("trưởng ban", "Trưởng ban"),
                ("giám đốc", "Giám đốc"), ("thường trực", "Thường trực"),
                ("thường vụ", "Thường vụ"), ("bộ trưởng", "Bộ trưởng"),
                ("thứ trưởng", "Thứ trưởng"))


def _signer(signature: list[Line]) -> Found:
    """Titles in capitals ('KT. CHỦ TỊCH', 'PHÓ CHỦ TỊCH'), then the name; what follows
    the name (an annex, a web page's footer) is not the signature."""
    titles: list[str] = []
    name, first = None, None
    for line in _titles_apart_from_names(signature):
        text = bare(line.text)
        if not text or re.match(r"^[(\[]?\s*(?:đã ký|đã kí|ký|kí)\b", text, re.IGNORECASE):
            continue
        beside = re.split(r"\s{3,}|\s+\|\s+", line.text.strip().strip("|"))
        if text.startswith(("-", "+", "•")) and len(beside) > 1 and \
                bare(beside[-1]).upper() == bare(beside[-1]):
            text = bare(beside[-1])  # "- Lưu: VT.          KT. CHỦ TỊCH", "- Lưu: VT. | KT. …"
        if text.startswith(("-", "+", "•")):  # a recipient printed beside the signature
            trailing = re.search(r"Lưu\s*:?.*?\.\s+(?P<name>[A-ZĐÀ-Ỹ]\S*(?:\s+[A-ZĐÀ-Ỹ]\S*)"
                                 r"{1,4})$", text)
            if trailing and titles:
                name = trailing["name"]
                break
            continue
        if "|" in text or ":" in text:
            continue
        first = first or line.number
        if text.upper() == text and any(c.isalpha() for c in text):
            titles.append(_signer_title(text))
        elif titles and POST.match(text):  # "Phó Chủ tịch UBND xã" under "TRƯỞNG BAN"
            titles.append(_signer_title(text.upper()))
        elif len(text.split()) <= 5 and all(w[:1].isupper() for w in text.split()):
            name = text
            if titles:
                break
            first = None  # "Tuấn": the drafter's initials after "Lưu: VT", titles follow
    if not titles and not name:
        return Found(None, None, "không tìm thấy người ký")
    value = ", ".join(titles) + (f" {name}" if name else "")
    return Found(value.strip(), first, None if name else "không có tên người ký")


def _titles_apart_from_names(signature: list[Line]) -> list[Line]:
    """'PHÓ CHỦ TỊCHSơn Thị Ánh Hồng' (a page that lost the line break) or 'KT. CHỦ TỊCH PHÓ
    CHỦ TỊCH Nguyễn Tuấn Thanh' (a table row flattened): the titles, then the name."""
    out: list[Line] = []
    for line in signature:
        text = line.text.strip()
        cut = next((i for i in range(1, len(text) - 1) if text[i].isupper()
                    and text[i + 1].islower() and (text[i - 1] == " " or text[i - 1].isupper())),
                   None)
        title = text[:cut].strip() if cut is not None else ""
        if title and title.upper() == title and len(title.split()) >= 2 and \
                not title.endswith((":", ";", ",")):
            out += [Line(line.number, title), Line(line.number, text[cut:])]
        else:
            out.append(line)
    return out


POST = re.compile(r"^(?:Phó\s+|Q\.\s*)?(?:Chủ tịch|Giám đốc|Trưởng|Bí thư|Chánh|Thứ trưởng|"
                  r"Bộ trưởng)\b.*\b(?:UBND|Ủy ban|Sở|Phòng|Ban|xã|phường|huyện|tỉnh)\b")


def _signer_title(text: str) -> str:
    text = _upper_expanded(text)
    text = re.sub(r"^(K/?T|T/?M|T/?L|Q)\s*[./]?\s*", lambda m: m.group(1).replace("/", "")
                  + ". ", text)
    lowered = text.lower()
    lowered = lowered[:1].upper() + lowered[1:]
    lowered = re.sub(r"^(\w+\. )(\w)", lambda m: m.group(1) + m.group(2).upper(), lowered)
    for low, proper in SIGNER_WORDS:
        lowered = re.sub(rf"(?i)\b{re.escape(low)}", proper, lowered)
    return lowered


def reference_sentences(preamble: list[Block]) -> list[tuple[str, int]]:
    """The preamble's "Thực hiện … / Căn cứ …" sentences, cut before '<X> ban hành…'."""
    found: list[tuple[str, int]] = []
    for item in preamble:
        position = 0
        while True:
            match = REFERENCE_START.search(item.text, position)
            if not match:
                break
            text = item.text[match.start():]
            end = re.search(r"\.\s+(?=[A-ZĐÀ-Ỹ])", text)
            if end:
                text = text[: end.start()]
            position = match.start() + max(len(text), 1)
            issuer = ISSUER_CLAUSE.search(text)
            if issuer and " về " not in issuer.group("who") and \
                    " đã " not in issuer.group(0):  # "…, Bộ … đã ban hành Hướng dẫn số …"
                text = text[: issuer.start()]
            text = PROPOSAL.split(text)[0]  # "…; Xét đề nghị của Sở … tại Công văn số …"
            found.append((text.rstrip(" .;,"), item.first))
    return found
