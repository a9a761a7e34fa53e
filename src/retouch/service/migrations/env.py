"""Alembic environment: runs on the connection that `retouch.service.migrate` hands over."""

from __future__ import annotations

from retouch.service.migrate import run_env
from retouch.service.models import Base

run_env(Base.metadata)
