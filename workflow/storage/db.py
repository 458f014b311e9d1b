"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on; write transactions begin IMMEDIATE so two
writers queue on the database lock instead of failing half-way with a stale snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> str:
    """Plain postgresql:// URLs use psycopg 3, the driver this project installs."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit in the driver: writers emit BEGIN themselves (_on_begin), reads none.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _configure_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine, immediate: bool = True) -> Iterator[Session]:
    """One transaction for one operation: commit on success, roll back on any error.

    On SQLite, `immediate=True` (the default, also for task transitions) takes the write
    lock at BEGIN, so concurrent writers wait their turn (busy timeout) instead of failing
    on a stale snapshot: a report never fails because another agency reported at the same
    moment. The version check still refuses a decision made on an outdated read.

    SQLite has one writer at a time, and a writer that finds the lock taken sleeps in
    SQLite's busy handler (1, 2, 5, 10… ms) rather than being woken: the writers of this
    process queue on a lock of their own first, so that only writers of other processes
    (the scheduler, the CLI) ever meet the busy handler.
    """
    if not is_sqlite(engine):
        with _session(engine) as session:
            yield session
        return
    with _queued(engine), _session(_immediate(engine) if immediate else engine) as session:
        yield session


@contextmanager
def _session(bound: Engine) -> Iterator[Session]:
    with Session(bound, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


T = TypeVar("T")
_MADE_ONCE = threading.Lock()
_LOCKS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()
_READERS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
_WRITERS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def _per_engine(cache: WeakKeyDictionary[Engine, T], engine: Engine, make: Callable[[], T]
                ) -> T:
    """What an engine needs once (its writer lock, its reader, its IMMEDIATE options),
    made once even when threads ask at the same moment."""
    found = cache.get(engine)
    if found is None:
        with _MADE_ONCE:
            found = cache.get(engine)
            if found is None:
                found = cache[engine] = make()
    return found


@contextmanager
def _queued(engine: Engine) -> Iterator[None]:
    """This process's SQLite writers, one at a time (reentrant: a writer may nest a
    write). After the busy timeout a writer goes on without its turn, and SQLite's own
    timeout decides, as it did without the queue."""
    lock = _per_engine(_LOCKS, engine, threading.RLock)
    acquired = lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        yield
    finally:
        if acquired:
            lock.release()


def _immediate(engine: Engine) -> Engine:
    """The SQLite engine whose transactions begin IMMEDIATE."""
    return _per_engine(_WRITERS, engine,
                       lambda: engine.execution_options(sqlite_begin="IMMEDIATE"))


def reader(engine: Engine) -> Engine:
    """The engine reads go through: each statement runs on its own. On PostgreSQL
    (autocommit) in READ COMMITTED every statement takes its own snapshot anyway, so a
    read-only transaction only adds two round trips (BEGIN, ROLLBACK) to every page; on
    SQLite the same holds, see `_sqlite_reader`."""
    return _per_engine(_READERS, engine, lambda: _sqlite_reader(engine) if is_sqlite(engine)
                       else engine.execution_options(isolation_level="AUTOCOMMIT"))


def _sqlite_reader(engine: Engine) -> Engine:
    """SQLite reads get an engine of their own: the same file through a pool of its own
    (WAL: readers never wait for the writer), without BEGIN and without the writer's
    `begin` listener. Any connection event makes SQLAlchemy dispatch events around every
    statement, and that cost a link page more than its queries. It is disposed with
    the engine it reads for."""
    found = create_engine(engine.url, connect_args={"check_same_thread": False})
    event.listen(found, "connect", _on_connect)
    event.listen(engine, "engine_disposed", lambda _engine: found.dispose())
    return found


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session that only reads (what it would write is never committed)."""
    with Session(reader(engine), expire_on_commit=False) as session:
        yield session


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection that only reads: the hot pages skip the ORM's bookkeeping."""
    with reader(engine).connect() as connection:
        yield connection
