"""Find the agencies a phrase names, despite the ways directives spell them.

Two kinds of mention:
- named: an agency or group of the registry by one of its names (full, without the
  place, without the level word, short name), abbreviations expanded;
- collective: a generic phrase ("các cơ quan, đơn vị", "UBND các xã, thị trấn",
  "các quận, huyện") that stands for the registry group covering those agencies.
"@secretariat" stands for the committee itself or its standing office ("Thường trực
Ban…"): its tasks are carried by the secretariat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from importer.registry import AgencyFile
from importer.textkey import key

SECRETARIAT = "@secretariat"
LEVEL_WORDS = ("huyen", "thanh pho", "tinh", "quan", "thi xa", "xa", "thi tran", "phuong")
UNIT = r"(?:co quan|don vi|phong|ban nganh|ban|nganh|so|doan the|to chuc chinh tri xa hoi|" \
       r"to chuc|dia phuong)"
COMMUNE = r"(?:xa|phuong|thi tran|dac khu)"
DISTRICT = r"(?:quan|huyen|thi xa|thanh pho)"


@dataclass(frozen=True, slots=True)
class Mention:
    start: int  # character offsets in the phrase's key
    end: int
    target: str  # agency or group code, or SECRETARIAT
    named: bool
    words: str  # the key words matched


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern[str]
    target: str
    named: bool


class Matcher:
    """Mentions of one locality's agencies in any phrase."""

    def __init__(self, registry: AgencyFile | None, issuer: str | None,
                 issuer_level: str | None) -> None:
        self.registry = registry
        self.patterns: list[_Pattern] = []  # collectives and self-references
        self.trie: dict[str, Any] = {}  # named variants, word by word ("các" skipped)
        if registry is not None:
            self._named(registry)
            self._collective(registry, issuer_level)
        self._self_reference(issuer)

    def _named(self, registry: AgencyFile) -> None:
        places = [key(p) for p in registry.places]
        variants: list[tuple[str, str, bool]] = []  # (key, target, level-stripped)
        entries = [(a.code, a.name, a.short_name) for a in registry.agencies.values()]
        entries += [(g.code, g.name, None) for g in registry.groups.values()]
        for code, name, short in entries:
            full = key(re.sub(r"\([^)]*\)", "", name))
            local = full
            for place in places:
                if local.endswith(" " + place):
                    local = local[: -len(place) - 1]
            variants += [(full, code, False), (local, code, False)]
            if " viet nam " in f" {local} ":  # "Ủy ban Mặt trận Tổ quốc (Việt Nam) huyện"
                local = re.sub(r"\bviet nam\b ?", "", local).strip()
                variants.append((local, code, False))
            for level in LEVEL_WORDS:
                if local.endswith(" " + level):
                    variants.append((local[: -len(level) - 1], code, True))
            if short:
                variants.append((key(short), code, False))
            commune = re.match(r"uy ban nhan dan ((?:xa|phuong|thi tran) \w.*)$", full)
            if commune:  # "xã Cải Viên" names its people's committee
                variants.append((commune.group(1), code, False))
        for words, code, stripped in sorted(variants, key=lambda v: -len(v[0])):
            tokens = tuple(t for t in words.split() if t != "cac")
            if not tokens or (len(tokens) < 2 and not stripped):
                continue
            node = self.trie
            for token in tokens:
                node = node.setdefault(token, {})
            node.setdefault(_END, (code, stripped))  # the longest variant came first

    def _collective(self, registry: AgencyFile, issuer_level: str | None) -> None:
        def largest(level: str, named: str | None = None) -> str | None:
            best: tuple[int, str] | None = None
            for group in registry.groups.values():
                if named and named not in key(group.name):
                    continue
                if level and registry.level_of(group.code) != level:
                    continue
                size = len(group.members)
                if best is None or size > best[0]:
                    best = (size, group.code)
            return best[1] if best else None

        members = largest("", "thanh vien")
        if members:
            self.patterns.append(_Pattern(re.compile(
                r"\b(?:cac )?(?:(?:so|nganh|ban|doan the|co quan|don vi|cac) )*thanh vien "
                r"ban vi su tien bo phu nu(?: (?:thanh pho|tinh|huyen))?\b"), members, True))
        communes = largest("xa")
        if communes:
            self.patterns.append(_Pattern(re.compile(
                rf"\b(?:uy ban nhan dan )?cac {COMMUNE}(?: {COMMUNE})*\b"), communes, False))
        districts = largest("huyen") if issuer_level == "tinh" else None
        if districts:
            self.patterns.append(_Pattern(re.compile(
                rf"\b(?:ban vi su tien bo phu nu )?cac {DISTRICT}(?: {DISTRICT})*\b(?! uy)"),
                districts, False))
        own = largest(issuer_level) if issuer_level else None
        if own:
            self.patterns.append(_Pattern(re.compile(
                rf"\bcac {UNIT}(?: (?:cac )?{UNIT})*(?: (?:huyen|thanh pho|tinh))?\b"),
                own, False))

    def _self_reference(self, issuer: str | None) -> None:
        self.patterns.append(_Pattern(re.compile(
            r"\b(?:co quan thuong truc|thuong truc ban vi su tien bo phu nu"
            r"(?: (?:thanh pho|tinh|huyen|quan|xa))?|thuong truc ban(?! \w+ \w+ \w+ nhan dan)"
            r"(?= |$))"), SECRETARIAT, True))
        issuer_key = key(issuer or "")
        if issuer_key.startswith("ban vi su tien bo phu nu"):
            level = next((lv for lv in LEVEL_WORDS if f" {lv}" in issuer_key), None)
            if level:
                self.patterns.append(_Pattern(re.compile(  # not "thành viên Ban …": members
                    rf"(?<!thanh vien )\bban vi su tien bo phu nu {level}\b(?! thanh vien)"),
                    SECRETARIAT, True))

    def learn(self, code: str, name: str, place: str | None) -> None:
        """An agency the draft adds: later sentences naming it find it like a registry one
        ('Công an xã' for 'Công an xã Tân Phú')."""
        full = key(name)
        variants = {full, re.sub(r" (?:tren dia ban|thuoc) .*$", "", full)}
        folded_place = key(place or "")
        if folded_place and full.endswith(" " + folded_place):
            variants.add(full[: -len(folded_place) - 1])
        for variant in list(variants):  # "Các sở, ban, ngành tỉnh" is "các sở, ban, ngành"
            variants.add(re.sub(r" (?:tinh|huyen|xa|phuong|thanh pho|thi tran|quan)$", "",
                                variant))
        for words in variants:
            tokens = tuple(t for t in words.split() if t != "cac")
            if len(tokens) < 2:
                continue
            node = self.trie
            for token in tokens:
                node = node.setdefault(token, {})
            node.setdefault(_END, (code, False))

    def _walk(self, text: str) -> list[Mention]:
        """Named mentions: the longest registry name starting at each word."""
        words = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[a-z0-9]+", text)]
        found: list[Mention] = []
        for first in range(len(words)):
            if words[first][0] == "cac":
                continue
            node, best = self.trie, None
            index = first
            while index < len(words):
                word = words[index][0]
                if word == "cac" and index > first:
                    index += 1
                    continue
                node = node.get(word)
                if node is None:
                    break
                if _END in node and not (node[_END][1] and _levelled(words, index + 1)) and \
                        not (node[_END][1] and index + 1 < len(words)
                             and words[index + 1][0] == "cac"):
                    best = (index, node[_END][0])  # "Ủy ban nhân dân các xã" is not ours
                index += 1
            if best is not None:
                start = words[first - 1][1] if first and words[first - 1][0] == "cac" \
                    else words[first][1]
                end = words[best[0]][2]
                found.append(Mention(start, end, best[1], True, text[start:end]))
        return found

    def find(self, phrase: str) -> tuple[str, list[Mention]]:
        """The phrase's key and its mentions, left to right, longest first, no overlaps."""
        text = key(phrase)
        found: list[Mention] = self._walk(text)
        for pattern in self.patterns:
            for match in pattern.regex.finditer(text):
                found.append(Mention(match.start(), match.end(), pattern.target, pattern.named,
                                     match.group(0)))
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        chosen: list[Mention] = []
        for mention in found:
            if chosen and mention.start < chosen[-1].end:
                continue
            chosen.append(mention)
        return text, chosen


