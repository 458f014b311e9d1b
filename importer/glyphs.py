"""Letters a PDF's text layer got wrong, put right before anything is read.

Some PDFs of real directives map a font's glyphs to the wrong letters, so the text a
web page or a copy shows reads "phịng" for "phòng" and "cơng" for "công". Vietnamese has
no syllable ending in "ịng" or in "ơng" without "ư" before it, so those two rhymes can
only be such faults, and are mended wherever they occur; nothing else is touched.
"""

from __future__ import annotations

import re

_MENDED = {"ịng": "òng", "ỊNG": "ÒNG", "ơng": "ông", "ƠNG": "ÔNG", "ớng": "ống",
           "ỚNG": "ỐNG", "ờng": "ồng", "ỜNG": "ỒNG", "ởng": "ổng", "ỞNG": "ỔNG",
           "ỡng": "ỗng", "ỠNG": "ỖNG", "ợng": "ộng", "ỢNG": "ỘNG"}
_FAULT = re.compile(r"(?<![ưƯứừửữựỨỪỬỮỰ])(?:ịng|ỊNG|ơng|ƠNG|ớng|ỚNG|ờng|ỜNG|ởng|ỞNG|ỡng|ỠNG|"
                    r"ợng|ỢNG)(?![a-zà-ỹ])", re.IGNORECASE)


def mended(text: str) -> str:
    """'Phịng Tuyên truyền', 'cơng tác' -> 'Phòng Tuyên truyền', 'công tác'."""
    if not any(c in text for c in "ịỊơƠớỚờỜởỞỡỠợỢ"):
        return text
    return _FAULT.sub(lambda m: _MENDED.get(m.group(0), m.group(0)), text)
