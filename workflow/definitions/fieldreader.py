"""Typed access to one YAML mapping that records problems instead of raising, so one
pass over a file reports every problem with its line and field path."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, TypeVar

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarint import BinaryInt, HexCapsInt, HexInt, OctalInt

from workflow.definitions.yamlsource import line_of
from workflow.errors import DateFormatError, Problem

T = TypeVar("T")
NOT_DECIMAL = (HexInt, HexCapsInt, OctalInt, BinaryInt)
SHORT_TEXT = 1_000  # a title, a name, a number: far longer than any real one
LONG_TEXT = 20_000  # a task's whole text
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.\-]*[a-z0-9]$|^[a-z0-9]$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MISSING: Any = object()


class FileProblems:
    """Collects problems for one file."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Problem] = []

    def add(self, line: int | None, field: str, message: str) -> None:
        self.problems.append(Problem(self.display, line, field, message))


class Fields:
    """One mapping at a field path (e.g. 'tasks[3]') inside a file."""

    def __init__(self, node: Any, path: str, sink: FileProblems) -> None:
        self.node = node
        self.path = path
        self.sink = sink
        self.ok = isinstance(node, CommentedMap)
        if not self.ok:
            sink.add(line_of(node), path or "(document)", "expected a mapping of fields")

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def line(self, key: str | None = None) -> int | None:
        if key is not None and self.ok and key in self.node:
            return line_of(self.node, key)
        return line_of(self.node)

    def problem(self, key: str, message: str) -> None:
        self.sink.add(self.line(key), self.at(key), message)

    def only(self, allowed: set[str]) -> None:
        """Unknown keys are usually typos: refuse them by name."""
        if not self.ok:
            return
        for key in self.node:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.problem(str(key), f"unknown field (expected one of: {expected})")

    def raw(self, key: str, required: bool) -> Any:
        if not self.ok or key not in self.node or self.node[key] is None:
            if required and self.ok:
                self.sink.add(self.line(), self.at(key), "missing required field")
            return MISSING
        return self.node[key]

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.raw(key, required)
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(key, "expected text")
            return None
        value = " ".join(str(value).split()) if key != "text" else str(value).strip()
        if not value:
            self.problem(key, "expected non-empty text")
            return None
        limit = LONG_TEXT if key == "text" else SHORT_TEXT
        if len(value) > limit:
            self.problem(key, f"text of {len(value)} characters, more than {limit}")
            return None
        return value

    def integer(self, key: str, required: bool = True, low: int = 0, high: int = 10**6
                ) -> int | None:
        value = self.raw(key, required)
        if value is MISSING:
            return None
        # Only a whole number written in decimal: YAML's 0x7E6 or 0o3746 is no year.
        if isinstance(value, (bool, *NOT_DECIMAL)) or not isinstance(value, int) \
                or not low <= value <= high:
            self.problem(key, f"expected a whole number from {low} to {high}")
            return None
        return value

    def code(self, key: str = "code") -> str | None:
        value = self.text(key)
        if value is not None and not CODE_PATTERN.match(value):
            self.problem(key, f"'{value}' is not a code (expected lowercase letters, digits, "
                              "'.' and '-')")
            return None
        return value

    def parsed(self, key: str, parse: Callable[[str], T], required: bool = True) -> T | None:
        value = self.raw(key, required)
        if value is MISSING:
            return None
        if isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        try:
            return parse(str(value))
        except DateFormatError as exc:
            self.problem(key, str(exc))
            return None

    def codes(self, key: str, required: bool = True) -> list[tuple[str, int | None, str]]:
        """A list of codes, each with its line and field path."""
        value = self.raw(key, required)
        if value is MISSING:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, CommentedSeq | list):
            self.problem(key, "expected a list of codes")
            return []
        result = []
        for index, item in enumerate(value):
            path = f"{self.at(key)}[{index}]"
            line = line_of(value, index) or self.line(key)
            if not isinstance(item, str) or not CODE_PATTERN.match(item):
                self.sink.add(line, path, f"'{item}' is not a code")
                continue
            result.append((item, line, path))
        if required and not value:
            self.problem(key, "expected at least one code")
        return result

    def items(self, key: str, required: bool = True) -> Iterator[tuple[Any, str]]:
        """Items of a list field with their field paths."""
        value = self.raw(key, required)
        if value is MISSING:
            return
        if not isinstance(value, CommentedSeq):
            self.problem(key, "expected a list")
            return
        for index, item in enumerate(value):
            yield item, f"{self.at(key)}[{index}]"

    def child(self, key: str, required: bool = True) -> Fields | None:
        value = self.raw(key, required)
        return None if value is MISSING else Fields(value, self.at(key), self.sink)
