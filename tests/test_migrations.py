"""The Alembic migrations create exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import workflow.storage.models  # noqa: F401
from workflow.errors import SchemaError
from workflow.storage.db import make_engine
from workflow.storage.migrate import check_schema, current_revision, head_revision, upgrade


def schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrations_match_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert schema_diff(engine) == []


def test_downgrade_and_upgrade_round_trip(engine: Engine) -> None:
    upgrade_to = head_revision()
    from alembic import command

    from workflow.storage.migrate import _config

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert "task" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == upgrade_to
    assert schema_diff(engine) == []


def test_unmigrated_database_is_refused_clearly(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaError, match="run `nhiemvu init` first"):
        check_schema(engine)
    upgrade(engine)
    check_schema(engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
