"""Wiring: one default implementation of each service, built from the settings.

This is the only place that knows every service; everything else receives what it
uses. Tests and alternative deployments build their own `Services` the same way.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .blobs import LocalBlobStore
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
from .limits import RateLimiter
from .metrics import Metrics
from .pricing import Pricing
from .queue import DbJobQueue
from .recovery import recover_orphans
from .reports import Reports
from .runner import JobRunner, RunningSet
from .settings import ServiceSettings
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
    limiter: RateLimiter
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
    #: anyio.CapacityLimiter for inline edits, made by the app on its event loop.
    inline_slots: Any = None
    #: Short tasks that run beside a request's main work (a hold beside the engine).
    side: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="retouch-side")
    )
    _stop: threading.Event = field(default_factory=threading.Event)
    _janitor: threading.Thread | None = None

    def start(self) -> None:
        """Migrate, reconcile what a previous run left behind, then start the background threads."""
        from .migrate import upgrade

        upgrade(self.db)
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
        self.side.shutdown(wait=True)
        self.db.dispose()

    def _janitor_loop(self) -> None:
        interval = max(1.0, min(30.0, self.settings.job_lease_s / 2))
        while not self._stop.wait(interval):
            try:
                recover_orphans(
                    self.settings, self.db, self.edits, current_boot=self.boot_id, at_startup=False
                )
                self.files.purge_expired()
                self.idempotency.purge_expired()
            except Exception:  # housekeeping must never take the server down
                log.exception("janitor run failed")


def build_services(settings: ServiceSettings) -> Services:
    secret = settings.resolved_secret()
    db = Database(settings.resolved_database_url)
    ledger = Ledger(db)
    pricing = Pricing(settings)
    blobs = LocalBlobStore(settings.resolved_blob_dir)
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
    jobs.on_cancel = running.cancel
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
    side = ThreadPoolExecutor(max_workers=8, thread_name_prefix="retouch-side")
    runner = JobRunner(settings, db, edits, files, bus, running, metrics, side)
    workers = WorkerPool(settings, db, queue, runner, running, boot_id=boot_id)
    metrics.bind(queue.depth, lambda: len(running.items()))
    return Services(
        settings=settings,
        db=db,
        keys=KeyStore(db, secret, cache_s=settings.key_cache_s),
        ledger=ledger,
        pricing=pricing,
        limiter=RateLimiter(),
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
    )
