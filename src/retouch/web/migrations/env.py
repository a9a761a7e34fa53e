"""Alembic environment of the web UI's tables (its own chain and version table)."""

from __future__ import annotations

from retouch.service.migrate import run_env
from retouch.web.migrate import VERSION_TABLE
from retouch.web.models import WebBase


def include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    # Autogenerate compares only the web UI's own tables, never the service's.
    return type_ != "table" or name in WebBase.metadata.tables


run_env(WebBase.metadata, version_table=VERSION_TABLE, include_name=include_name)
