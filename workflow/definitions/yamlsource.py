"""Read YAML keeping line numbers, so every validation problem can name its line.

A definition file comes from an IT officer or an upload, so it is read within bounds
before the YAML library builds anything: at most MAX_BYTES, no NUL, no alias (a
"billion laughs" file expands a few lines into gigabytes), nesting at most MAX_DEPTH
deep, no scalar longer than MAX_SCALAR, no impossible date. Each failure is one problem
with its line, like every other problem of the loader."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)

from workflow.errors import Problem

MAX_BYTES = 8 * 1024 * 1024  # a country's registry fits; a hostile file does not
MAX_DEPTH = 20  # the schema nests five deep
MAX_SCALAR = 100_000
TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt ].*)?")


def read_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Parse one file; syntax errors (and duplicate keys) come back as problems."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [Problem(display, None, "(file)",
                                  f"file of {size / 1024 / 1024:.1f} MB, more than the "
                                  f"{MAX_BYTES // 1024 // 1024} MB a definition file may have")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display, None, "(file)", f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(display, None, "(file)", f"cannot read: {exc.strerror}")]
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> tuple[Any, list[Problem]]:
    """Parse a document held in memory (one the product drafted, e.g. a commune plan)."""
    if len(text) > MAX_BYTES:
        return None, [Problem(display, None, "(file)", f"file of {len(text)} characters, more "
                              f"than the {MAX_BYTES // 1024 // 1024} MB a definition file may "
                              f"have")]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, [Problem(display, line, "(yaml)", "contains a NUL character")]
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        problem = _bounds_problem(yaml, text, display)
        if problem is not None:
            return None, [problem]
        return yaml.load(text), []
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(display, line, "(yaml)", what)]
    except (YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        position = getattr(exc, "position", None)  # a ReaderError: a character YAML refuses
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        return None, [Problem(display, line, "(yaml)", f"invalid YAML ({type(exc).__name__})")]


def _bounds_problem(yaml: YAML, text: str, display: str) -> Problem | None:
    """One pass over the parser's events (no object is built): the first bound broken."""
    depth = 0
    for event in yaml.parse(text):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, AliasEvent):
            return Problem(display, line, "(yaml)", f"alias '*{event.anchor}' is not allowed "
                                                    "(write the value out)")
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(display, line, "(yaml)",
                               f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif isinstance(event, ScalarEvent):
            if len(event.value) > MAX_SCALAR:
                return Problem(display, line, "(yaml)", f"a value of {len(event.value)} "
                                                        f"characters, more than {MAX_SCALAR}")
            if event.style is None and (found := TIMESTAMP.fullmatch(event.value)):
                try:
                    date(*(int(part) for part in found.groups()))
                except ValueError:
                    return Problem(display, line, "(yaml)",
                                   f"'{event.value[:40]}' is not a real date")
    return None


def as_node(value: Any) -> Any:
    """A document built in memory (the browser's draft) as the parser would give it, so
    the loader checks it without a round trip through YAML text; it has no lines."""
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = as_node(item)
        return node
    if isinstance(value, list):
        return CommentedSeq(as_node(item) for item in value)
    return value


def line_of(node: Any, key: str | int | None = None) -> int | None:
    """1-based line of a mapping key, a sequence item, or the node itself."""
    try:
        if key is None:
            return node.lc.line + 1
        if isinstance(node, CommentedMap):
            return node.lc.key(key)[0] + 1
        if isinstance(node, CommentedSeq):
            return node.lc.item(key)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None
    return None
