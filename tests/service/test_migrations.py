"""The Alembic migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from retouch.service.db import Database
from retouch.service.migrate import upgrade
from retouch.service.models import Base

from .helpers import PgDatabases


def _diff(db: Database) -> list:
    upgrade(db)
    upgrade(db)  # idempotent: a second start changes nothing
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def test_sqlite_schema_matches_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        assert _diff(db) == []
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        db.dispose()


@pytest.mark.skipif(not os.environ.get("RETOUCH_TEST_PG_URL"), reason="RETOUCH_TEST_PG_URL not set")
def test_postgresql_schema_matches_models() -> None:
    dbs = PgDatabases(os.environ["RETOUCH_TEST_PG_URL"])
    url = dbs.create().replace("postgresql://", "postgresql+psycopg://")
    db = Database(url)
    try:
        assert _diff(db) == []
    finally:
        db.dispose()
        dbs.drop_all()
