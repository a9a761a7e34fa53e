"""Version histories, per API key: a tree per edited image whose nodes are versions.

The root is the original upload; every successful edit made from a version adds children
(one per output image). Each version's bytes are copied into a blob of its own, so a
history outlives the retention of the uploads and job outputs it was made from.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..schema import PlanStep
from ..service.blobs import BlobStore
from ..service.db import Database, now
from ..service.errors import ApiError, invalid, not_found
from ..service.files import FileStore, safe_name
from ..service.jobs import JobService
from ..service.keys import Principal
from ..service.models import Job
from .images import renditions
from .models import Tree, Version

#: Job metadata that ties a job to the version it edits; the UI sets them on every edit so
#: that a result is recorded even when the page was closed while the job ran.
META_TREE = "ui_tree"
META_PARENT = "ui_parent"
#: Set to "edited" when the page ran a plan edited with its controls instead of the text's.
META_PLAN = "ui_plan"
#: Recent jobs looked at when reconciling a tree with jobs that finished unseen.
RECONCILE_JOBS = 50
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
#: Options worth showing next to a version (the rest of a job's params is noise there).
#: `after` (the job a follow-up revised) tells the editor which version such an edit ran on.
SHOWN_PARAMS = ("model", "size", "quality", "background", "output_format", "output_compression", "n", "after")


def stem(name: str) -> str:
    base = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name or "")
    return safe_name(base).strip().replace(" ", "-")[:80] or "image"


def made_by(job: Job) -> str:
    """A version's label: its instruction, and the steps when a plan edited in the page ran instead."""
    prompt = str(job.params.get("prompt", ""))
    plan = job.params.get("plan")
    if (job.meta or {}).get(META_PLAN) != "edited" or not isinstance(plan, dict):
        return prompt
    steps = "; ".join(PlanStep.model_validate(s).describe() for s in plan.get("steps", []))
    return f"{prompt} — edited plan: {steps or 'no steps'}"


