"""`Idempotency-Key` with Stripe's semantics.

The first request with a key runs; its response (once the endpoint has started
executing, i.e. a job exists) is stored and replayed for retries with the same key,
marked `Idempotent-Replayed: true`. A retry with different parameters is refused (400),
and one that arrives while the first is still running gets 409. Requests that failed
validation store nothing, so the key can be reused. Records expire after a day.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .db import Database, now
from .errors import ApiError
from .models import IdempotencyRecord


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: str


def fingerprint(path: str, body: bytes) -> str:
    try:
        canon = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canon = body
    return hashlib.sha256(path.encode() + b"\n" + canon).hexdigest()


class IdempotencyStore:
    def __init__(self, db: Database, ttl_s: float) -> None:
        self.db = db
        self.ttl_s = ttl_s

    def begin(self, key_id: str, idem_key: str, path: str, fp: str) -> int | Replay:
        """A record id to complete later, or the stored response to replay."""
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
        try:
            with self.db.write() as s:
                rec = IdempotencyRecord(key_id=key_id, idem_key=idem_key, fingerprint=fp, path=path)
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
        if found.status_code is None:
            raise ApiError(
                409,
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code="idempotency_key_in_use",
                headers={"retry-after": "1"},
            )
        return Replay(found.status_code, found.body or "")

    def complete(self, rec_id: int, status_code: int, body: str) -> None:
        with self.db.write() as s:
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
