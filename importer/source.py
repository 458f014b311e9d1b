"""A directive file (.txt, .md, .docx, .pdf) to numbered lines of text.

Every later step names the line it used, so a reviewer can check it against the
document. A file that holds no usable text is refused here with a clear reason.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from importer.glyphs import mended, unglued
from workflow.errors import NhiemvuError
from workflow.storage.zipcheck import check_zip

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}


class ImportProblem(NhiemvuError):
    """The file cannot be turned into a draft; nothing was written."""


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based: a text file's line, a .docx paragraph, a line of a PDF's text
    text: str
    bold: bool = False  # a .docx paragraph whose runs are all bold


def read_lines(path: Path) -> list[Line]:
    if not path.exists():
        raise ImportProblem(f"{path}: không có tệp này")
    if path.is_dir():
        raise ImportProblem(f"{path}: là thư mục, cần một tệp .txt, .md, .docx hoặc .pdf")
    data = path.read_bytes()
    if not data.strip():
        raise ImportProblem(f"{path}: tệp rỗng")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        lines = _docx_lines(path, data)
    elif suffix == ".pdf":
        lines = _pdf_lines(path, data)
    elif suffix == ".doc":
        raise ImportProblem(f"{path}: định dạng Word cũ (.doc) không được hỗ trợ; hãy lưu "
                            "thành .docx")
    else:
        lines = _text_lines(path, data)
    if not any(line.text.strip() for line in lines):
        raise ImportProblem(f"{path}: tệp không có chữ")
    return [Line(line.number, mended(unglued(line.text)), line.bold) for line in lines]


def _text_lines(path: Path, data: bytes) -> list[Line]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its BOM (Windows Notepad)
        text = data.decode("utf-16")
        return _numbered(text)
    if data.startswith(b"{\\rtf"):
        raise ImportProblem(f"{path}: tệp Rich Text (RTF); hãy lưu thành .docx hoặc .txt")
    if data.startswith(b"PK\x03\x04"):
        raise ImportProblem(f"{path}: gói zip (tệp Word mang tên khác?); "
                            "hãy đặt đuôi .docx")
    if b"\x00" in data[:4096]:
        raise ImportProblem(f"{path}: dữ liệu nhị phân, cần văn bản (UTF-8), .docx hoặc .pdf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem(f"{path}: không phải văn bản UTF-8 (byte {exc.start}); hãy lưu "
                            "dạng UTF-8, .docx hoặc .pdf") from None
    return _numbered(text)


def _numbered(text: str) -> list[Line]:
    if text.count("\\r\\n") + text.count("\\n") >= 3:  # a crawl kept the escapes as text
        text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\r", "")
    return [Line(number, raw) for number, raw in enumerate(text.splitlines(), start=1)]


def _docx_lines(path: Path, data: bytes) -> list[Line]:
    """Body paragraphs and table cells in reading order; one Line per paragraph."""
    if not zipfile.is_zipfile(path):
        raise ImportProblem(f"{path}: không phải tài liệu Word (.docx là gói zip; tệp này "
                            "không phải)")
    try:
        check_zip(data, "tài liệu Word")
    except NhiemvuError as exc:
        raise ImportProblem(f"{path}: {exc}") from None
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ImportProblem(f"{path}: không phải tài liệu Word ({exc})") from None
    lines: list[Line] = []
    numbering = _Numbering(document)

    def add(paragraph: Paragraph) -> None:
        text = paragraph.text
        if text.strip():
            text = numbering.label(paragraph) + text
        runs = [run for run in paragraph.runs if run.text.strip()]
        bold = bool(runs) and all(run.bold for run in runs)
        for part in text.split("\n"):
            lines.append(Line(len(lines) + 1, part, bold))

    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            add(Paragraph(child, document))
        elif tag == "tbl":
            table = Table(child, document)
            rows = [[" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
                     for cell in row.cells] for row in table.rows]
            if rows and is_task_table(rows[0]):  # a table of tasks: one "| … |" line a row
                for cells in rows:
                    lines.append(Line(len(lines) + 1, "| " + " | ".join(
                        c.replace("|", "/") for c in cells) + " |"))
                continue
            for row in table.rows:  # a layout table (header, signature): cell by cell
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        add(paragraph)
    return lines


def is_task_table(header: list[str]) -> bool:
    """A header row with a content column and a responsible-agency column."""
    from importer.tables import column_roles

    roles = column_roles(header)
    return "content" in roles.values() and "lead" in roles.values()


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


class _Numbering:
    """Word's automatic numbering as text ("1. ", "a) ", "- "): python-docx gives a
    paragraph's text without it, and the structure of a directive is in those numbers."""

    def __init__(self, document: object) -> None:
        self.levels: dict[str, dict[str, object]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element  # type: ignore[attr-defined]
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {a.get(f"{W}abstractNumId"): a for a in root.iter(f"{W}abstractNum")}
        for num in root.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            if ref is not None and ref.get(f"{W}val") in abstract:
                self.levels[num.get(f"{W}numId") or ""] = {
                    lvl.get(f"{W}ilvl") or "0": lvl
                    for lvl in abstract[ref.get(f"{W}val")].iter(f"{W}lvl")}

    def label(self, paragraph: object) -> str:
        num_id, level = self._num_pr(paragraph)
        if num_id is None or num_id not in self.levels:
            return ""
        levels = self.levels[num_id]
        lvl = levels.get(str(level))
        if lvl is None:
            return ""
        fmt, text = self._value(lvl, "numFmt") or "decimal", self._value(lvl, "lvlText") or ""
        counts = self.counters.setdefault(num_id, {})
        start = int(self._value(lvl, "start") or 1)
        counts[level] = counts.get(level, start - 1) + 1
        for deeper in [n for n in counts if n > level]:
            del counts[deeper]
        if fmt == "bullet" or fmt == "none":
            return "+ " if text.strip() == "+" else "- "
        for index in range(level + 1):
            inner = levels.get(str(index))
            inner_fmt = (self._value(inner, "numFmt") if inner is not None else None) \
                or "decimal"
            text = text.replace(f"%{index + 1}", _format(counts.get(index, 1), inner_fmt))
        return f"{text} "

    @staticmethod
    def _value(lvl: object, name: str) -> str | None:
        node = lvl.find(f"{W}{name}")  # type: ignore[attr-defined]
        return node.get(f"{W}val") if node is not None else None

    @staticmethod
    def _num_pr(paragraph: object) -> tuple[str | None, int]:
        candidates = [paragraph._p.pPr]  # type: ignore[attr-defined]
        style = paragraph.style  # type: ignore[attr-defined]
        while style is not None:
            candidates.append(style.element.pPr)
            style = style.base_style
        for ppr in candidates:
            numpr = ppr.find(f"{W}numPr") if ppr is not None else None
            if numpr is None:
                continue
            num_id = numpr.find(f"{W}numId")
            ilvl = numpr.find(f"{W}ilvl")
            if num_id is not None:
                level = int(ilvl.get(f"{W}val")) if ilvl is not None else 0
                return num_id.get(f"{W}val"), level
        return None, 0


def _format(number: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (number - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("upperRoman", "lowerRoman"):
        out, rest = "", number
        for value, symbol in ROMAN:
            while rest >= value:
                out, rest = out + symbol, rest - value
        return out if fmt == "upperRoman" else out.lower()
    return str(number)


def _pdf_lines(path: Path, data: bytes) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise ImportProblem(f"{path}: không phải tệp PDF (không bắt đầu bằng %PDF)")
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ImportProblem(f"{path}: không đọc được PDF ({exc})") from None
    if not "".join(pages).strip():
        raise ImportProblem(f"{path}: PDF không có lớp chữ (bản quét?); hãy nhận dạng chữ "
                            "(OCR) trước hoặc dán nội dung vào một tệp .txt")
    text = "\n".join(pages)
    return _numbered(text)
