"""The processes of a cluster and the engines their workers run (the `nodes` table).

Every process registers at start (`api`, `worker` or `all`), refreshes its heartbeat by
the database's clock while it lives and removes its row when it stops. A row whose
heartbeat is older than the job lease is a dead process. The API asks which engines
live workers offer, so that a job no worker can run says so instead of waiting forever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from .. import __version__
from .db import Database, now, rowcount
from .models import Node

log = logging.getLogger("retouch.service.nodes")

#: `engines` of a node whose workers run every engine installed (the embedded default).
ANY_ENGINE = "*"


@dataclass(frozen=True)
class LiveNode:
    id: str
    role: str
    engines: tuple[str, ...]
    workers: int
    age_s: float

    def offers(self, engine: str) -> bool:
        return self.workers > 0 and (ANY_ENGINE in self.engines or engine in self.engines)


class NodeRegistry:
    def __init__(
        self,
        db: Database,
        node_id: str,
        *,
        role: str,
        engines: Collection[str],
        workers: int,
        lease_s: float,
    ) -> None:
        self.db = db
        self.node_id = node_id
        self.role = role
        self.engines = sorted(engines)
        self.workers = workers
        self.lease_s = lease_s
        self._offered: tuple[float, set[str]] | None = None

    def lock_name(self) -> Any:
        """On PostgreSQL, hold a session advisory lock on this node's name for the life of the
        process (returns its connection): a second live process with the same `node_name`
        would take the first one's running jobs for orphans at its start, so it is refused."""
        if self.db.is_sqlite:
            return None
        import psycopg

        from .broadcast import psycopg_dsn

        name = self.node_id.rsplit("/", 1)[0]
        conn = psycopg.connect(psycopg_dsn(self.db.engine.url), autocommit=True)
        got = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", ["retouch-node:" + name]).fetchone()
        if not got or not got[0]:
            conn.close()
            raise RuntimeError(
                f"node_name {name!r} is in use by another live process on this database; "
                "give each process its own node_name (--node-name or RETOUCH_NODE_NAME)"
            )
        return conn

    def register(self) -> None:
        with self.db.write() as s:
            s.execute(delete(Node).where(Node.id == self.node_id))
            s.execute(
                insert(Node).values(
                    id=self.node_id,
                    node_name=self.node_id.rsplit("/", 1)[0],
                    role=self.role,
                    engines=self.engines,
                    workers=self.workers,
                    version=__version__,
                    started_at=now(),
                    heartbeat_at=self.db.clock(),
                )
            )

    def beat(self) -> None:
        with self.db.write() as s:
            res = s.execute(update(Node).where(Node.id == self.node_id).values(heartbeat_at=self.db.clock()))
        if rowcount(res) == 0:
            self.register()  # removed by a janitor while this process was stalled

    def unregister(self) -> None:
        try:
            with self.db.write() as s:
                s.execute(delete(Node).where(Node.id == self.node_id))
        except Exception:  # stopping: the row ages out anyway
            log.warning("could not remove node %s", self.node_id)

    def live(self) -> list[LiveNode]:
        """Nodes whose heartbeat is within the lease."""
        with self.db.read() as s:
            clock = s.scalar(select(self.db.clock()))
            rows = s.execute(select(Node).where(Node.heartbeat_at >= self.db.clock() - self.lease_s)).scalars()
            return [
                LiveNode(
                    id=n.id,
                    role=n.role,
                    engines=tuple(n.engines or ()),
                    workers=n.workers,
                    age_s=max(0.0, float(clock or 0) - n.heartbeat_at),
                )
                for n in rows
            ]

    def offered(self, max_age_s: float = 0.0) -> set[str]:
        """Engines some live worker runs (`*`: any); with `max_age_s`, an answer that old may be
        reused (sync edits ask on every request)."""
        t = time.monotonic()
        if max_age_s > 0 and self._offered is not None and t - self._offered[0] < max_age_s:
            return self._offered[1]
        offered = {e for n in self.live() if n.workers > 0 for e in n.engines}
        self._offered = (t, offered)
        return offered

    def purge_dead(self) -> int:
        """Forget nodes dead for ten leases (their jobs were recovered long ago)."""
        with self.db.write() as s:
            res = s.execute(delete(Node).where(Node.heartbeat_at < self.db.clock() - 10 * self.lease_s))
        return rowcount(res)


def serves(offered: set[str], engine: str) -> bool:
    return ANY_ENGINE in offered or engine in offered
