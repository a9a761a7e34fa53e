"""The Files API store: uploads and outputs in the blob store, metadata in the database,
signed expiring URLs for outputs."""

from __future__ import annotations

import builtins
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table, delete, insert, inspect, select
from sqlalchemy.orm import Session

from .blobs import BlobStore, blob_age_cutoff
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

#: Tables and columns that hold blob keys: a blob none of them names is an orphan. (The web
#: UI's version history keeps its own copies; its table is checked where it exists, also by
#: worker processes that never mount the UI.)
BLOB_REFERENCES: dict[str, tuple[str, ...]] = {
    "files": ("blob_key",),
    "web_versions": ("blob_key", "thumb_key", "preview_key"),
}


def safe_name(name: str) -> str:
    """A filename that is safe in a Content-Disposition header."""
    return re.sub(r"[^\w.\- ]", "_", name)[:200] or "file"


class FileStore:
    def __init__(self, db: Database, blobs: BlobStore, secret: bytes, *, retention_s: float) -> None:
        self.db = db
        self.blobs = blobs
        self._secret = secret
        self.retention_s = retention_s
        self._tables: dict[str, Table] = {}

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
        why = self.blobs.check()
        return (True, "ok") if why is None else (False, f"not writable: {why}")

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

    def delete_outputs(self, job_id: str, keep: set[str] | frozenset[str] = frozenset()) -> int:
        """Delete a job's output files except `keep` (what an interrupted or failed run stored)."""
        with self.db.write() as s:
            rows = list(
                s.scalars(select(FileObject).where(FileObject.job_id == job_id, FileObject.purpose == "output"))
            )
            rows = [f for f in rows if f.id not in keep]
            for f in rows:
                s.delete(f)
        for f in rows:
            self.blobs.delete(f.blob_key)
        return len(rows)

    def reclaim_orphans(self, grace_s: float, *, batch: int = 500) -> int:
        """Delete blobs older than `grace_s` that no row refers to (a process killed between
        writing a blob and committing its row leaves one). Returns how many."""
        cutoff = blob_age_cutoff(grace_s)
        reclaimed = 0
        pending: builtins.list[str] = []
        for key in self.blobs.keys(older_than=cutoff):
            pending.append(key)
            if len(pending) >= batch:
                reclaimed += self._reclaim(pending)
                pending = []
        if pending:
            reclaimed += self._reclaim(pending)
        return reclaimed

    def _reclaim(self, keys: Sequence[str]) -> int:
        referenced = self.referenced(keys)
        gone = [k for k in keys if k not in referenced]
        for k in gone:
            self.blobs.delete(k)
        return len(gone)

    def referenced(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` a row refers to, in every table that holds blob keys."""
        found: set[str] = set()
        with self.db.read() as s:
            conn = s.connection()
            for table, columns in BLOB_REFERENCES.items():
                t = self._table(conn, table)
                if t is None:
                    continue
                for col in columns:
                    found.update(conn.scalars(select(t.c[col]).where(t.c[col].in_(list(keys)))))
        return found

    def _table(self, conn: Any, name: str) -> Table | None:
        # (a table not there yet is looked for again next time: the UI's migrations may run later)
        if name not in self._tables and inspect(conn).has_table(name):
            self._tables[name] = Table(name, MetaData(), autoload_with=conn)
        return self._tables.get(name)

    # ---- signed URLs: anyone holding the link can download until it expires

    def urls(self, file_ids: Sequence[str], ttl_s: int, base_url: str) -> dict[str, str]:
        """Download links for files: presigned by the object store where it can, else signed
        links to this API (`/v1/files/{id}/content?expires=&signature=`)."""
        out: dict[str, str] = {}
        if not file_ids:
            return out
        if not self.blobs.presigns:
            return {f: base_url + self.signed_path(f, ttl_s) for f in file_ids}
        with self.db.read() as s:
            rows = {f.id: f for f in s.scalars(select(FileObject).where(FileObject.id.in_(list(file_ids))))}
        for fid in file_ids:
            f = rows.get(fid)
            url = (
                self.blobs.presign(f.blob_key, ttl_s, content_type=f.content_type, filename=f.filename)
                if f is not None
                else None
            )
            out[fid] = url or base_url + self.signed_path(fid, ttl_s)
        return out

    def sign(self, file_id: str, expires: int) -> str:
        return hmac.new(self._secret, f"file:{file_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:40]

    def signed_path(self, file_id: str, ttl_s: int) -> str:
        expires = int(time.time() + ttl_s)
        return f"/v1/files/{file_id}/content?expires={expires}&signature={self.sign(file_id, expires)}"

    def verify_signature(self, file_id: str, expires: int, signature: str) -> bool:
        # (as bytes: compare_digest refuses str with non-ASCII characters, and a link can hold any)
        given = signature.encode("utf-8", "surrogateescape")
        return expires >= time.time() and hmac.compare_digest(self.sign(file_id, expires).encode(), given)
