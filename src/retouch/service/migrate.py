"""Run Alembic migrations programmatically at start-up (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, text

from .db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(migrations: Path = MIGRATIONS) -> Config:
    """An Alembic config for the chain in `migrations` (the service's by default)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    return cfg


def upgrade(db: Database, revision: str = "head", *, migrations: Path = MIGRATIONS) -> None:
    """Bring the chain in `migrations` to `revision`. Safe to run on every start."""
    cfg = alembic_config(migrations)
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Nodes of a cluster start together: one migrates, the others wait and find it done.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('retouch-migrations'))"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def run_env(metadata: MetaData, **configure: Any) -> None:
    """The body of a chain's Alembic `env.py`: migrate on the connection that `upgrade` hands
    over, or, from the command line (`alembic -x url=...`, for developers writing migrations),
    on a URL. `configure` adds options of the chain (its version table, what it compares)."""
    from alembic import context

    def run_on(connection: Any) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need table rebuilds
            compare_type=True,
            **configure,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("alembic: give the database with -x url=... (or sqlalchemy.url)")
    with create_engine(url).begin() as conn:
        run_on(conn)