class HistoryStore:
    def __init__(self, db: Database, blobs: BlobStore, files: FileStore, jobs: JobService) -> None:
        self.db = db
        self.blobs = blobs
        self.files = files
        self.jobs = jobs

    # ---- reading

    def list_trees(self, principal: Principal, *, limit: int = 50) -> list[dict[str, Any]]:
        """The key's trees, most recently changed first, with counts and the latest thumbnail."""
        with self.db.read() as s:
            trees = list(
                s.scalars(
                    select(Tree)
                    .where(Tree.key_id == principal.key_id)
                    .order_by(Tree.updated_at.desc(), Tree.id.desc())
                    .limit(limit)
                )
            )
            ids = [t.id for t in trees]
            latest: dict[str, Version] = {}
            counts: dict[str, int] = {}
            if ids:
                for v in s.scalars(select(Version).where(Version.tree_id.in_(ids)).order_by(Version.number)):
                    latest[v.tree_id] = v
                    counts[v.tree_id] = counts.get(v.tree_id, 0) + 1
        return [
            {
                "id": t.id,
                "object": "tree",
                "name": t.name,
                "versions": counts.get(t.id, 0),
                "created_at": int(t.created_at),
                "updated_at": int(t.updated_at),
                "thumb_url": _urls(latest[t.id], t)["thumb_url"] if t.id in latest else None,
            }
            for t in trees
        ]

    def get_tree(self, principal: Principal, tree_id: str, *, reconcile: bool = True) -> dict[str, Any]:
        tree = self._tree(principal, tree_id)
        if reconcile:
            self._reconcile(principal, tree)
            tree = self._tree(principal, tree_id)
        with self.db.read() as s:
            versions = list(s.scalars(select(Version).where(Version.tree_id == tree.id).order_by(Version.number)))
        return {
            "id": tree.id,
            "object": "tree",
            "name": tree.name,
            "created_at": int(tree.created_at),
            "updated_at": int(tree.updated_at),
            "selected_id": tree.selected_id,
            "versions": [version_view(v, tree) for v in versions],
        }

    def version(self, principal: Principal, version_id: str) -> tuple[Version, Tree]:
        with self.db.read() as s:
            v = s.get(Version, version_id)
            tree = s.get(Tree, v.tree_id) if v else None
        if v is None or tree is None or tree.key_id != principal.key_id:
            raise not_found("version", version_id, param="version_id")
        return v, tree

    def image(self, principal: Principal, version_id: str, kind: str) -> tuple[bytes, str, str]:
        """(bytes, content type, download name) of a version's image, preview or thumbnail."""
        v, tree = self.version(principal, version_id)
        if kind == "thumb":
            key, ctype = v.thumb_key, "image/webp"
        elif kind == "preview" and v.preview_key:
            key, ctype = v.preview_key, "image/webp"
        else:
            key, ctype = v.blob_key, v.content_type
        try:
            data = self.blobs.get(key)
        except KeyError:
            raise ApiError(404, f"The image of version '{version_id}' is gone.", code="not_found") from None
        return data, ctype, download_name(v, tree)

    # ---- writing

    def create_tree(self, principal: Principal, file_id: str, name: str = "") -> dict[str, Any]:
        """A new tree whose root is an uploaded file (the original image)."""
        f = self.files.get(file_id, principal)
        data = self.files.content(file_id, principal)
        made = self._store(data)
        t = now()
        tree = Tree(account_id=principal.account_id, key_id=principal.key_id, name=(name or f.filename)[:300])
        tree.created_at = tree.updated_at = t
        try:
            with self.db.write() as s:
                s.add(tree)
                s.flush()
                root = Version(tree_id=tree.id, parent_id=None, number=0, input_file_id=file_id, **made)
                root.created_at = t
                s.add(root)
                s.flush()
                tree.selected_id = root.id
        except Exception:
            self._drop_blobs(made)
            raise
        return self.get_tree(principal, tree.id, reconcile=False)

    def add_from_job(
        self, principal: Principal, tree_id: str, job_id: str, parent_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Record the outputs of a succeeded edit job as children of `parent_id` (idempotent)."""
        tree = self._tree(principal, tree_id)
        job = self.jobs.get(principal, job_id)
        if job.status != "succeeded":
            raise ApiError(409, f"Job '{job_id}' has no result: it is {job.status}.", code="job_not_succeeded")
        if job.mode != "edit":
            raise invalid("Only edit jobs (not batches) become versions.", "job_id")
        parent_id = parent_id or (job.meta or {}).get(META_PARENT)
        if not parent_id:
            raise invalid("Say which version this job edited ('parent_id').", "parent_id")
        with self.db.read() as s:
            parent = s.get(Version, parent_id)
        if parent is None or parent.tree_id != tree.id:
            raise not_found("version", parent_id, param="parent_id")
        out: list[Version] = []
        for index, im in enumerate((job.result or {}).get("images", [])):
            existing = self._existing(tree.id, job_id, index)
            if existing is not None:
                out.append(existing)
                continue
            made = self._store(self.files.content(im["file_id"], principal))
            try:
                out.append(self._insert(tree, parent, job, index, made))
            except IntegrityError:  # recorded meanwhile by a concurrent request
                self._drop_blobs(made)
                found = self._existing(tree.id, job_id, index)
                if found is None:
                    raise
                out.append(found)
        if out:
            self.select(principal, tree.id, out[0].id)
            tree = self._tree(principal, tree.id)
        return [version_view(v, tree) for v in out]

    def select(self, principal: Principal, tree_id: str, version_id: str) -> None:
        """Remember the version the user works from (restored after a reload)."""
        tree = self._tree(principal, tree_id)
        with self.db.write() as s:
            v = s.get(Version, version_id)
            if v is None or v.tree_id != tree.id:
                raise not_found("version", version_id, param="version_id")
            s.execute(update(Tree).where(Tree.id == tree.id).values(selected_id=version_id, updated_at=now()))

    def rename(self, principal: Principal, tree_id: str, name: str) -> None:
        tree = self._tree(principal, tree_id)
        with self.db.write() as s:
            s.execute(update(Tree).where(Tree.id == tree.id).values(name=name[:300], updated_at=now()))

    def delete_tree(self, principal: Principal, tree_id: str) -> None:
        tree = self._tree(principal, tree_id)
        with self.db.write() as s:
            versions = list(s.scalars(select(Version).where(Version.tree_id == tree.id)))
            s.execute(delete(Version).where(Version.tree_id == tree.id))
            s.execute(delete(Tree).where(Tree.id == tree.id))
        for v in versions:
            for key in (v.blob_key, v.thumb_key, v.preview_key):
                if key:
                    self.blobs.delete(key)

    def input_file(self, principal: Principal, version_id: str) -> str:
        """A file id holding the version's image, to use as a job input (reused while it lasts)."""
        v, _ = self.version(principal, version_id)
        if v.input_file_id:
            with contextlib.suppress(ApiError):
                self.files.get(v.input_file_id, principal)
                return v.input_file_id
        data, _, name = self.image(principal, version_id, "full")
        f = self.files.create(principal, data, filename=name, purpose="input", content_type=v.content_type)
        with self.db.write() as s:
            s.execute(update(Version).where(Version.id == v.id).values(input_file_id=f.id))
        return f.id

    # ---- internals

    def _tree(self, principal: Principal, tree_id: str) -> Tree:
        with self.db.read() as s:
            tree = s.get(Tree, tree_id)
        if tree is None or tree.key_id != principal.key_id:
            raise not_found("tree", tree_id, param="tree_id")
        return tree

    def _existing(self, tree_id: str, job_id: str, index: int) -> Version | None:
        with self.db.read() as s:
            return s.scalar(
                select(Version).where(
                    Version.tree_id == tree_id, Version.job_id == job_id, Version.output_index == index
                )
            )

    def _store(self, data: bytes) -> dict[str, Any]:
        r = renditions(data)
        made: dict[str, Any] = {
            "blob_key": self.blobs.put(data),
            "thumb_key": self.blobs.put(r.thumb),
            "preview_key": self.blobs.put(r.preview) if r.preview else None,
            "content_type": r.content_type,
            "width": r.width,
            "height": r.height,
            "bytes": len(data),
        }
        return made

    def _drop_blobs(self, made: dict[str, Any]) -> None:
        for k in ("blob_key", "thumb_key", "preview_key"):
            if made.get(k):
                self.blobs.delete(made[k])

    def _insert(self, tree: Tree, parent: Version, job: Job, index: int, made: dict[str, Any]) -> Version:
        params = {k: job.params.get(k) for k in SHOWN_PARAMS if job.params.get(k) is not None}
        params["mask"] = bool(job.mask)
        params["references"] = max(0, len(job.inputs or []) - 1)
        with self.db.write() as s:
            number = (s.scalar(select(func.max(Version.number)).where(Version.tree_id == tree.id)) or 0) + 1
            v = Version(
                tree_id=tree.id,
                parent_id=parent.id,
                number=number,
                prompt=made_by(job),
                params=params,
                job_id=job.id,
                output_index=index,
                **made,
            )
            s.add(v)
            s.flush()
            s.execute(update(Tree).where(Tree.id == tree.id).values(updated_at=now()))
        return v

    def _reconcile(self, principal: Principal, tree: Tree) -> None:
        """Record succeeded jobs made for this tree that were never recorded (page closed)."""
        with self.db.read() as s:
            jobs = list(
                s.scalars(
                    select(Job)
                    .where(
                        Job.key_id == principal.key_id,
                        Job.created_at >= tree.created_at,
                        Job.status == "succeeded",
                        Job.mode == "edit",
                    )
                    .order_by(Job.created_at.desc())
                    .limit(RECONCILE_JOBS)
                )
            )
            known = set(s.scalars(select(Version.job_id).where(Version.tree_id == tree.id)))
        for job in reversed(jobs):  # oldest first: parents before children
            meta = job.meta or {}
            if meta.get(META_TREE) == tree.id and job.id not in known and meta.get(META_PARENT):
                with contextlib.suppress(ApiError):  # a parent deleted since, an output expired...
                    self.add_from_job(principal, tree.id, job.id, meta[META_PARENT])


def download_name(v: Version, tree: Tree) -> str:
    ext = EXTENSIONS.get(v.content_type, "png")
    return f"{stem(tree.name)}-v{v.number}.{ext}" if v.number else f"{stem(tree.name)}.{ext}"


def _urls(v: Version, tree: Tree) -> dict[str, str]:
    base = f"/ui/api/versions/{v.id}"
    # Version images never change: the id in the URL is enough to cache them for good.
    return {
        "image_url": f"{base}/image",
        "preview_url": f"{base}/preview",
        "thumb_url": f"{base}/thumb",
        "download_url": f"{base}/image?download=1",
    }


def version_view(v: Version, tree: Tree) -> dict[str, Any]:
    return {
        "id": v.id,
        "object": "version",
        "tree_id": v.tree_id,
        "parent_id": v.parent_id,
        "number": v.number,
        "prompt": v.prompt,
        "params": v.params or {},
        "job_id": v.job_id,
        "width": v.width,
        "height": v.height,
        "bytes": v.bytes,
        "content_type": v.content_type,
        "created_at": int(v.created_at),
        "filename": download_name(v, tree),
        **_urls(v, tree),
    }
