"""Blob storage behind a small interface: a local directory by default, or an S3-compatible
object store (AWS S3, MinIO, Ceph, R2, ...) for several machines.

Keys are random and flat (`<32 hex>[suffix]`); the database holds which key is whose.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol


class BlobStore(Protocol):
    #: whether `presign` gives URLs
    presigns: bool

    def put(self, data: bytes, *, suffix: str = "") -> str: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...

    def keys(self, *, older_than: float) -> Iterator[str]:
        """Every key whose blob was written before `older_than` (epoch seconds)."""
        ...

    def check(self) -> str | None:
        """None when the store takes a write now, else why not (readiness)."""
        ...

    def presign(self, key: str, ttl_s: int, *, content_type: str, filename: str) -> str | None:
        """A URL that serves the blob without a key until it expires; None where the store
        has no such URLs (then the API serves it through a signed link of its own)."""
        ...


def new_key(suffix: str = "") -> str:
    return secrets.token_hex(16) + (suffix if suffix.isalnum() or suffix.startswith(".") else "")


class LocalBlobStore:
    """Content in files under `root/ab/cd/<random>`; writes are atomic (temp file + rename)."""

    presigns = False

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise KeyError(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes, *, suffix: str = "") -> str:
        key = new_key(suffix)
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

    def keys(self, *, older_than: float) -> Iterator[str]:
        for path in self.root.glob("??/??/*"):
            name = path.name
            if name.startswith(".tmp-"):  # a write that died half-way: reclaimed as well
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < older_than:
                        path.unlink()
                continue
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < older_than:
                    yield name

    def check(self) -> str | None:
        try:
            self.delete(self.put(b""))
        except OSError as e:
            return e.strerror or str(e) or type(e).__name__
        return None

    def presign(self, key: str, ttl_s: int, *, content_type: str, filename: str) -> str | None:
        return None


class S3BlobStore:
    """Objects `prefix + key` in one bucket of an S3-compatible store, through boto3.

    Credentials: the ones given, else boto3's usual chain (environment, shared config,
    instance role). Output URLs are presigned GETs when `presign` is on.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        addressing_style: str = "auto",
        presign: bool = True,
        create_bucket: bool = False,
        timeout_s: float = 30.0,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        self.presigns = presign

        def client(attempts: int, timeout: float) -> Any:
            return boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=Config(
                    s3={"addressing_style": addressing_style},
                    retries={"max_attempts": attempts, "mode": "standard"},
                    max_pool_connections=64,
                    connect_timeout=timeout,
                    read_timeout=timeout,
                    signature_version="s3v4",
                ),
            )

        self.client: Any = client(4, timeout_s)
        #: readiness asks once and briefly: a probe must not hang behind retries
        self._probe: Any = client(1, 2.0)
        if create_bucket:
            self._create_bucket(region)

    def _create_bucket(self, region: str | None) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            kwargs: dict[str, Any] = {"Bucket": self.bucket}
            if region and region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            with contextlib.suppress(self.client.exceptions.BucketAlreadyOwnedByYou):
                self.client.create_bucket(**kwargs)

    def _key(self, key: str) -> str:
        if not key or "/" in key or key.startswith("."):
            raise KeyError(key)
        return self.prefix + key

    def put(self, data: bytes, *, suffix: str = "") -> str:
        key = new_key(suffix)
        with _as_oserror("write"):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        return key

    def get(self, key: str) -> bytes:
        try:
            with _as_oserror("read"):
                obj = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
                return bytes(obj["Body"].read())
        except self.client.exceptions.NoSuchKey as e:
            raise KeyError(key) from e

    def delete(self, key: str) -> None:
        with contextlib.suppress(KeyError), _as_oserror("delete"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except (ClientError, KeyError):
            return False

    def keys(self, *, older_than: float) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"][len(self.prefix) :]
                if "/" not in name and obj["LastModified"].timestamp() < older_than:
                    yield name

    def check(self) -> str | None:
        # a real write and delete, through a client that does not retry: readiness answers fast
        probe = self.prefix + "_readiness_probe"
        try:
            self._probe.put_object(Bucket=self.bucket, Key=probe, Body=b"")
            self._probe.delete_object(Bucket=self.bucket, Key=probe)
        except Exception as e:  # readiness reports, it does not raise
            return f"object store: {type(e).__name__}: {str(e)[:200]}"
        return None

    def presign(self, key: str, ttl_s: int, *, content_type: str, filename: str) -> str | None:
        if not self.presigns:
            return None
        return str(
            self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self._key(key),
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": f'inline; filename="{filename}"',
                },
                ExpiresIn=max(1, min(int(ttl_s), 7 * 24 * 3600)),  # SigV4's limit is a week
            )
        )


@contextlib.contextmanager
def _as_oserror(what: str) -> Iterator[None]:
    """The object store's failures as OSError, as a local disk's would be (callers handle one kind:
    a store that cannot write ends the edit with 503 storage_unavailable)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise
        raise OSError(f"object store {what} failed: {e.response.get('Error', {}).get('Code', e)}") from e
    except BotoCoreError as e:
        raise OSError(f"object store {what} failed: {type(e).__name__}") from e


def blob_age_cutoff(grace_s: float) -> float:
    """Blobs written before this may be orphans (younger ones may still be getting their row)."""
    return time.time() - grace_s
