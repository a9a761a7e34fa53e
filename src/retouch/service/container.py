"""Wiring: one default implementation of each service, built from the settings.

This is the only place that knows every service; everything else receives what it
uses. Tests and alternative deployments build their own `Services` the same way.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .blobs import BlobStore, LocalBlobStore, S3BlobStore
from .broadcast import Broadcast, LocalBroadcast, PgBroadcast, PgListener, RedisBroadcast, psycopg_dsn
from .db import Database
from .edits import EditService
from .events import EventBus
from .fetch import SafeFetcher
from .files import FileStore
from .idempotency import IdempotencyStore
from .inputs import InputResolver
from .jobs import JobService
from .keys import KeyStore
from .ledger import Ledger
from .limits import RateLimiter, RedisRateLimiter
from .metrics import Metrics
from .nodes import ANY_ENGINE, NodeRegistry
from .pricing import Pricing
from .queue import DbJobQueue
from .recovery import UnservedJobs, recover_orphans
from .reports import Reports
from .runner import JobRunner, RunningSet
from .settings import ServiceSettings
from .states import WAKE_CHANNEL
from .webhooks import WebhookService
from .workers import WorkerPool

log = logging.getLogger("retouch.service")


@dataclass
class Services:
    settings: ServiceSettings
    db: Database
    keys: KeyStore
    ledger: Ledger
    pricing: Pricing
    limiter: RateLimiter | RedisRateLimiter
    files: FileStore
    fetcher: SafeFetcher
    resolver: InputResolver
    edits: EditService
    jobs: JobService
    queue: DbJobQueue
    bus: EventBus
    running: RunningSet
    workers: WorkerPool
    webhooks: WebhookService
    runner: JobRunner
    idempotency: IdempotencyStore
    reports: Reports
    metrics: Metrics
    boot_id: str
    blobs: BlobStore
    nodes: NodeRegistry
    broadcast: Broadcast
    listener: PgListener | None
    unserved: UnservedJobs
    #: anyio.CapacityLimiter for inline edits, made by the app on its event loop.
    inline_slots: Any = None
    #: Short tasks that run beside a request's main work (a hold beside the engine).
    side: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="retouch-side")
    )
    _stop: threading.Event = field(default_factory=threading.Event)
    _janitor: threading.Thread | None = None
    _name_lock: object = None

    def start(self) -> None:
        """Migrate, configure the engines, join the cluster, reconcile what a previous run left
        behind, then start the background threads."""
        from .migrate import upgrade

        upgrade(self.db)
        configure_engines(self.settings)
        self._name_lock = self.nodes.lock_name()
        self.broadcast.start(self._on_message)
        if self.listener is not None:
            self.listener.start()
        self.nodes.register()
        counts = recover_orphans(
            self.settings, self.db, self.edits, current_boot=self.boot_id, at_startup=True
        )
        if any(counts.values()):
            log.info("recovered jobs after restart: %s", counts)
        self.workers.start()
        self.webhooks.start()
        self._janitor = threading.Thread(target=self._janitor_loop, name="retouch-janitor", daemon=True)
        self._janitor.start()

    def stop(self) -> None:
        self._stop.set()
        self.workers.stop()
        self.webhooks.stop()
        if self._janitor:
            self._janitor.join(5)
        self.nodes.unregister()
        self.broadcast.stop()
        if self.listener is not None:
            self.listener.stop()
        self.side.shutdown(wait=True)
        if self._name_lock is not None:
            self._name_lock.close()  # type: ignore[attr-defined]
        self.db.dispose()

    def _on_message(self, kind: str, message: dict[str, Any]) -> None:
        """A message from another process of the cluster."""
        if kind == "job":
            self.bus.deliver(str(message["topic"]), dict(message["event"]))
        elif kind == "cancel":
            self.running.cancel(str(message["id"]))
        elif kind == "revoke":
            self.keys.forget(str(message["key_id"]))

    def _on_wake(self, engine: str) -> None:
        if self.workers.engines is None or engine in self.workers.engines:
            self.queue.notify()

    def check(self) -> dict[str, str]:
        """Readiness of what this process depends on: "ok", or why not."""
        checks = {"database": "ok" if self.db.ping() else "unreachable"}
        checks["storage"] = self.files.writable()[1]
        if self.settings.redis_url:
            checks["redis"] = self.broadcast.check() or "ok"
        if self.listener is not None:
            checks["listen"] = self.listener.check() or "ok"
        return checks

    def _janitor_loop(self) -> None:
        interval = max(1.0, min(30.0, self.settings.job_lease_s / 2))
        reclaim_every = max(interval, min(600.0, self.settings.orphan_blob_grace_s / 4))
        last_reclaim = time.monotonic()
        while not self._stop.wait(interval):
            try:
                recover_orphans(
                    self.settings, self.db, self.edits, current_boot=self.boot_id, at_startup=False
                )
                self.unserved.check()
                self.files.purge_expired()
                self.idempotency.purge_expired()
                if time.monotonic() - last_reclaim >= reclaim_every:
                    last_reclaim = time.monotonic()
                    n = self.files.reclaim_orphans(self.settings.orphan_blob_grace_s)
                    if n:
                        log.info("deleted %d orphaned blobs", n)
                    self.nodes.purge_dead()
            except Exception:  # housekeeping must never take the server down
                log.exception("janitor run failed")


def configure_engines(settings: ServiceSettings) -> None:
    """Apply `[engines.NAME]` settings, and check the engines the workers are told to run."""
    from ..engines import available_engines, configure_engine
    from ..errors import OptionError

    for name, options in settings.engines.items():
        configure_engine(name, **options)
    unknown = [e for e in settings.worker_engines if e != ANY_ENGINE and e not in available_engines()]
    if unknown:
        raise OptionError(
            f"worker_engines: unknown engine {unknown[0]!r}; engines: {', '.join(available_engines())}",
            param="worker_engines",
        )


def build_blobs(settings: ServiceSettings) -> BlobStore:
    if settings.s3 is not None:
        s3 = settings.s3
        return S3BlobStore(
            s3.bucket,
            prefix=s3.prefix,
            endpoint_url=s3.endpoint_url,
            region=s3.region,
            access_key_id=s3.access_key_id,
            secret_access_key=s3.secret_access_key,
            addressing_style=s3.addressing_style,
            presign=s3.presign,
            create_bucket=s3.create_bucket,
        )
    return LocalBlobStore(settings.resolved_blob_dir)


def build_broadcast(
    settings: ServiceSettings, db: Database, origin: str
) -> tuple[Broadcast, PgListener | None]:
    """Redis pub/sub if configured, else PostgreSQL NOTIFY on PostgreSQL, else nothing; and on
    PostgreSQL the LISTEN connection (job wake-ups, and the broadcast without Redis)."""
    listener = None if db.is_sqlite else PgListener(psycopg_dsn(db.engine.url), {})
    if settings.redis_url:
        return RedisBroadcast(settings.redis_url, settings.redis_prefix, origin), listener
    if listener is not None:
        return PgBroadcast(db.engine, listener, origin), listener
    return LocalBroadcast(), None


def build_services(settings: ServiceSettings, *, role: str | None = None) -> Services:
    """Every service of one process. `role`: "all" (API and workers: `retouch serve`), "api"
    (`serve --workers 0`) or "worker" (`retouch worker`); default by `settings.workers`."""
    role = role or ("all" if settings.workers > 0 else "api")
    secret = settings.resolved_secret()
    db = Database(settings.resolved_database_url)
    ledger = Ledger(db)
    pricing = Pricing(settings)
    blobs = build_blobs(settings)
    files = FileStore(db, blobs, secret, retention_s=settings.output_retention_h * 3600)
    fetcher = SafeFetcher(
        allow_private=settings.allow_private_urls,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.max_image_bytes,
        max_redirects=settings.fetch_max_redirects,
        blocked_networks=settings.blocked_networks,
    )
    resolver = InputResolver(fetcher, files, max_bytes=settings.max_image_bytes)
    edits = EditService(settings, db, ledger, pricing)
    queue = DbJobQueue(db)
    bus = EventBus()
    running = RunningSet()
    metrics = Metrics()
    jobs = JobService(settings, db, edits, queue, files, resolver, fetcher, bus)
    webhooks = WebhookService(
        db,
        fetcher,
        secret,
        schedule_s=settings.webhook_retry_schedule_s,
        timeout_s=settings.webhook_timeout_s,
        view=jobs.view,
    )
    edits.terminal_hooks.append(webhooks.on_job_terminal)
    boot_id = uuid.uuid4().hex[:8]
    node_id = f"{settings.node_name}/{boot_id}"
    nodes = NodeRegistry(
        db,
        node_id,
        role=role,
        engines=settings.worker_engines if settings.workers > 0 else [],
        workers=settings.workers,
        lease_s=settings.job_lease_s,
    )
    side = ThreadPoolExecutor(max_workers=8, thread_name_prefix="retouch-side")
    runner = JobRunner(settings, db, edits, files, bus, running, metrics, side)
    workers = WorkerPool(settings, db, queue, runner, running, boot_id=boot_id, nodes=nodes)
    edits.runs_here = workers.runs
    metrics.bind(queue.depth, lambda: len(running.items()))
    broadcast, listener = build_broadcast(settings, db, node_id)
    keys = KeyStore(db, secret, cache_s=settings.key_cache_s)
    bus.forward = lambda topic, event: broadcast.publish("job", {"topic": topic, "event": event})
    keys.on_revoke = lambda key_id: broadcast.publish("revoke", {"key_id": key_id})

    def on_cancel(job_id: str) -> None:
        running.cancel(job_id)
        broadcast.publish("cancel", {"id": job_id})

    jobs.on_cancel = on_cancel
    limiter: RateLimiter | RedisRateLimiter = (
        RedisRateLimiter(settings.redis_url, settings.redis_prefix) if settings.redis_url else RateLimiter()
    )
    services = Services(
        settings=settings,
        db=db,
        keys=keys,
        ledger=ledger,
        pricing=pricing,
        limiter=limiter,
        files=files,
        fetcher=fetcher,
        resolver=resolver,
        edits=edits,
        jobs=jobs,
        queue=queue,
        bus=bus,
        running=running,
        workers=workers,
        webhooks=webhooks,
        runner=runner,
        side=side,
        idempotency=IdempotencyStore(
            db, settings.idempotency_ttl_h * 3600, stale_s=settings.sync_timeout_s + 60
        ),
        reports=Reports(db, ledger),
        metrics=metrics,
        boot_id=boot_id,
        blobs=blobs,
        nodes=nodes,
        broadcast=broadcast,
        listener=listener,
        unserved=UnservedJobs(settings, db, edits, nodes),
    )
    if listener is not None:
        listener.callbacks[WAKE_CHANNEL] = services._on_wake
        listener.on_reconnect = queue.notify  # wake-ups may have been missed while away
    return services
