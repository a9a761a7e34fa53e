"""`Idempotency-Key` with Stripe's semantics.

The first request with a key runs; its response (once the endpoint has started
executing, i.e. a job exists) is stored and replayed for retries with the same key,
marked `Idempotent-Replayed: true`. A retry with different parameters is refused (400),
and one that arrives while the first is still running gets 409. Requests that failed
validation store nothing, so the key can be reused. Records expire after a day.

A record can point at the job its request runs (sync edits: their response is rendered
again from the job's stored outputs rather than stored whole). While such a record is in
progress, a retry whose job has failed or was canceled (the server crashed, the client
left) takes the key over and runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import Database, now, rowcount
from .errors import ApiError
from .models import IdempotencyRecord, Job
from .states import JobStatus


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: str


def fingerprint(path: str, body: bytes) -> str:
    try:
        canon = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canon = body
    return hashlib.sha256(path.encode() + b"\n" + canon).hexdigest()


def fingerprint_parts(path: str, parts: Iterable[bytes]) -> str:
    """The fingerprint of a request given as parts (a multipart body's fields and files: its
    boundary, which differs on every retry, is not part of what was asked)."""
    h = hashlib.sha256(path.encode() + b"\n")
    for p in parts:
        h.update(hashlib.sha256(p).digest())
    return h.hexdigest()


def job_pointer(job_id: str, **extra: object) -> str:
    """The body of a record that points at its job (see the module docstring)."""
    return json.dumps({"job_id": job_id, **extra}, sort_keys=True)


def pointed_job(body: str | None) -> str | None:
    try:
        doc = json.loads(body or "null")
    except ValueError:
        return None
    job = doc.get("job_id") if isinstance(doc, dict) else None
    return job if isinstance(job, str) else None


class IdempotencyStore:
    def __init__(self, db: Database, ttl_s: float, *, stale_s: float = 3600.0) -> None:
        self.db = db
        self.ttl_s = ttl_s
        #: An in-progress record whose job never appeared is abandoned after this long.
        self.stale_s = stale_s

    def begin(
        self, key_id: str, idem_key: str, path: str, fp: str, *, job_id: str | None = None
    ) -> int | Replay:
        """A record id to complete later, or the stored response to replay. With `job_id`, the
        record points at that job while it runs."""
        if not idem_key or len(idem_key) > 255:
            raise ApiError(
                400,
                "Idempotency-Key must be 1 to 255 characters.",
                code="invalid_idempotency_key",
                param="Idempotency-Key",
            )
        with self.db.write() as s:
            s.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.key_id == key_id,
                    IdempotencyRecord.idem_key == idem_key,
                    IdempotencyRecord.created_at < now() - self.ttl_s,
                )
            )
        pointer = job_pointer(job_id) if job_id else None
        try:
            with self.db.write() as s:
                rec = IdempotencyRecord(key_id=key_id, idem_key=idem_key, fingerprint=fp, path=path, body=pointer)
                s.add(rec)
                s.flush()
                return rec.id
        except IntegrityError:
            pass
        with self.db.read() as s:
            found = s.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.key_id == key_id, IdempotencyRecord.idem_key == idem_key
                )
            )
        if found is None:  # expired and deleted in between: very unlikely, ask to retry
            raise ApiError(
                409,
                "A request with this Idempotency-Key is being processed; retry shortly.",
                code="idempotency_key_in_use",
                headers={"retry-after": "1"},
            )
        if found.fingerprint != fp or found.path != path:
            raise ApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with.",
                code="idempotency_key_reused",
                param="Idempotency-Key",
            )
        if found.status_code is None and self._take_over(found, pointer):
            return found.id
        if found.status_code is None and self._succeeded(found):
            # a sync edit relayed to a worker: the worker's capture does not know the record
            return Replay(200, found.body or "")
        if found.status_code is None:
            raise ApiError(
                409,
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code="idempotency_key_in_use",
                headers={"retry-after": "1"},
            )
        return Replay(found.status_code, found.body or "")

    def _succeeded(self, rec: IdempotencyRecord) -> bool:
        job_id = pointed_job(rec.body)
        if job_id is None:
            return False
        with self.db.read() as s:
            return s.scalar(select(Job.status).where(Job.id == job_id)) == JobStatus.SUCCEEDED

    def _take_over(self, rec: IdempotencyRecord, pointer: str | None) -> bool:
        """Whether an in-progress record is dead (its job failed or was canceled; or it never
        got a job and is stale) and now belongs to this request."""
        job_id = pointed_job(rec.body)
        if job_id is None:
            return False
        with self.db.read() as s:
            status = s.scalar(select(Job.status).where(Job.id == job_id))
        if status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED):
            return False
        if status is None and rec.created_at > now() - self.stale_s:
            return False  # still preparing, or refused before its job existed (then deleted soon)
        with self.db.write() as s:
            res = s.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == rec.id,
                    IdempotencyRecord.status_code.is_(None),
                    IdempotencyRecord.body == rec.body,
                )
                .values(body=pointer, created_at=now())
            )
        return rowcount(res) == 1

    def complete(self, rec_id: int, status_code: int, body: str) -> None:
        with self.db.write() as s:
            self.complete_in(s, rec_id, status_code, body)

    @staticmethod
    def complete_in(s: Session, rec_id: int, status_code: int, body: str) -> None:
        """Complete a record inside the caller's transaction (a sync edit's capture)."""
        s.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == rec_id)
            .values(status_code=status_code, body=body)
        )

    def abandon(self, rec_id: int) -> None:
        with self.db.write() as s:
            s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == rec_id))

    def purge_expired(self) -> None:
        with self.db.write() as s:
            s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now() - self.ttl_s))
