"""Shared fixtures: every storage test runs against a real SQLite file and the real
PostgreSQL server (NHIEMVU_TEST_POSTGRES_URL). In CI a missing PostgreSQL URL fails the
run instead of skipping."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.tools import missing
from workflow.clock import LOCAL_TZ
from workflow.definitions.loader import load_definitions
from workflow.definitions.specs import DefinitionSet
from workflow.definitions.store import save_definitions
from workflow.storage.db import make_engine, normalize_url, write_session
from workflow.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "definitions"
PG_ENV = "NHIEMVU_TEST_POSTGRES_URL"
TABLES = ["extension_request", "directive_version", "directive_draft", "task_transfer",
          "agency_change",
          "closed_year", "login_failure", "attachment",
          "report", "web_session", "web_user", "link_key",
          "sweep_mark", "outbox", "audit", "task", "task_spec", "directive",
          "agency_group_member", "agency_group", "calendar", "agency", "committee"]
NOW = datetime(2022, 4, 20, 9, 0, tzinfo=LOCAL_TZ)


def postgres_url_or_skip() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        missing(f"{PG_ENV} is not set: the PostgreSQL tests need a server")
    return normalize_url(url or "")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh database on the test server for this session, dropped at the end."""
    base = postgres_url_or_skip()
    name = f"nhiemvu_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "nhiemvu.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = make_engine(f"sqlite:///{path}")
    else:
        db = make_engine(request.getfixturevalue("pg_url"))
        with db.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def shipped() -> DefinitionSet:
    return load_definitions([DEFINITIONS])


@pytest.fixture
def loaded(engine: Engine, shipped: DefinitionSet) -> Engine:
    """A database holding the shipped definitions."""
    with write_session(engine) as session:
        save_definitions(session, shipped, NOW)
    return engine


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Shows how many tests ran against PostgreSQL, so a green run can't hide skips."""
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            keywords = getattr(report, "keywords", {})
            if "postgres" in keywords and getattr(report, "when", "call") in {"call", "setup"}:
                if outcome == "passed" and report.when != "call":
                    continue
                counts[outcome] = counts.get(outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items()) or "none ran"
    terminalreporter.write_line(f"PostgreSQL tests: {summary}")
