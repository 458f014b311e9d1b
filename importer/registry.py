"""The agency registry as the importer sees it: one locality's agencies and groups.

Agency files are read with the engine's own loader (so a broken registry is reported
the same way), keeping each file's locality so a directive from Hà Quảng is matched
against Hà Quảng's agencies, not against another district's Phòng Nội vụ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from importer.source import ImportProblem
from importer.textkey import LEVEL_WORDS, key
from workflow.definitions.loader import definition_files, load_definitions
from workflow.definitions.specs import Agency, AgencyGroup, Calendar, Registry
from workflow.errors import DefinitionError


@dataclass
class AgencyFile:
    """One agencies file: its locality, its code prefix, what it defines."""

    path: Path | None
    locality: str
    prefix: str
    agencies: dict[str, Agency] = field(default_factory=dict)
    groups: dict[str, AgencyGroup] = field(default_factory=dict)

    @property
    def places(self) -> list[str]:
        """'Huyện Hà Quảng, tỉnh Cao Bằng' -> ['Hà Quảng', 'Cao Bằng']."""
        places = []
        for part in self.locality.split(","):
            words = part.strip().split()
            while words and words[0].lower() in LEVEL_WORDS:
                words = words[1:]
            if words:
                places.append(" ".join(words))
        return places

    def level_of(self, code: str) -> str | None:
        if code in self.agencies:
            return self.agencies[code].level
        group = self.groups.get(code)
        if group is None:
            return None
        levels = {self.agencies[m].level for m in group.members if m in self.agencies}
        return levels.pop() if len(levels) == 1 else None

    def members(self, code: str) -> set[str]:
        group = self.groups.get(code)
        return set(group.members) if group else {code}

    def name_of(self, code: str) -> str:
        if code in self.agencies:
            return self.agencies[code].name
        return self.groups[code].name if code in self.groups else code


@dataclass
class Directory:
    """Everything under --registry: agency files and calendars."""

    files: list[AgencyFile]
    calendars: dict[str, Calendar]
    calendar_paths: list[Path] = field(default_factory=list)
    directives: dict[str, Path] = field(default_factory=dict)  # codes already defined

    @property
    def paths(self) -> list[Path]:
        """The files `nhiemvu load --check` needs beside a draft."""
        return [f.path for f in self.files if f.path is not None] + self.calendar_paths

    def registry(self) -> Registry:
        """Every agency and group of every file, as the loader's 'already known'."""
        agencies: dict[str, Agency] = {}
        groups: dict[str, AgencyGroup] = {}
        for file in self.files:
            agencies.update(file.agencies)
            groups.update(file.groups)
        return Registry(agencies, groups)

    def for_place(self, *places: str, own_only: bool = False) -> AgencyFile | None:
        """The agency file whose locality names one of the places (district first); with
        own_only, never a lower locality's file (a province's body is not a district's)."""
        for place in places:
            if not place:
                continue
            wanted = key(place)
            for file in self.files:
                if any(key(p) == wanted for p in file.places[:1]):
                    return file
        if own_only:
            return None
        for place in places:
            wanted = key(place or "")
            for file in self.files:
                if wanted and any(key(p) == wanted for p in file.places):
                    return file
        return None


TOP_FIELD = re.compile(r"^(kind|locality):[ \t]*(.*?)[ \t]*$", re.MULTILINE)
DIRECTIVE_CODE = re.compile(r"^code:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)
CODE = re.compile(r"^\s*-?\s*code:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)


def read_directory(paths: list[Path]) -> Directory:
    """Agency and calendar files under the paths, each parsed once by the loader; the
    kind, the locality and which codes a file defines are read from its text."""
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise ImportProblem(f"không tìm thấy danh mục {', '.join(missing)} (dùng --registry với "
                            "thư mục chứa tệp cơ quan và lịch)")
    agency_files: list[tuple[Path, str, list[str]]] = []
    directives: dict[str, Path] = {}
    calendar_files: list[Path] = []
    for path in definition_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the loader reports broken files; the importer only reads good ones
        top = {name: value.strip("'\"") for name, value in TOP_FIELD.findall(text)}
        if top.get("kind") == "calendar":
            calendar_files.append(path)
        elif top.get("kind") == "agencies":
            agency_files.append((path, top.get("locality", ""), CODE.findall(text)))
        elif top.get("kind") == "directive":
            code = DIRECTIVE_CODE.search(text)
            if code:
                directives[code.group(1)] = path
    try:
        loaded = load_definitions([p for p, _, _ in agency_files] + calendar_files) \
            if agency_files or calendar_files else None
    except DefinitionError as exc:
        raise ImportProblem(f"tệp danh mục {exc}") from None
    files: list[AgencyFile] = []
    for path, locality, codes in agency_files:
        assert loaded is not None
        agencies = {c: loaded.registry.agencies[c] for c in codes if c in loaded.registry.agencies}
        groups = {c: loaded.registry.groups[c] for c in codes if c in loaded.registry.groups}
        prefix = codes[0].split(".")[0] if codes and "." in codes[0] else ""
        files.append(AgencyFile(path, locality, prefix, agencies, groups))
    return Directory(files, loaded.calendars if loaded else {}, calendar_files, directives)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key(text)).strip("-")
