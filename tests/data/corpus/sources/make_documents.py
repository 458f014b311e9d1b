"""Build the corpus's Word and PDF documents from their markup in this folder.

    .venv/bin/python tests/data/corpus/sources/make_documents.py

A line in **…** is a bold paragraph; consecutive lines starting with '|' are one Word
table ('//' breaks a cell into paragraphs); any other line is a paragraph. A name
ending in .pdf.txt is printed to PDF by LibreOffice, as a person would print it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from docx import Document

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
sys.path.insert(0, str(HERE.parents[3]))

from tests.tools import to_pdf  # noqa: E402  (LibreOffice, asked for the one way)


def _paragraph(container, text: str) -> None:  # type: ignore[no-untyped-def]
    bold = text.startswith("**") and text.endswith("**") and len(text) > 4
    paragraph = container.add_paragraph()
    run = paragraph.add_run(text[2:-2] if bold else text)
    run.bold = bold


def build_docx(markup: Path, out: Path) -> None:
    document = Document()
    lines = markup.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        if lines[index].startswith("|"):
            rows = []
            while index < len(lines) and lines[index].startswith("|"):
                rows.append([c.strip() for c in lines[index].strip().strip("|").split("|")])
                index += 1
            table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for r, cells in enumerate(rows):
                for c, text in enumerate(cells):
                    cell = table.cell(r, c)
                    parts = text.split("//")
                    cell.paragraphs[0].text = ""
                    first = True
                    for part in parts:
                        if first:
                            bold = part.strip().startswith("**")
                            run = cell.paragraphs[0].add_run(part.strip().strip("*"))
                            run.bold = bold
                            first = False
                        else:
                            _paragraph(cell, part.strip())
            continue
        _paragraph(document, lines[index])
        index += 1
    document.save(str(out))


def main() -> None:
    for markup in sorted(HERE.glob("*.txt")):
        if markup.name.endswith(".pdf.txt"):
            stem = markup.name[: -len(".pdf.txt")]
            with tempfile.TemporaryDirectory() as folder:
                docx = Path(folder) / f"{stem}.docx"
                build_docx(markup, docx)
                shutil.copy(to_pdf(docx, Path(folder)), CORPUS / f"{stem}.pdf")
        else:
            build_docx(markup, CORPUS / f"{markup.stem}.docx")


if __name__ == "__main__":
    main()
