"""A head's full title, composed once when the registry is read."""

from __future__ import annotations


def head_title(position: str, agency_name: str) -> str:
    """A head's full title from a position and the unit's name, written the way letters
    are addressed: 'Trưởng phòng' + 'Phòng Nội vụ huyện X' is 'Trưởng phòng Nội vụ huyện X',
    'Chủ tịch' + 'Hội Nông dân huyện X' is 'Chủ tịch Hội Nông dân huyện X'."""
    last, first = position.split()[-1], agency_name.split(" ", 1)
    if len(first) == 2 and last.casefold() == first[0].casefold():
        return f"{position} {first[1]}"
    return f"{position} {agency_name}"
