"""The registry in the database as the importer's directory, so a document uploaded
in the browser is matched against the committee's own agencies, not files on disk."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from importer.registry import AgencyFile, Directory
from workflow.definitions.store import load_calendars, load_registry
from workflow.storage.models import DirectiveRow


def directory_of(session: Session, committee: str | None) -> Directory:
    """One agency file per committee (the user's first), with its locality."""
    registry = load_registry(session)
    files: list[AgencyFile] = []
    order = sorted(registry.committees.values(),
                   key=lambda c: (c.code != committee, c.code))
    for entry in order:
        if committee is not None and entry.code != committee:
            continue
        agencies = {code: agency for code, agency in registry.agencies.items()
                    if agency.committee == entry.code}
        groups = {code: group for code, group in registry.groups.items()
                  if group.members and group.members[0] in agencies}
        prefix = next(iter(agencies)).split(".")[0] if agencies else entry.code
        files.append(AgencyFile(None, entry.locality, prefix, agencies, groups))
    stored = Path("cơ sở dữ liệu")
    return Directory(files, load_calendars(session), [],
                     {code: stored for code in session.scalars(select(DirectiveRow.code))})
