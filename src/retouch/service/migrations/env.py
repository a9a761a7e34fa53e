"""Alembic environment: runs on the connection that `retouch.service.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from retouch.service.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    # `alembic -x url=...` from the command line (for developers writing migrations).
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run_on(conn)


def _run_on(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need table rebuilds
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
