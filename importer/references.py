"""Upper directives: "Thực hiện Công văn số 836/SLĐTBXH-TE&BĐG ngày 16/3/2023 của Sở … V/v …;
Kế hoạch số 37/KH-UBND ngày 15/3/2023 của UBND huyện về việc …" to references.

Only the preamble's "Thực hiện / Căn cứ" sentence is read: documents cited inside tasks
(laws, decrees, other plans) are what a task is about, not what the directive implements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from importer.textkey import capitalise, clean

KINDS = {
    "công văn": "cong-van", "kế hoạch": "ke-hoach", "chương trình": "chuong-trinh",
    "quyết định": "quyet-dinh", "chỉ thị": "chi-thi", "thông tri": "thong-tri",
    "nghị quyết": "nghi-quyet", "hướng dẫn": "huong-dan", "thông báo": "thong-bao",
}
OTHER_KINDS = ("luật", "nghị định", "thông tư", "đề án")
# "văn bản số 129/LĐTBXH-BĐG": a document named by its number alone, whose kind the
# number's code gives ("…/KH-…" a plan, "…/QĐ-…" a decision), else a letter
GENERIC = "văn bản"
CODE_KINDS = {"KH": "ke-hoach", "QĐ": "quyet-dinh", "HD": "huong-dan", "TB": "thong-bao",
              "CTr": "chuong-trinh", "CT": "chi-thi", "NQ": "nghi-quyet"}
START = re.compile(r"\b(?P<kind>" + "|".join(list(KINDS) + list(OTHER_KINDS) + [GENERIC]) +
                   r")\s+(?:(?:[^\s;,.]+\s+){0,8}?số\s+)?(?=[\w-]*\d[\w-]*\s*/)",
                   re.IGNORECASE)  # "Luật Bình đẳng giới số 73/2006/QH11" names it first
NUMBER = re.compile(r"^(?P<number>[\w.-]*\d[\w.-]*(?:\s*/\s*[\wĐđ&.]+(?:-[\wĐđ&.]+)*)+"
                    r"(?:\s*-\s*[\wĐđ&]+)*)")  # "2301/HD- BVHTTDL": a space after the dash
DATE = re.compile(r"ngày\s+(?P<day>\d{1,2})\s*(?:/|tháng)\s*(?P<month>\d{1,2})\s*(?:/|năm)\s*"
                  r"(?P<year>\d{4})", re.IGNORECASE)
# a document named as what the one before it carries out, not a ground of its own: the
# words run on from the earlier reference without a ';' or ',' between
NESTED = re.compile(r"[^\s;,.]\s+(?:về việc\s+|về\s+)?(?:thực hiện|triển khai|hướng dẫn thực "
                    r"hiện|hướng dẫn triển khai|tiếp tục thực hiện)\s*$")
ALIAS = re.compile(r"\((?:sau đây\s+)?(?:viết tắt|gọi tắt|gọi chung)(?:\s+là)?\s*$",
                   re.IGNORECASE)  # "(viết tắt Chỉ thị số 21-CT/TW)": named again
ABOUT = re.compile(r"\s+(?:về việc|V/v|v/v|về)\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FoundReference:
    kind: str | None  # None: a kind the schema has no code for (luật, nghị định…)
    kind_word: str
    number: str
    date: str | None  # dd/mm/yyyy
    issuer: str | None
    title: str | None
    text: str


def references_in(sentence: str) -> list[FoundReference]:
    sentence = clean(sentence)
    starts = list(START.finditer(sentence))
    found: list[FoundReference] = []
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(sentence)
        if index and (NESTED.search(sentence[: start.start()])
                      or ALIAS.search(sentence[: start.start()])):
            continue  # "Kế hoạch số 52-KH/TU … của Tỉnh ủy thực hiện Chỉ thị số 21-CT/TW": its aim
        chunk = sentence[start.start():end].strip(" ;,.")
        chunk = re.sub(r"\s*(?:;|,)?\s*(?:và|cùng)$", "", chunk)
        body = sentence[start.end():end]
        number = NUMBER.match(body)
        if not number:
            continue
        rest = body[number.end():]
        date = DATE.search(rest)
        when = None
        if date:
            when = f"{int(date['day']):02d}/{int(date['month']):02d}/{date['year']}"
            rest = rest[date.end():]
        issuer, title = _issuer_and_title(rest)
        word = start.group("kind").lower()
        code = re.sub(r"\s+", "", number.group("number"))
        kind = _kind_of(code) if word == GENERIC else KINDS.get(word)
        found.append(FoundReference(kind, word, code, when, issuer, title, chunk))
    return found


def _issuer_and_title(rest: str) -> tuple[str | None, str | None]:
    rest = rest.split(";", 1)[0]  # "…của Thủ tướng Chính phủ; Thực hiện …": the next ground
    rest = rest.strip(" ;,.")
    rest = re.sub(r"\s*(?:;|,)?\s*(?:và|cùng)$", "", rest).strip(" ;,.")
    issuer = None
    if rest.lower().startswith("của "):
        rest = rest[4:]
        about = ABOUT.search(rest)
        issuer = (rest[: about.start()] if about else rest).strip(" ;,.")
        rest = rest[about.start():] if about else ""
    about = ABOUT.match(rest) or ABOUT.match(" " + rest)
    title = None
    if about:
        keyword = about.group(0).strip()
        tail = (" " + rest)[about.end():].strip(" ;,.") if not ABOUT.match(rest) \
            else rest[about.end():].strip(" ;,.")
        title = f"V/v {tail}" if keyword.lower() == "v/v" else capitalise(tail)
    return issuer or None, title or None


def _kind_of(number: str) -> str:
    """'129/LĐTBXH-BĐG' -> 'cong-van'; '37/KH-UBND' -> 'ke-hoach'."""
    parts = re.split(r"[/-]", number)
    return next((CODE_KINDS[p] for p in parts[1:] if p in CODE_KINDS), "cong-van")
