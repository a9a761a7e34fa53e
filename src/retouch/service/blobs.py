"""Blob storage behind a small interface; a local directory by default (S3-compatible later)."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    def put(self, data: bytes, *, suffix: str = "") -> str: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class LocalBlobStore:
    """Content in files under `root/ab/cd/<random>`; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise KeyError(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes, *, suffix: str = "") -> str:
        key = secrets.token_hex(16) + (suffix if suffix.isalnum() or suffix.startswith(".") else "")
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as e:
            raise KeyError(key) from e

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError, KeyError):
            self._path(key).unlink()

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except KeyError:
            return False
