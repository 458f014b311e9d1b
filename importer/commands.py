"""`nhiemvu import FILE`: a directive document to a draft definition, and what to review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the CLI starts without loading the importer
    from importer.build import Draft, Hints
    from importer.writer import Written

from importer import REVIEW
from workflow.views.labels import DOCUMENT_LABELS


def register(cli: click.Group) -> None:
    @cli.command(name="import")
    @click.argument("file", type=click.Path(path_type=Path))
    @click.option("-o", "--output", type=click.Path(path_type=Path),
                  help="Draft directive file (default: CODE.yaml here); new agencies go to "
                       "OUTPUT's name with .agencies.yaml.")
    @click.option("--registry", "registry", type=click.Path(path_type=Path), multiple=True,
                  help="Folder or files with the agencies and the calendar "
                       "(default: definitions/).")
    @click.option("--code", help="The draft directive's code (default: place-year).")
    @click.option("--year", help="The directive's year, when the text does not "
                                         "say it (a letter copied from a web page).")
    @click.option("--issuer", help="The issuing body, when the text has no header.")
    @click.option("--kind", help="The kind of document: ke-hoach, cong-van, huong-dan, "
                                 "quyet-dinh, thong-bao, chuong-trinh, chi-thi, thong-tri, "
                                 "nghi-quyet.")
    @click.option("--date", "issued", help="The date of issue: dd/mm/yyyy, mm/yyyy or yyyy.")
    @click.option("--force", is_flag=True, help="Replace existing output files.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    def import_command(file: Path, output: Path | None, registry: tuple[Path, ...],
                       code: str | None, year: str | None, issuer: str | None,
                       kind: str | None, issued: str | None, force: bool,
                       as_json: bool) -> None:
        """Read a directive (.txt, .md, .docx, PDF with text) and write a draft definition.

        Number, date, issuer, title, year, upper directives, tasks with their agencies,
        report deadlines and action months are read with the line they came from; what
        the importer guessed is marked REVIEW in the file and listed here.
        """
        from importer.build import build_draft
        from importer.registry import read_directory
        from importer.writer import write_draft

        paths = list(registry) or [Path("definitions")]
        directory = read_directory(paths)
        hints = hints_from(year, issuer, kind, issued)
        draft = build_draft(file, directory, code, hints=hints)
        written = write_draft(draft, directory, output or Path(f"{draft.code}.yaml"), force)
        summary = summarise(draft, written)
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        else:
            click.echo(render(summary))


def hints_from(year: str | None, issuer: str | None, kind: str | None,
               issued: str | None) -> Hints:
    """The person's own knowledge of the document, as typed (command line or form)."""
    from importer.build import Hints
    from importer.source import ImportProblem

    text = (year or "").strip()
    if text and not (text.isdigit() and len(text) == 4):
        raise ImportProblem(f"năm '{text[:20]}': cần 4 chữ số, ví dụ 2026")
    return Hints(int(text) if text else None, (issuer or "").strip() or None,
                 (kind or "").strip() or None, (issued or "").strip() or None)


FIELD_LABELS = {"number": "số", "date": "ngày ban hành", "kind": "loại văn bản",
                "title": "trích yếu", "issuer": "cơ quan ban hành", "year": "năm",
                "signer": "người ký", "secretariat": "cơ quan thường trực",
                "chair": "trưởng ban"}


