"""Races the campaign found (bench/bench_ledger.py on PostgreSQL): a cancel that reads a job
while a worker is capturing it. Runs on PostgreSQL when RETOUCH_TEST_PG_URL is set; SQLite
serialises its writers, so there the race cannot happen and the test shows that it does not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from retouch.service.audit import audit_ledger
from retouch.service.container import Services, build_services
from retouch.service.inputs import probe
from retouch.service.migrate import upgrade
from retouch.service.models import Job
from retouch.service.params import parse_options
from retouch.service.settings import ServiceSettings

from .helpers import PgDatabases, png


@pytest.fixture
def services(tmp_path: Path, pg: PgDatabases | None) -> Iterator[Services]:
    settings = ServiceSettings(
        data_dir=tmp_path, database_url=pg.create() if pg else None, bootstrap_admin=False, login_link=False
    )
    svc = build_services(settings)
    upgrade(svc.db)
    yield svc
    svc.db.dispose()


def test_a_cancel_during_the_capture_neither_cancels_a_charged_job_nor_fails(services: Services) -> None:
    # Before: the cancel read the job as still active, waited for the capture's locks, then
    # wrote `canceled` over the succeeded job (charged, with a usage record), or deadlocked
    # with the capture (500 on POST /v1/jobs/{id}/cancel).
    created = services.keys.create(name="t", credits=10**6)
    p = services.keys.verify(created.secret)
    assert p is not None
    spec = services.edits.prepare(
        parse_options({"prompt": "brighten slightly"}), [probe(png(), param="image", max_bytes=1 << 20)], None
    )
    job = services.edits.open_job(p, spec, origin="inline", worker_id="w", job_id="job_race")
    results = services.edits.execute(spec)
    captured, go = threading.Event(), threading.Event()

    def hold_the_capture_open(s: Session) -> None:
        captured.set()
        go.wait(10)

    settled: list[object] = []
    worker = threading.Thread(
        target=lambda: settled.append(
            services.edits.succeed(job.id, results, {"images": []}, worker_id="w", also=hold_the_capture_open)
        )
    )
    worker.start()
    assert captured.wait(10)
    outcome: list[object] = []

    def cancel() -> None:
        try:
            outcome.append(
                services.edits.finish_unsuccessfully(job.id, "canceled", {"code": "canceled"}, only_if_running=False)
            )
        except Exception as e:  # the deadlock of before surfaced here
            outcome.append(e)

    canceler = threading.Thread(target=cancel)
    canceler.start()
    canceler.join(0.5)  # it waits for the capture (PostgreSQL: the job's row lock; SQLite: the writer lock)
    go.set()
    worker.join(10)
    canceler.join(10)
    assert settled and isinstance(settled[0], int) and settled[0] > 0
    assert outcome == [False]  # it had already ended: nothing to cancel
    with services.db.read() as s:
        row = s.get(Job, job.id)
        assert row is not None and row.status == "succeeded" and row.charged_credits == settled[0]
    report = audit_ledger(services.db)
    assert report.ok, report.problems
