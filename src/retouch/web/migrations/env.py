"""Alembic environment of the web UI's tables (its own chain and version table)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from retouch.web.migrate import VERSION_TABLE
from retouch.web.models import WebBase

config = context.config
target_metadata = WebBase.metadata


def include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    # Autogenerate compares only the web UI's own tables, never the service's.
    return type_ != "table" or name in target_metadata.tables


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    # `alembic -c ... -x url=...` from the command line (for developers writing migrations).
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run_on(conn)


def _run_on(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