def summarise(draft: Draft, written: Written) -> dict[str, Any]:
    header = draft.header
    reviews: list[str] = []
    for name in ("number", "date", "kind", "title", "issuer", "year", "signer"):
        found = getattr(header, name)
        if found.review:
            reviews.append(f"{_at(found.line)}{FIELD_LABELS[name]}: {found.review}")
    for name, found in (("secretariat", draft.secretariat), ("chair", draft.chair)):
        if found.review:
            reviews.append(f"{_at(found.line)}{FIELD_LABELS[name]}: {found.review}")
    for reference in draft.references:
        if reference.review:
            reviews.append(f"{_at(reference.line)}văn bản cấp trên {reference.found.number}: "
                           f"{reference.review}")
    by_note: dict[str, list[str]] = {}
    for task in draft.tasks:
        for note in dict.fromkeys(task.reviews):
            by_note.setdefault(note, []).append(task.code)
    for note, codes in by_note.items():
        if len(codes) == 1:
            task = next(t for t in draft.tasks if t.code == codes[0])
            reviews.append(f"dòng {task.lines}: nhiệm vụ {task.code}: {note}")
        else:
            reviews.append(f"các nhiệm vụ {', '.join(codes)}: {note}")
    for agency in draft.new_agencies:
        reviews.append(f"{_at(agency.line)}cơ quan mới {agency.code}: {agency.review}")
    for problem in written.problems:
        reviews.insert(0, f"dự thảo chưa nạp được (lỗi của chương trình nhập; xin báo kèm văn "
                          f"bản), đã ghi để sửa tay: {problem}")
    pairs = sum(len(t.lead) + len(t.coordinating) for t in draft.tasks)
    check = [str(p) for p in written.check_paths] + [str(written.directive)] + \
        ([str(written.agencies)] if written.agencies else [])
    return {
        "source": str(draft.source),
        "written": {"directive": str(written.directive),
                    "agencies": str(written.agencies) if written.agencies else None},
        "directive": {"code": draft.code, "document": header.kind.value,
                      "number": header.number.value, "date": header.date.value,
                      "issuer": header.issuer.value, "title": header.title.value,
                      "year": header.year.value, "signer": header.signer.value,
                      "secretariat": draft.secretariat.value, "chair": draft.chair.value},
        "registry": str(draft.registry.path) if draft.registry else None,
        "implements": [{"document": r.found.kind, "number": r.found.number,
                        "date": r.found.date, "issuer": r.issuer} for r in draft.references],
        "tasks": len(draft.tasks),
        "assignments": pairs,
        "deadlines": {t.code: [_period(p) for p in t.recurs if not _is_month(p, draft)]
                      + ([f"due {t.due}"] if isinstance(t.due, str) else [])
                      for t in draft.tasks if isinstance(t.due, str)
                      or any(not _is_month(p, draft) for p in t.recurs)},
        "action_months": {t.code: [p for p in t.recurs if _is_month(p, draft)]
                          + ([f"{t.due['action_month']} (ngày bắt đầu)"]
                             if isinstance(t.due, dict) else [])
                          for t in draft.tasks if isinstance(t.due, dict)
                          or any(_is_month(p, draft) for p in t.recurs)},
        "ad_hoc_reports": draft.ad_hoc,
        "new_agencies": [a.code for a in draft.new_agencies],
        "footnotes": [f"[{label}] {text}" for label, text, _ in draft.footnotes],
        "not_tasks": draft.notes,
        "not_placed": draft.unplaced,
        "review": reviews,
        "check": f"nhiemvu load --check {' '.join(check)}",
    }


def _at(line: int | None) -> str:
    return f"dòng {line}: " if line else ""


def _is_month(entry: Any, draft: Draft) -> bool:
    return isinstance(entry, str) and entry in {m.code for m in draft.calendar.action_months}


def _period(entry: Any) -> str:
    if isinstance(entry, dict):
        return f"{entry['period']} {entry['due']}" if "period" in entry else str(entry)
    return str(entry)


def render(summary: dict[str, Any]) -> str:
    """The terminal report, for the secretariat reading it: Vietnamese throughout."""
    d = summary["directive"]
    kind = DOCUMENT_LABELS.get(d["document"], d["document"])
    out = [f"Đã nhập {summary['source']} -> {summary['written']['directive']}"
           + (f" + {summary['written']['agencies']}" if summary["written"]["agencies"] else ""),
           "",
           "Đọc được:",
           f"  văn bản         {kind} số {d['number']}, {_date_words(d['date'])}"
           + ("" if str(d["date"]) == str(d["year"]) else f", năm {d['year']}"),
           f"  cơ quan ban hành {d['issuer']}",
           f"  trích yếu       {d['title']}",
           f"  người ký        {d['signer'] or '-'}",
           f"  danh mục        {summary['registry'] or 'chưa có cho địa bàn này'}; "
           f"thường trực {d['secretariat'] or '-'}; trưởng ban {d['chair'] or '-'}"]
    for reference in summary["implements"]:
        out.append(f"  thực hiện       {reference['document']} {reference['number']} "
                   f"{reference['date'] or ''} {reference['issuer'] or ''}".rstrip())
    out.append(f"  nhiệm vụ        {summary['tasks']} nhiệm vụ, {summary['assignments']} "
               "lượt giao (nhiệm vụ, cơ quan)")
    for code, periods in summary["deadlines"].items():
        out.append(f"  hạn báo cáo     {code}: {', '.join(periods)}")
    for code, months in summary["action_months"].items():
        out.append(f"  tháng hành động {code}: {', '.join(months)}")
    if summary["ad_hoc_reports"]:
        out.append(f"  đột xuất        báo cáo khi có yêu cầu ở "
                   f"{', '.join(summary['ad_hoc_reports'])} (không lập lịch)")
    for note in summary["footnotes"]:
        out.append(f"  chú thích       {note}")
    if summary["not_tasks"] or summary["not_placed"]:
        out += ["", "Không thành nhiệm vụ / chưa xếp được:"]
        out += [f"  - {note}" for note in summary["not_tasks"] + summary["not_placed"]]
    out += ["", f"Cần xem lại ({len(summary['review'])}, có ghi {REVIEW} trong tệp):"]
    out += [f"  - {note}" for note in summary["review"]] or ["  (không có)"]
    out += ["", f"Kiểm tra: {summary['check']}"]
    return "\n".join(out)


def _date_words(value: str | None) -> str:
    """'12/04/2022' -> 'ngày 12/04/2022'; '04/2022' -> 'tháng 04/2022'; '2023' -> 'năm 2023'."""
    if not value:
        return "chưa rõ ngày"
    return {3: "ngày", 2: "tháng"}.get(value.count("/") + 1, "năm") + f" {value}"