_END = "\0"
_LEVEL_AFTER = {level for level in LEVEL_WORDS if " " not in level}
_LEVEL_PAIRS = {tuple(level.split()) for level in LEVEL_WORDS if " " in level} | \
    {("viet", "nam"), ("trung", "uong")}


def _levelled(words: list[tuple[str, int, int]], index: int) -> bool:
    """A level word follows: 'Công an' + 'tỉnh' is not this district's 'Công an huyện'."""
    if index >= len(words):
        return False
    if words[index][0] in _LEVEL_AFTER:
        return True
    return index + 1 < len(words) and (words[index][0], words[index + 1][0]) in _LEVEL_PAIRS


# words that may stand between the agencies of one list ("đồng thời", "đề nghị", "chủ trì")
CONNECTORS = {"va", "cac", "cung", "dong", "thoi", "de", "nghi", "giao", "chu", "tri",
              "truong", "lanh", "dao"}  # "Trưởng các thôn", "Lãnh đạo Phòng …": the body


def _chain(words: str, mentions: list[Mention], position: int) -> list[Mention]:
    """The mentions from `position` on with only connectors between them."""
    chosen: list[Mention] = []
    for mention in mentions:
        if mention.start < position:
            continue
        if any(word not in CONNECTORS for word in words[position:mention.start].split()):
            break
        chosen.append(mention)
        position = mention.end
    return chosen


def subject(matcher: Matcher, text: str) -> list[Mention]:
    """The agencies a sentence opens with: the ones it gives the task to."""
    words, mentions = matcher.find(text)
    return _chain(words, mentions, 0)


def partners(matcher: Matcher, text: str) -> list[Mention]:
    """Named agencies after "phối hợp với": the task's coordinating agencies."""
    words, mentions = matcher.find(text)
    return [mention for match in re.finditer(r"\bphoi hop voi\b", words)
            for mention in _chain(words, mentions, match.end()) if mention.named]
