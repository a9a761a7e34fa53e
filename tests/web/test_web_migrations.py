"""The web UI's Alembic chain creates exactly the tables its models describe, on top of the
service's schema, on SQLite and (with RETOUCH_TEST_PG_URL) PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from retouch.service.db import Database
from retouch.service.migrate import upgrade as upgrade_service
from retouch.web.migrate import upgrade as upgrade_web
from retouch.web.models import WebBase

from ..service.helpers import PgDatabases


def _diff(db: Database) -> list:
    upgrade_service(db)
    upgrade_web(db)
    upgrade_web(db)  # idempotent: every start runs it
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                # The service's tables are the service's business (its own test checks them).
                "include_name": lambda name, type_, _: type_ != "table" or name in WebBase.metadata.tables,
            },
        )
        return compare_metadata(ctx, WebBase.metadata)


def test_sqlite_web_schema_matches_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        assert _diff(db) == []
    finally:
        db.dispose()


@pytest.mark.skipif(not os.environ.get("RETOUCH_TEST_PG_URL"), reason="RETOUCH_TEST_PG_URL not set")
def test_postgresql_web_schema_matches_models() -> None:
    dbs = PgDatabases(os.environ["RETOUCH_TEST_PG_URL"])
    db = Database(dbs.create().replace("postgresql://", "postgresql+psycopg://"))
    try:
        assert _diff(db) == []
    finally:
        db.dispose()
        dbs.drop_all()
