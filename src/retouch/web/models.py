"""Tables of the web UI: version histories ("trees") of edited images, per API key.

They live on their own declarative base and their own Alembic chain (version table
`alembic_version_web`, see `migrate.py`), so that the service's migrations and these never
fight over heads: the service migrates first, then the web UI on top of it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..service.db import now
from ..service.models import new_id


class WebBase(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON}


class Tree(WebBase):
    """The history of one image: an original (the root version) and every edit made from it."""

    __tablename__ = "web_trees"
    __table_args__ = (Index("ix_web_trees_key_updated", "key_id", "updated_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tree_"))
    account_id: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300), default="")
    #: The version the user last worked from: restored after a reload.
    selected_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class Version(WebBase):
    """One image of a tree. Its bytes are a blob of its own, so that it outlives the retention of
    the job output or upload it came from."""

    __tablename__ = "web_versions"
    __table_args__ = (
        UniqueConstraint("tree_id", "job_id", "output_index", name="uq_web_version_job_output"),
        Index("ix_web_versions_tree", "tree_id", "number"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ver_"))
    tree_id: Mapped[str] = mapped_column(ForeignKey("web_trees.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: 0 for the original, then 1, 2, ... in the order versions were made.
    number: Mapped[int] = mapped_column(Integer, default=0)
    blob_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    #: A downscaled copy for the browser when the image is large (None: the image itself).
    preview_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    content_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    prompt: Mapped[str] = mapped_column(Text, default="")
    #: The options of the edit that made it (size, quality, model, mask or not...).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    output_index: Mapped[int] = mapped_column(Integer, default=0)
    #: An input file made from this version for the next edit, reused while it exists.
    input_file_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
