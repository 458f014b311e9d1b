"""A fresh, migrated database for a benchmark run, removed afterwards.

SQLite: the named file is recreated. PostgreSQL: a scratch database is created beside the
one named in the URL and dropped at the end, so nothing of the named one is touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from workflow.storage.db import make_engine, normalize_url
from workflow.storage.migrate import upgrade


@contextmanager
def scratch_database(url: str, label: str) -> Iterator[str]:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or f"{label}.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        _migrate(url)
        yield url
        return
    name = f"{parsed.database}_{label}_{os.getpid()}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    target = parsed.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(target)
        yield target
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def peak_kib(process: int | str = "self") -> int:
    """A process's peak resident memory (VmHWM), this one's by default; 0 for a process
    that has already exited. Not getrusage's ru_maxrss: Linux keeps that across exec, so
    a child spawned by a parent that had grown to 400 MiB reported the parent's peak as
    its own (bench/instantiate.py showed 334 MiB for a job that peaked at 100)."""
    try:
        with open(f"/proc/{process}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0
