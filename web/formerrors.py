"""A form's error tied to its field, for templates: the field marked invalid and described
by its message. Plain methods, not jinja macros: a macro imported with the page's context
is rebuilt on every render, which cost more than the rest of a report page."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

NOTHING = Markup("")


@dataclass(frozen=True)
class FormErrors:
    error: str | None
    field: str | None

    def _on(self, name: str) -> bool:
        return bool(self.error) and self.field == name

    def invalid(self, name: str) -> Markup:
        """The attributes of the field the error belongs to."""
        if not self._on(name):
            return NOTHING
        return Markup(' aria-invalid="true" aria-describedby="{0}-loi"').format(name)

    def message(self, name: str) -> Markup:
        """The message under the field the error belongs to."""
        if not self._on(name):
            return NOTHING
        return Markup('<p class="field-error" id="{0}-loi"><span class="sr-only">Lỗi: '
                      '</span>{1}</p>').format(name, escape(self.error))
