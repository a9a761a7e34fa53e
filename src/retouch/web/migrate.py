"""The web UI's Alembic chain, run after the service's migrations at start-up.

A chain of its own (script location `web/migrations`, version table `alembic_version_web`)
rather than revisions in the service's directory: both can grow independently without
producing two heads, and the web tables can be dropped by removing the package.
"""

from __future__ import annotations

from pathlib import Path

from ..service import migrate as service_migrate
from ..service.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version_web"


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the web tables to `revision`. Safe to run on every start."""
    service_migrate.upgrade(db, revision, migrations=MIGRATIONS)
