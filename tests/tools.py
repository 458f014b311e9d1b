"""The one way a test asks for a system tool: outside CI a missing tool skips the test
with the reason; under CI=true it fails, because CI installs every tool
(deploy/install-test-tools.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL = "deploy/install-test-tools.sh"


def missing(reason: str) -> None:
    """Skip (developer machine) or fail (CI) a test whose tool is not there."""
    message = f"{reason} (run {INSTALL})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str, *also: str) -> str:
    """The path of a command, looked up on PATH and then in the given absolute paths."""
    found = shutil.which(name)
    if found is None:
        found = next((path for path in also if Path(path).exists()), None)
    if found is None:
        missing(f"{name} is not installed")
    assert found is not None
    return found


def require_file(path: str, what: str) -> Path:
    """A file a test needs (a browser, a script from npm)."""
    if not Path(path).exists():
        missing(f"{what} not found at {path}")
    return Path(path)


def to_pdf(source: Path, folder: Path) -> Path:
    """A document printed to PDF by LibreOffice, as a person would print it."""
    office = require_tool("libreoffice")
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{folder}/lo",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=180)
    return folder / f"{source.stem}.pdf"
