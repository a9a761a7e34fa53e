"""cluster: the engine of each job, and the nodes table (live processes and their engines)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("engine", sa.String(length=40), nullable=False, server_default="builtin"))
    # Jobs still to run need the right engine: workers claim by it. (Ended jobs keep "builtin":
    # nothing reads it any more.)
    jobs = sa.table("jobs", sa.column("id", sa.String), sa.column("model", sa.String),
                    sa.column("status", sa.String), sa.column("engine", sa.String))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(jobs.c.id, jobs.c.model).where(jobs.c.status.in_(["queued", "running"]))
    ).all()
    if rows:
        from retouch.engines import resolve

        for job_id, model in rows:
            try:
                engine = resolve(model)[0]
            except Exception:  # an engine no longer installed: its workers will say so
                engine = (model or "builtin").split(":", 1)[0]
            conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(engine=engine))
    op.create_table(
        "nodes",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("node_name", sa.String(length=160), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("engines", sa.JSON(), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("nodes")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("engine")
