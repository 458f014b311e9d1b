"""What the review page's pickers offer: the committee's agencies, its groups and, for
a committee with communes, the functions its communes' agencies hold, each under a
name the secretariat knows (never a code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflow.definitions.specs import FUNCTION_PREFIX, Registry


@dataclass(frozen=True)
class Choices:
    options: list[tuple[str, str]]  # (code, label), groups and functions first
    by_label: dict[str, str]  # label -> code, for what was typed in the search box

    def label(self, code: str) -> str:
        for option, label in self.options:
            if option == code:
                return label
        return f"{code} (chưa có trong danh mục)"

    def known(self, code: str) -> bool:
        return any(option == code for option, _ in self.options)


def committee_choices(registry: Registry, committee: str | None, today: date,
                      ended: set[str] | None = None) -> Choices:
    """Agencies still active in the committee (every committee for a deployment-wide
    user), its groups, and its communes' functions."""
    ended = ended or set()
    agencies = [a for a in registry.agencies.values()
                if (committee is None or a.committee == committee) and a.code not in ended]
    members = {a.code for a in agencies}
    options: list[tuple[str, str]] = []
    for group in sorted(registry.groups.values(), key=lambda g: g.name):
        if group.members and group.members[0] in members:
            options.append((group.code, f"{group.name} (nhóm {len(group.members)} cơ quan)"))
    children = {c.code for c in registry.committees.values()
                if committee is not None and c.parent == committee}
    functions: dict[str, list[str]] = {}
    for agency in registry.agencies.values():
        if agency.function and agency.committee in children:
            functions.setdefault(agency.function, []).append(agency.short_name or agency.name)
    for function, names in sorted(functions.items()):
        options.append((FUNCTION_PREFIX + function,
                        f"{_common(names)} các xã (chức năng, {len(names)} cơ quan)"))
    for agency in sorted(agencies, key=lambda a: a.name):
        options.append((agency.code, agency.name))
    seen: dict[str, int] = {}
    for _, label in options:
        seen[label] = seen.get(label, 0) + 1
    options = [(code, label if seen[label] == 1 else f"{label} [{code}]")
               for code, label in options]
    return Choices(options, {label: code for code, label in options})


def _common(names: list[str]) -> str:
    """The words the holders' names share at the start ("Công an xã A", "Công an xã B"
    -> "Công an")."""
    words = names[0].split()
    for name in names[1:]:
        other = name.split()
        size = 0
        while size < min(len(words), len(other)) and words[size] == other[size]:
            size += 1
        words = words[:size]
    while words and words[-1].lower() in {"xã", "phường", "thị", "trấn", "đặc", "khu"}:
        words = words[:-1]
    return " ".join(words) or names[0]
