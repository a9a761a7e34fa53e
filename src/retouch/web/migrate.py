"""The web UI's Alembic chain, run after the service's migrations at start-up.

A chain of its own (script location `web/migrations`, version table `alembic_version_web`)
rather than revisions in the service's directory: both can grow independently without
producing two heads, and the web tables can be dropped by removing the package.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from ..service.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version_web"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the web tables to `revision`. Safe to run on every start."""
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
