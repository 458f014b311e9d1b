"""A draft to YAML files in the project's own schema, with the source lines and the
review notes as comments, checked by the engine's loader before anything is written.

Both files are written to temporary names, loaded together with the registry and the
calendar, and only then renamed into place: a draft that would not load is a bug
reported as such, and an existing file is never half-overwritten.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from importer import REVIEW
from importer.build import Draft
from importer.header import Found
from importer.registry import Directory, slug
from importer.source import ImportProblem
from workflow.definitions.loader import load_definitions
from workflow.errors import DefinitionError


@dataclass(frozen=True)
class Written:
    directive: Path
    agencies: Path | None
    check_paths: list[Path]  # what `nhiemvu load --check` needs beside the drafts
    problems: tuple[str, ...] = ()  # why the draft does not load yet (written all the same)


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 96
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml


def _note(found: Found) -> str | None:
    parts = []
    if found.line:
        parts.append(f"dòng {found.line}")
    if found.review:
        parts.append(f"{REVIEW} {found.review}")
    return "; ".join(parts) or None


def _set(node: CommentedMap, key: str, value: Any, note: str | None = None) -> None:
    node[key] = value
    if note:
        node.yaml_add_eol_comment(note, key)


def directive_document(draft: Draft) -> CommentedMap:
    header = draft.header
    doc = CommentedMap()
    doc.yaml_set_start_comment(
        f"Dự thảo do `nhiemvu import` lập từ {draft.source.name} ngày "
        f"{date.today().strftime('%d/%m/%Y')}.\n"
        f"Mỗi giá trị ghi dòng của văn bản mà nó được đọc từ đó; hãy xem mọi ghi chú "
        f"'{REVIEW}'\ntrước khi nạp. Tiêu đề là những chữ đầu của mỗi nhiệm vụ: "
        "hãy rút gọn.")
    _set(doc, "kind", "directive")
    _set(doc, "code", draft.code)
    _set(doc, "document", header.kind.value, _note(header.kind))
    _set(doc, "number", header.number.value, _note(header.number))
    _set(doc, "date", header.date.value, _note(header.date))
    _set(doc, "issuer", header.issuer.value, _note(header.issuer))
    _set(doc, "title", header.title.value, _note(header.title))
    _set(doc, "year", int(header.year.value or 0), _note(header.year))
    if header.signer.value:
        _set(doc, "signer", header.signer.value, _note(header.signer))
    if draft.secretariat.value:
        _set(doc, "secretariat", draft.secretariat.value, _note(draft.secretariat))
    if draft.chair.value:
        _set(doc, "chair", draft.chair.value, _note(draft.chair))
    _set(doc, "calendar", draft.calendar.code)
    if draft.references:
        implements = CommentedSeq()
        for reference in draft.references:
            item = CommentedMap()
            found = reference.found
            item["document"] = found.kind
            item["number"] = found.number
            if found.date:
                item["date"] = found.date
            item["issuer"] = reference.issuer or "(chưa rõ)"
            if found.title:
                item["title"] = found.title
            implements.append(item)
            note = f"dòng {reference.line}" + (f"; {REVIEW} {reference.review}"
                                               if reference.review else "")
            item.yaml_add_eol_comment(note, "document")
        doc["implements"] = implements
    tasks = CommentedSeq()
    for task in draft.tasks:
        item = CommentedMap()
        item["code"] = task.code
        item["source"] = task.source
        item["title"] = task.title
        item["text"] = task.text
        item["lead"] = _flow(task.lead)
        if task.coordinating:
            item["coordinating"] = _flow(task.coordinating)
        if task.due is not None:
            item["due"] = _flow_map(task.due) if isinstance(task.due, dict) else task.due
        if task.recurs:
            recurs = CommentedSeq()
            for entry in task.recurs:
                recurs.append(_flow_map(entry) if isinstance(entry, dict) else entry)
            item["recurs"] = recurs
        note = f"dòng {task.lines}"
        if task.reviews:
            note += f"; {REVIEW} " + "; ".join(dict.fromkeys(task.reviews))
        item.yaml_add_eol_comment(note, "code")
        tasks.append(item)
    doc["tasks"] = tasks
    if draft.footnotes:
        doc.yaml_set_comment_before_after_key(
            "tasks", before="Chú thích của văn bản (tài liệu dẫn, không phải nhiệm vụ):\n"
            + "\n".join(f"  [{label}] {text} (dòng {line})"
                        for label, text, line in draft.footnotes))
    return doc


def agencies_document(draft: Draft) -> CommentedMap | None:
    if not draft.new_agencies:
        return None
    doc = CommentedMap()
    doc.yaml_set_start_comment(
        f"Các cơ quan được nêu trong {draft.source.name} mà danh mục chưa có, do "
        "`nhiemvu import` lập.\nĐịa chỉ thư là địa chỉ giữ chỗ trên tên miền dành riêng "
        ".example: hãy thay bằng địa chỉ thật.")
    doc["kind"] = "agencies"
    locality = draft.registry.locality if draft.registry else \
        (draft.place[:1].upper() + draft.place[1:] if draft.place else
         draft.header.place.value or "")
    doc["locality"] = locality or "(chưa rõ)"
    agencies = CommentedSeq()
    groups = CommentedSeq()
    domain = slug(draft.header.place.value or draft.place or "") or "nhiemvu"
    for agency in draft.new_agencies:
        note = (f"dòng {agency.line}; " if agency.line else "") + f"{REVIEW} {agency.review}"
        code = f"{agency.code}-thanh-vien" if agency.group else agency.code
        item = CommentedMap()
        item["code"] = code
        item["name"] = f"{agency.name} (thành viên giữ chỗ)" if agency.group else agency.name
        item["level"] = agency.level
        local = code.split(".", 1)[-1]
        item["emails"] = _flow([f"{local}@{domain}.example"])
        item.yaml_add_eol_comment(note if not agency.group else
                                  f"{REVIEW} thay bằng các cơ quan thành viên của nhóm "
                                  f"{agency.code}", "code")
        agencies.append(item)
        if agency.group:
            group = CommentedMap()
            group["code"] = agency.code
            group["name"] = agency.name
            group["members"] = _flow([code])
            group.yaml_add_eol_comment(note, "code")
            groups.append(group)
    doc["agencies"] = agencies
    if groups:
        doc["groups"] = groups
    return doc


def _flow(values: list[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _flow_map(values: dict[str, Any]) -> CommentedMap:
    node = CommentedMap(values)
    node.fa.set_flow_style()
    return node


def dump(document: CommentedMap) -> str:
    stream = io.StringIO()
    _yaml().dump(document, stream)
    return stream.getvalue()


def write_draft(draft: Draft, directory: Directory, out: Path, force: bool = False
                ) -> Written:
    agencies_out = out.with_name(f"{out.stem}.agencies{out.suffix or '.yaml'}")
    texts = {out: dump(directive_document(draft))}
    agencies = agencies_document(draft)
    if agencies is not None:
        texts[agencies_out] = dump(agencies)
    for path in texts:
        if path.exists() and not force:
            raise ImportProblem(f"{path} đã có; hãy chọn -o khác hoặc dùng --force để thay; "
                                "không ghi gì")
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary: dict[Path, Path] = {}
    try:
        for path, text in texts.items():
            handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".yaml",
                                            dir=path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(name, 0o666 & ~umask)  # mkstemp makes 0600; a definition is a normal file
            temporary[path] = Path(name)
        problems: tuple[str, ...] = ()
        try:  # exactly `nhiemvu load --check` with the registry already in the database
            load_definitions(list(temporary.values()), directory.registry(),
                             directory.calendars)
        except DefinitionError as exc:
            # never lost: written with the loader's problems on top, for a person to mend
            problems = tuple(str(exc).split("\n"))
            marked = "".join(f"# {REVIEW} chưa nạp được: {line}\n" for line in problems)
            Path(temporary[out]).write_text(marked + texts[out], encoding="utf-8")
        for path, name in temporary.items():
            os.replace(name, path)
        temporary.clear()
    finally:
        for name in temporary.values():
            name.unlink(missing_ok=True)
    return Written(out, agencies_out if agencies is not None else None, directory.paths,
                   problems)
