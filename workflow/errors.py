"""One exception hierarchy for the engine; every message is built from ids so the CLI
can print it as one clear line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class NhiemvuError(Exception):
    """Base of every error the engine raises on purpose."""


class DateFormatError(ValueError):
    """A date or instant written in no format the product reads."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem in a definition file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class DefinitionError(NhiemvuError):
    """A set of definition files has problems; nothing of it was loaded."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else "no details"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{first}{more}")


NOT_FOUND_KINDS = {"directive": "văn bản", "task": "nhiệm vụ", "agency": "cơ quan",
                   "group": "nhóm", "user": "người dùng", "calendar": "lịch",
                   "committee": "Ban"}


class NotFoundError(NhiemvuError):
    def __init__(self, kind: str, ident: object) -> None:
        self.kind, self.ident = kind, ident
        super().__init__(f"không tìm thấy {NOT_FOUND_KINDS.get(kind, kind)} {ident!s}")


class IllegalTransitionError(NhiemvuError):
    """A trigger that the task's current state does not allow."""

    def __init__(self, task: str, trigger: str, state: str, allowed: Sequence[str]) -> None:
        self.task, self.trigger, self.state, self.allowed = task, trigger, state, tuple(allowed)
        allowed_text = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"task {task}: cannot '{trigger}' in state '{state}'; allowed: {allowed_text}"
        )


class PermissionDeniedError(NhiemvuError):
    def __init__(self, task: str, trigger: str, actor: str, why: str) -> None:
        super().__init__(f"task {task}: {actor} may not '{trigger}': {why}")


class MissingReasonError(NhiemvuError):
    def __init__(self, task: str, trigger: str) -> None:
        super().__init__(f"task {task}: '{trigger}' needs a non-empty reason")


class ConflictError(NhiemvuError):
    """Someone else changed the task between our read and our write."""

    def __init__(self, task: str, expected: int, actual: int, state: str) -> None:
        self.task, self.expected, self.actual = task, expected, actual
        super().__init__(
            f"task {task} was changed concurrently (expected version {expected}, "
            f"now {actual}, state '{state}'); reload it and try again"
        )


class SchemaError(NhiemvuError):
    """The database is missing or at another schema revision than the code."""


class InstantiationError(NhiemvuError):
    pass
