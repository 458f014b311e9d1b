"""A directive file (.txt, .md, .docx, .pdf) to numbered lines of text.

Every later step names the line it used, so a reviewer can check it against the
document. A file that holds no usable text is refused here with a clear reason.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from workflow.errors import NhiemvuError

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
        raise ImportProblem(f"{path}: no such file")
    if path.is_dir():
        raise ImportProblem(f"{path}: is a folder, expected a .txt, .md, .docx or .pdf file")
    data = path.read_bytes()
    if not data.strip():
        raise ImportProblem(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        lines = _docx_lines(path, data)
    elif suffix == ".pdf":
        lines = _pdf_lines(path, data)
    elif suffix == ".doc":
        raise ImportProblem(f"{path}: old Word format (.doc) is not supported; save it as .docx")
    else:
        lines = _text_lines(path, data)
    if not any(line.text.strip() for line in lines):
        raise ImportProblem(f"{path}: no text found in the file")
    return lines


def _text_lines(path: Path, data: bytes) -> list[Line]:
    if b"\x00" in data[:4096]:
        raise ImportProblem(f"{path}: binary data, expected text (UTF-8), .docx or .pdf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8, "
                            ".docx or .pdf") from None
    return [Line(number, raw) for number, raw in enumerate(text.splitlines(), start=1)]


def _docx_lines(path: Path, data: bytes) -> list[Line]:
    """Body paragraphs and table cells in reading order; one Line per paragraph."""
    if not zipfile.is_zipfile(path):
        raise ImportProblem(f"{path}: not a Word document (.docx is a zip package; this file "
                            "is not one)")
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ImportProblem(f"{path}: not a Word document ({exc})") from None
    lines: list[Line] = []

    def add(paragraph: Paragraph) -> None:
        text = paragraph.text
        style = (paragraph.style.name or "") if paragraph.style is not None else ""
        if "List Bullet" in style and text.strip():
            text = "- " + text
        runs = [run for run in paragraph.runs if run.text.strip()]
        bold = bool(runs) and all(run.bold for run in runs)
        for part in text.split("\n"):
            lines.append(Line(len(lines) + 1, part, bold))

    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            add(Paragraph(child, document))
        elif tag == "tbl":
            for row in Table(child, document).rows:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        add(paragraph)
    return lines


def _pdf_lines(path: Path, data: bytes) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise ImportProblem(f"{path}: not a PDF file (it does not start with %PDF)")
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ImportProblem(f"{path}: unreadable PDF ({exc})") from None
    if not "".join(pages).strip():
        raise ImportProblem(f"{path}: the PDF has no text layer (a scanned document?); run it "
                            "through OCR first or paste the text into a .txt file")
    text = "\n".join(pages)
    return [Line(number, raw) for number, raw in enumerate(text.splitlines(), start=1)]
