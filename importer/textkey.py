"""Text normalisation for matching: abbreviations, dashes, tone-mark placement, "của".

Directives spell one agency many ways (Hội LHPN / Hội Liên hiệp Phụ nữ, LĐ-TB&XH /
Lao động - Thương binh và Xã hội, Uỷ / Ủy, "vì sự tiến bộ (của) phụ nữ"). Matching
compares *keys*: abbreviations expanded, diacritics and punctuation removed,
lower case, the filler word "của" dropped.
"""

from __future__ import annotations

import re
import unicodedata

# Abbreviation -> long form, applied to document text and to registry names alike.
# Only unambiguous ones: VH&TT (Văn hóa và Thông tin / Thể thao) is left alone.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"\bUBMTTQ(?:\s*VN|\s*Việt Nam)?\b", "Ủy ban Mặt trận Tổ quốc"),
    (r"\bMTTQ\b", "Mặt trận Tổ quốc"),
    (r"\bUBND\b", "Ủy ban nhân dân"),
    (r"\bHĐND\b", "Hội đồng nhân dân"),
    (r"\bHội\s+LHPN\b", "Hội Liên hiệp Phụ nữ"),
    (r"\bLHPN\b", "Liên hiệp Phụ nữ"),
    (r"\b(?:Lao động|LĐ)\s*[-–—]?\s*(?:TB\s*&\s*XH|TBXH|Thương binh\s*&\s*Xã hội)",
     "Lao động - Thương binh và Xã hội"),
    (r"\bLĐTBXH\b", "Lao động - Thương binh và Xã hội"),
    (r"\b(?:Ban\s+)?B?VSTBC?PN\b", "Ban Vì sự tiến bộ của phụ nữ"),
    (r"\bGD\s*&\s*ĐT\b|\bGDĐT\b", "Giáo dục và Đào tạo"),
    (r"\bTC\s*-\s*KH\b", "Tài chính - Kế hoạch"),
    (r"\bTTYT\b", "Trung tâm Y tế"),
    (r"\bTP\b", "thành phố"),
    (r"\bP\.\s*(?=[A-ZĐÀ-Ỹ])", "Phòng "),
)
_COMPILED = tuple((re.compile(pattern), long) for pattern, long in ABBREVIATIONS)

DASHES = re.compile(r"[\u2010-\u2015\u2212]")
FILLER = {"cua"}  # "Ban Vì sự tiến bộ (của) phụ nữ", "đoàn thể (của) huyện"


def clean(text: str) -> str:
    """NFC, one kind of dash, no markdown emphasis or <sup>, single spaces."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    text = DASHES.sub("-", text)
    text = re.sub(r"<sup>.*?</sup>", "", text)
    text = text.replace("**", "").replace("__", "")
    return re.sub(r"[ \t]+", " ", text).strip()


def expand(text: str) -> str:
    """Abbreviations to their long forms."""
    for pattern, long in _COMPILED:
        text = pattern.sub(long, text)
    return text


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d): tone-mark placement stops mattering."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def key(text: str) -> str:
    """The matching key of a phrase: expanded, folded, words only, fillers dropped."""
    words = re.findall(r"[a-z0-9]+", fold(expand(clean(text))))
    return " ".join(w for w in words if w not in FILLER)


def sentence_case(text: str) -> str:
    """'ỦY BAN NHÂN DÂN HUYỆN THANH HÀ' -> 'Ủy ban nhân dân huyện Thanh Hà'.

    Administrative words stay lower case, the place after a level word is capitalised.
    """
    words = clean(text).lower().split()
    out: list[str] = []
    in_place = False
    domain = len(words) > 1 and words[0] in UNIT_HEADS and words[:2] not in (["ủy", "ban"],
                                                                           ["uỷ", "ban"])
    def level(index: int) -> bool:  # "xã" is a level, "xã hội" is society
        return words[index] in LEVEL_WORDS and words[index + 1: index + 2] != ["hội"]

    for index, word in enumerate(words):
        if not level(index) and index and level(index - 1):
            in_place = True
        if level(index):
            domain = False
        # "Sở Lao động - Thương binh và Xã hội": the field's words after the unit, "-", "và"
        starts_field = domain and index > 0 and (index == 1 or words[index - 1] in ("-", "và"))
        if index == 0 or in_place or (starts_field and word not in ("-", "và", "của")):
            word = word[:1].upper() + word[1:]
        out.append(word)
    return " ".join(out)


UNIT_HEADS = {"sở", "phòng", "ban", "hội", "cục", "chi", "trung", "văn", "ủy", "bộ", "vụ"}


LEVEL_WORDS = {"huyện", "tỉnh", "xã", "quận", "phường", "thị", "trấn", "thành", "phố"}


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
