"""Schema management with Alembic: `nhiemvu init` upgrades to head; every other command
checks the revision first and refuses to run on a missing or outdated schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from workflow.errors import SchemaError

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def check_schema(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaError(f"database {where} has no nhiemvu schema; run `nhiemvu init` first")
    if current != head:
        raise SchemaError(f"database {where} is at schema revision {current}, this version "
                          f"needs {head}; run `nhiemvu init` to upgrade")
