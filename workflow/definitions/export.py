"""A stored directive as the YAML `nhiemvu load` reads: the dashboard's download and
`nhiemvu export-yaml` both come from here, so the browser and the files never diverge."""

from __future__ import annotations

from sqlmodel import Session

from workflow.definitions.store import load_directive
from workflow.definitions.versions import latest_version
from workflow.definitions.yamlwriter import directive_document, dump
from workflow.views.labels import DOCUMENT_LABELS


def directive_yaml(session: Session, code: str) -> str:
    directive, _ = load_directive(session, code)
    latest = latest_version(session, code)
    kind = DOCUMENT_LABELS.get(directive.kind, directive.kind)
    return dump(directive_document(directive),
                header=f"{kind} số {directive.number} ({directive.code}), phiên bản "
                       f"{latest.number if latest else 1}.\nNạp lại bằng: nhiemvu load TỆP")
