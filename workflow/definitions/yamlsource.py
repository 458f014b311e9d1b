"""Read YAML keeping line numbers, so every validation problem can name its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from workflow.errors import Problem


def read_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Parse one file; syntax errors (and duplicate keys) come back as problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display, None, "(file)", f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(display, None, "(file)", f"cannot read: {exc.strerror}")]
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> tuple[Any, list[Problem]]:
    """Parse a document held in memory (one the product drafted, e.g. a commune plan)."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text), []
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(display, line, "(yaml)", what)]


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
