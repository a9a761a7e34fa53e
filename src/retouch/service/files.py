"""The Files API store: uploads and outputs in the blob store, metadata in the database,
signed expiring URLs for outputs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from .blobs import BlobStore
from .db import Database, now
from .errors import ApiError, not_found
from .keys import Principal
from .models import FileObject, new_id

log = logging.getLogger("retouch.service.files")
_INSERT_FILES = insert(FileObject)


@dataclass(frozen=True)
class StagedFile:
    """Content written to the blob store whose row is not in the database yet."""

    id: str
    blob_key: str
    row: dict[str, Any]


def storage_unavailable(what: str) -> ApiError:
    """The error for a blob store that cannot write (the details go to the log, not the client)."""
    return ApiError(
        503,
        f"The server could not store {what}: its file storage is not writable. Nothing was charged; "
        "try again later.",
        code="storage_unavailable",
    )


def safe_name(name: str) -> str:
    """A filename that is safe in a Content-Disposition header."""
    return re.sub(r"[^\w.\- ]", "_", name)[:200] or "file"


class FileStore:
    def __init__(self, db: Database, blobs: BlobStore, secret: bytes, *, retention_s: float) -> None:
        self.db = db
        self.blobs = blobs
        self._secret = secret
        self.retention_s = retention_s

    def create(
        self,
        principal: Principal,
        data: bytes,
        *,
        filename: str = "",
        purpose: str = "input",
        content_type: str = "application/octet-stream",
        job_id: str | None = None,
    ) -> FileObject:
        """Store content and its row now."""
        staged = self.stage(
            principal, data, filename=filename, purpose=purpose, content_type=content_type, job_id=job_id
        )
        try:
            with self.db.write() as s:
                self.insert(s, [staged])
        except BaseException:
            self.discard([staged])
            raise
        return FileObject(**staged.row)

    def stage(
        self,
        principal: Principal,
        data: bytes,
        *,
        filename: str = "",
        purpose: str = "input",
        content_type: str = "application/octet-stream",
        job_id: str | None = None,
    ) -> StagedFile:
        """Write content to the blob store; its row goes in later with `insert`, inside the
        caller's transaction (a job's outputs exist exactly when the job succeeded)."""
        try:
            key = self.blobs.put(data)
        except OSError as e:
            log.error("the blob store cannot write: %s", e)
            raise storage_unavailable("the file" if purpose != "output" else "the result") from e
        t = now()
        file_id = new_id("file-")
        row: dict[str, Any] = {
            "id": file_id,
            "account_id": principal.account_id,
            "key_id": principal.key_id,
            "filename": safe_name(filename),
            "purpose": purpose,
            "content_type": content_type,
            "bytes": len(data),
            "blob_key": key,
            "job_id": job_id,
            "created_at": t,
            "expires_at": t + self.retention_s if self.retention_s > 0 else None,
        }
        return StagedFile(id=file_id, blob_key=key, row=row)

    @staticmethod
    def insert(s: Session, staged: Sequence[StagedFile]) -> None:
        """The rows of staged files, in the caller's transaction."""
        if staged:
            s.connection().execute(_INSERT_FILES, [f.row for f in staged])

    def discard(self, staged: Sequence[StagedFile]) -> None:
        """Delete the content of staged files whose rows will not be inserted."""
        for f in staged:
            self.blobs.delete(f.blob_key)

    def writable(self) -> tuple[bool, str]:
        """Whether the blob store accepts a write now (readiness)."""
        try:
            self.blobs.delete(self.blobs.put(b""))
        except OSError as e:
            return False, f"not writable: {e.strerror or type(e).__name__}"
        return True, "ok"

    def get(self, file_id: str, principal: Principal | None) -> FileObject:
        """The file if it exists, is not expired and belongs to the principal's account (any for
        admins; `None` skips the check, for signed URLs)."""
        with self.db.read() as s:
            f = s.get(FileObject, file_id)
        if f is None or (f.expires_at is not None and f.expires_at < now()):
            raise not_found("file", file_id, param="file_id")
        if principal is not None and not principal.is_admin and f.account_id != principal.account_id:
            raise not_found("file", file_id, param="file_id")
        return f

    def content(self, file_id: str, principal: Principal | None) -> bytes:
        f = self.get(file_id, principal)
        try:
            return self.blobs.get(f.blob_key)
        except KeyError as e:
            raise ApiError(404, f"The content of file '{file_id}' is gone.", code="not_found") from e

    def list(self, principal: Principal, *, purpose: str | None = None, limit: int = 100) -> list[FileObject]:
        with self.db.read() as s:
            q = (
                select(FileObject)
                .where(FileObject.account_id == principal.account_id)
                .order_by(FileObject.created_at.desc())
                .limit(limit)
            )
            if purpose:
                q = q.where(FileObject.purpose == purpose)
            return [f for f in s.scalars(q) if f.expires_at is None or f.expires_at >= now()]

    def delete(self, file_id: str, principal: Principal) -> None:
        f = self.get(file_id, principal)
        with self.db.write() as s:
            s.execute(delete(FileObject).where(FileObject.id == f.id))
        self.blobs.delete(f.blob_key)

    def purge_expired(self) -> int:
        """Delete files past their retention (run by the janitor)."""
        with self.db.write() as s:
            rows = list(s.scalars(select(FileObject).where(FileObject.expires_at < now()).limit(1000)))
            for f in rows:
                s.delete(f)
        for f in rows:
            self.blobs.delete(f.blob_key)
        return len(rows)

    # ---- signed URLs: anyone holding the link can download until it expires

    def sign(self, file_id: str, expires: int) -> str:
        return hmac.new(self._secret, f"file:{file_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:40]

    def signed_path(self, file_id: str, ttl_s: int) -> str:
        expires = int(time.time() + ttl_s)
        return f"/v1/files/{file_id}/content?expires={expires}&signature={self.sign(file_id, expires)}"

    def verify_signature(self, file_id: str, expires: int, signature: str) -> bool:
        # (as bytes: compare_digest refuses str with non-ASCII characters, and a link can hold any)
        given = signature.encode("utf-8", "surrogateescape")
        return expires >= time.time() and hmac.compare_digest(self.sign(file_id, expires).encode(), given)
