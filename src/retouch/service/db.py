"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL for scale.

Two kinds of transaction: `read()` and `write()`. On SQLite a write transaction starts
with BEGIN IMMEDIATE, taking the write lock up front: a deferred transaction that reads
and then writes can fail with SQLITE_BUSY without waiting when another writer committed
in between, which is exactly what concurrent credit holds do. PostgreSQL needs no such
care: conditional UPDATEs lock the rows they change.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Float, create_engine, event, func, literal_column, text
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement


class Database:
    """Owns the SQLAlchemy engine and hands out short transactions."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("sqlite:///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url, pool_size=pool_size, max_overflow=pool_size, connect_args={"timeout": 30}
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(begin_mode="IMMEDIATE") if self.is_sqlite else self.engine
        self._write = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as s:
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception."""
        with self._write() as s, s.begin():
            yield s

    def clock(self) -> ColumnElement[float]:
        """The database's clock in epoch seconds, as SQL: leases and heartbeats are written and
        compared by it, so that machines whose clocks disagree still agree on who is late."""
        if self.is_sqlite:
            return literal_column("((julianday('now') - 2440587.5) * 86400.0)", Float)
        return sql_cast(func.extract("epoch", func.clock_timestamp()), Float)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as c:
                c.execute(text("SELECT 1"))
            return True
        except OperationalError:
            return False

    def check_writable(self) -> None:
        """Raise (the driver's error) unless a write goes through; the probe itself is rolled back."""
        with self.engine.connect() as c:
            c.execute(text("UPDATE alembic_version SET version_num = version_num"))
            c.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN
        # cannot be IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes; WAL keeps it consistent
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("begin_mode", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def now() -> float:
    """Timestamps are epoch seconds (float): portable across SQLite and PostgreSQL."""
    return time.time()


def rowcount(result: Result[Any]) -> int:
    """Rows changed by an UPDATE or DELETE run through a Session (whose `execute` is typed as
    returning a plain Result, though such statements give a CursorResult)."""
    return cast("CursorResult[Any]", result).rowcount
