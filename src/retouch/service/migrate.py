"""Run Alembic migrations programmatically at start-up (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

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
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
