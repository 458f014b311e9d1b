"""Letters a PDF's text layer got wrong, put right before anything is read.

Some PDFs of real directives map a font's glyphs to the wrong letters, so the text a
web page or a copy shows reads "phịng" for "phòng" and "cơng" for "công". Vietnamese has
no syllable ending in "ịng" or in "ơng" without "ư" before it, so those two rhymes can
only be such faults, and are mended wherever they occur; nothing else is touched.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from itertools import pairwise, product
from pathlib import Path

_MENDED = {"ịng": "òng", "ỊNG": "ÒNG", "ơng": "ông", "ƠNG": "ÔNG", "ớng": "ống",
           "ỚNG": "ỐNG", "ờng": "ồng", "ỜNG": "ỒNG", "ởng": "ổng", "ỞNG": "ỔNG",
           "ỡng": "ỗng", "ỠNG": "ỖNG", "ợng": "ộng", "ỢNG": "ỘNG"}
_FAULT_LETTERS = frozenset(fault[0] for fault in _MENDED)
_FAULT = re.compile(r"(?<![ưƯứừửữựỨỪỬỮỰ])(?:" + "|".join(_MENDED) + r")(?![a-zà-ỹ])",
                    re.IGNORECASE)


def mended(text: str) -> str:
    """'Phịng Tuyên truyền', 'cơng tác' -> 'Phòng Tuyên truyền', 'công tác'."""
    if _FAULT_LETTERS.isdisjoint(text):
        return text
    return _FAULT.sub(lambda m: _MENDED.get(m.group(0), m.group(0)), text)


# Words run together where a web page dropped the space between two spans of text:
# "Kếhoạch", "cơquan", "theoQuyết", "ngày29/5/2012", "Sở,ngành". Two syllables are split
# only where every part is a syllable the importer's vocabulary knows (two, three or four
# of them: "vìsựtiến"); where several readings are possible ("cơquan": "cơ quan" or
# "cơq uan" if "cơq" were known), the one whose rarest syllable is by far the more
# frequent wins, else the word is left as it is, and so is a word the vocabulary lacks.
VOCABULARY = Path(__file__).with_name("syllables.txt")
_MARKED = "ăâêôơưđàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
_VIETNAMESE = re.compile(f"[{_MARKED}]", re.IGNORECASE)  # a letter only Vietnamese writes
_WORD = re.compile(r"[^\W\d_]{3,}")
_VOWEL_RUN = re.compile(f"[aeiouy{_MARKED.replace('đ', '')}]+", re.IGNORECASE)


CLEAR_LEAD = 4  # how many times more frequent the chosen reading's rarest syllable must be
MAX_SYLLABLES = 4  # "vìsựtiếnbộ": longer runs are left as they are


@lru_cache(maxsize=1)
def _syllables() -> dict[str, int]:
    """Syllable -> how often the shipped texts use it ('syllable<TAB>count' a line)."""
    counts: dict[str, int] = {}
    for line in VOCABULARY.read_text(encoding="utf-8").splitlines():
        syllable, _, count = line.partition("\t")
        if syllable:
            counts[syllable] = int(count) if count.isdigit() else 1
    return counts


def unglued(text: str) -> str:
    """'Ban hành kèm theoQuyết định nàyKế hoạch của Ủy bannhân dân, ngày29/5' -> with the
    spaces back; codes ('QĐ-TTg', 'LĐTB&XH') and unknown words are left alone."""
    text = re.sub(r"(?<=[^\W\d_]),(?=[^\W\d_])", ", ", text)
    text = re.sub(r"\b(ngày|năm|tháng|NGÀY|NĂM|THÁNG)(?=\d)", r"\1 ", text)
    return _WORD.sub(_split_word, text)


def _split_word(match: re.Match[str]) -> str:
    return _split(match.group(0))


def _split(word: str) -> str:
    for index in range(2, len(word) - 1):  # "theoQuyết": lower case, then a capital word
        if word[index - 1].islower() and word[index].isupper() and word[index + 1].islower():
            return f"{_split(word[:index])} {_split(word[index:])}"
    known = _syllables()
    lowered = word.lower()
    if lowered in known or not _VIETNAMESE.search(word) or _one_syllable(word):
        return word  # "họa" is one syllable the vocabulary lacks, never "họ a"
    readings = sorted(_readings(lowered, known), reverse=True)
    if not readings or (len(readings) > 1 and readings[0][0] < CLEAR_LEAD * readings[1][0]):
        return word
    cuts = readings[0][1]
    return " ".join(word[start:end] for start, end in pairwise((0, *cuts, len(word))))


def _readings(lowered: str, known: dict[str, int]) -> list[tuple[int, tuple[int, ...]]]:
    """Every way to cut a run-together word into known syllables, one run of vowels each
    ('vìsựtiến' -> 'vì sự tiến'), with the count of its rarest syllable. A syllable has
    exactly one run of vowels, so the cuts can only fall in the consonants between runs."""
    runs = [match.span() for match in _VOWEL_RUN.finditer(lowered)]
    if not 2 <= len(runs) <= MAX_SYLLABLES:
        return []
    choices = [range(before[1], after[0] + 1) for before, after in pairwise(runs)]
    found = []
    for cuts in product(*choices):
        parts = [lowered[start:end] for start, end in pairwise((0, *cuts, len(lowered)))]
        if all(part in known for part in parts):
            found.append((min(known[part] for part in parts), cuts))
    return found


def _one_syllable(word: str) -> bool:
    """One run of vowels: 'quan', 'giữa', 'nghiêng' are syllables; 'kếhoạch', 'cơquan' (two
    run together in a corpus document) and 'about' are not."""
    return len(_VOWEL_RUN.findall(word)) == 1


def rebuild_vocabulary(sources: list[Path]) -> int:
    """The syllables of the shipped directives and the corpus with how often each is
    used, one a line (run by hand after the corpus grows: python -m importer.glyphs)."""
    counts: Counter[str] = Counter()
    for source in sources:
        for path in sorted(source.rglob("*")):
            if path.suffix in (".txt", ".md", ".yaml"):
                text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
                counts.update(w.lower() for w in re.findall(r"[^\W\d_]+", text)
                              if len(w) <= 7 and w[1:] == w[1:].lower() and _one_syllable(w))
    VOCABULARY.write_text("".join(f"{word}\t{counts[word]}\n" for word in sorted(counts)),
                          encoding="utf-8")
    return len(counts)


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    count = rebuild_vocabulary([root / "definitions", root / "tests" / "data"])
    print(f"{VOCABULARY}: {count} âm tiết")
