"""A built message as the bytes of SMTP DATA, written straight from its parts.

`notifier.message.build` makes every header ASCII already (RFC 2047 words) and every body
base64 text with a fixed boundary, so writing the message out is joining strings; the
email package's generators re-parse and re-fold every header instead, which took a
millisecond a message, as long as rendering it. Anything of another shape (a non-ASCII
header, a payload that is not text) goes through the standard generator.
"""

from __future__ import annotations

from email.message import Message
from email.policy import compat32

LINE = 78  # RFC 5322's recommended line length; folding only ever happens at a space
CRLF_POLICY = compat32.clone(linesep="\r\n")


class Unusual(Exception):
    pass


def wire_bytes(message: Message) -> bytes:
    """The message with CRLF line ends, as the standard generator would write it."""
    out: list[str] = []
    try:
        _write(message, out)
    except Unusual:
        return message.as_bytes(policy=CRLF_POLICY)
    return "".join(out).encode("ascii")


def _write(part: Message, out: list[str]) -> None:
    for name, value in part.items():
        if not isinstance(value, str) or not value.isascii() or "\n" in value:
            raise Unusual
        out.append(_fold(f"{name}: {value}"))
    out.append("\r\n")
    payload = part.get_payload()
    if part.is_multipart():
        boundary = part.get_boundary()
        if not boundary or not isinstance(payload, list):
            raise Unusual
        for index, child in enumerate(payload):
            out.append(f"--{boundary}\r\n" if index == 0 else f"\r\n--{boundary}\r\n")
            _write(child, out)
        out.append(f"\r\n--{boundary}--\r\n")
        return
    if not isinstance(payload, str) or not payload.isascii():
        raise Unusual
    body = payload.replace("\r\n", "\n").replace("\n", "\r\n")
    out.append(body)


def _fold(line: str) -> str:
    """One header, folded at spaces into lines of at most LINE characters where a space
    allows it, each continuation starting with the space it was folded at."""
    if len(line) <= LINE:
        return line + "\r\n"
    lines: list[str] = []
    current = ""
    for index, word in enumerate(line.split(" ")):
        piece = word if index == 0 else f" {word}"
        if current and len(current) + len(piece) > LINE:
            lines.append(current)
            current = piece
        else:
            current += piece
    lines.append(current)
    return "\r\n".join(lines) + "\r\n"
