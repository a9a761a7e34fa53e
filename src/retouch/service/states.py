"""A job's states and the one guarded function that changes them.

Every status change of a job goes through `transition`: a conditional UPDATE that moves
the row from one of the expected states to the new one (and, for a worker, only while the
job is still that worker's), checked against the state machine below. Whoever loses a race
(a cancel against a settlement, two nodes recovering the same orphan) gets `None` and
nothing changes; a change the machine forbids is a programming error and raises.

    queued ──claim──▶ running ──▶ succeeded
      │  ▲              │ │
      │  └──requeue─────┘ └──▶ failed / canceled
      └─────────────────────▶ failed / canceled
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, literal_column, update
from sqlalchemy.sql.elements import ColumnElement

from .models import Job


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class Origin(StrEnum):
    """Where a job came from, which decides who runs it."""

    QUEUED = "queued"  # POST /v1/jobs: a worker claims it
    RELAYED = "relayed"  # a sync edit on an API-only node: a worker claims it, the request waits
    INLINE = "inline"  # a sync edit run inside its request (created running)


#: Origins whose jobs wait in the queue for a worker.
QUEUE_ORIGINS: tuple[str, ...] = (Origin.QUEUED, Origin.RELAYED)

ACTIVE: tuple[str, ...] = (JobStatus.QUEUED, JobStatus.RUNNING)
TERMINAL: tuple[str, ...] = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)

#: The state machine: which statuses may follow each one.
ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELED}),
    JobStatus.RUNNING: frozenset(
        {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.QUEUED}
    ),
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELED: frozenset(),
}

#: Channel of PostgreSQL NOTIFY that wakes idle workers (payload: the job's engine).
WAKE_CHANNEL = "retouch_jobs"


class IllegalTransition(RuntimeError):
    """A status change the state machine does not allow (a bug, never a race)."""


def transition(
    conn: Connection,
    job: str | ColumnElement[Any],
    to: JobStatus,
    *,
    frm: Collection[JobStatus],
    worker_id: str | None = None,
    values: Mapping[str, Any] | None = None,
    returning: tuple[str, ...] = (),
) -> Row[Any] | None:
    """Move `job` (an id, or a scalar subquery choosing one) from one of `frm` to `to`, setting
    `values` too (plain values are bound; SQL expressions are used as they are). With
    `worker_id`, only while the job is that worker's. Returns the `returning` columns (the id
    when none are asked for), or None when the job was not in such a state: someone else won."""
    frm = tuple(sorted(JobStatus(f) for f in frm))
    to = JobStatus(to)
    for f in frm:
        if to not in ALLOWED[f]:
            raise IllegalTransition(f"a job cannot go from {f} to {to}")
    values = dict(values or {})
    shape = tuple(
        sorted((k, "bind" if not isinstance(v, ColumnElement) else str(v)) for k, v in values.items())
    )
    exprs = {k: v for k, v in values.items() if isinstance(v, ColumnElement)}
    by_id = isinstance(job, str)
    stmt = _statement(to, frm, worker_id is not None, shape, returning or ("id",), by_id, conn.dialect.name)
    if exprs or not by_id:
        # expressions (and a chosen job) are compiled into the statement; rare paths only
        stmt = stmt.values(**exprs)
        if not by_id:
            stmt = stmt.where(Job.id == job)
    params = {f"v_{k}": v for k, v in values.items() if k not in exprs}
    if by_id:
        params["job"] = job
    if worker_id is not None:
        params["worker"] = worker_id
    row = conn.execute(stmt, params).first()
    if row is not None and to == JobStatus.QUEUED and conn.dialect.name == "postgresql":
        announce(conn, _engine_of(conn, row, returning))
    return row


def announce(conn: Connection, engine: str) -> None:
    """Wake idle workers of other processes when the transaction commits (PostgreSQL NOTIFY;
    SQLite runs in one process, where the queue's event does it)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"channel": WAKE_CHANNEL, "payload": engine})


_NOTIFY = func.pg_notify(bindparam("channel"), bindparam("payload")).select()


def _engine_of(conn: Connection, row: Row[Any], returning: tuple[str, ...]) -> str:
    if "engine" in returning:
        return str(row._mapping["engine"])
    from sqlalchemy import select

    job_id = row._mapping["id"] if "id" in row._mapping else row[0]
    return str(conn.scalar(select(Job.engine).where(Job.id == job_id)) or "")


@lru_cache(maxsize=256)
def _statement(
    to: JobStatus,
    frm: tuple[JobStatus, ...],
    for_worker: bool,
    shape: tuple[tuple[str, str], ...],
    returning: tuple[str, ...],
    by_id: bool,
    dialect: str,
) -> Any:
    """The UPDATE for one kind of transition, built once with bound parameters (SQLAlchemy then
    reuses its compiled form: these statements are on every edit's path)."""
    cols = Job.__table__.c
    stmt = update(Job).where(Job.status.in_([str(f) for f in frm]) if len(frm) > 1 else Job.status == str(frm[0]))
    if by_id:
        stmt = stmt.where(Job.id == bindparam("job"))
    if for_worker:
        stmt = stmt.where(Job.worker_id == bindparam("worker"))
    bound = {k: bindparam(f"v_{k}", type_=cols[k].type) for k, kind in shape if kind == "bind"}
    stmt = stmt.values(status=literal_column(f"'{to.value}'"), **bound)
    return stmt.returning(*(cols[c] for c in returning))
