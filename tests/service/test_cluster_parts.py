"""The cluster's parts against real servers: the S3 blob store on moto's standalone server,
rate limits and the broadcast on Redis, NOTIFY on PostgreSQL, and the job state machine."""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from retouch.service.blobs import S3BlobStore
from retouch.service.db import Database
from retouch.service.errors import ApiError
from retouch.service.files import FileStore
from retouch.service.keys import Principal
from retouch.service.migrate import upgrade
from retouch.service.models import Account, Job
from retouch.service.settings import Tier, load_settings
from retouch.service.states import IllegalTransition, JobStatus, transition

from .helpers import MotoS3, PgDatabases, png

OWNER = Principal(key_id="key_t", account_id="acct_t", scopes=frozenset({"edit"}), tier=None)


def _store(s3: MotoS3, **kw: Any) -> S3BlobStore:
    cfg = s3.settings(s3.bucket(), prefix="p/")
    return S3BlobStore(
        cfg["bucket"],
        prefix=cfg["prefix"],
        endpoint_url=cfg["endpoint_url"],
        region=cfg["region"],
        access_key_id="test",
        secret_access_key="test",
        addressing_style="path",
        **kw,
    )


def test_s3_store_round_trip_and_presigned_url(s3: MotoS3) -> None:
    store = _store(s3)
    data = png(40, 30, seed=3)
    key = store.put(data)
    assert store.exists(key) and store.get(key) == data
    assert store.check() is None
    # the object is where the prefix says, and nothing else was written
    listed = s3.client().list_objects_v2(Bucket=store.bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["p/" + key]
    url = store.presign(key, 60, content_type="image/png", filename="out.png")
    assert url is not None and url.startswith(s3.endpoint)
    r = httpx.get(url)  # no credentials: the signature is the permission
    assert r.status_code == 200 and r.content == data and r.headers["content-type"] == "image/png"
    assert "X-Amz-Expires=60" in url and "X-Amz-Signature=" in url  # (moto does not check signatures)
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(KeyError):
        store.get(key)
    with pytest.raises(KeyError):
        store.get("../escape")


def test_s3_store_reports_a_missing_bucket(s3: MotoS3) -> None:
    store = _store(s3)
    store.bucket = "no-such-bucket-" + uuid.uuid4().hex[:6]
    assert "object store" in (store.check() or "")


def test_janitor_reclaims_blobs_without_rows_only(s3: MotoS3, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'j.db'}")
    upgrade(db)
    with db.write() as s:
        s.add(Account(id=OWNER.account_id, name="t", balance=0))
    store = _store(s3)
    files = FileStore(db, store, b"secret", retention_s=3600)
    kept = files.create(OWNER, png(seed=1), filename="in.png", content_type="image/png")
    stray = store.put(b"left behind by a process killed between the blob and its row")
    assert files.reclaim_orphans(3600) == 0  # young blobs may still be getting their row
    time.sleep(1.1)  # S3 times have whole seconds
    assert files.reclaim_orphans(0.5) == 1
    assert not store.exists(stray) and store.exists(kept.blob_key)
    assert files.content(kept.id, OWNER) == png(seed=1)
    # the web UI's version history keeps blobs of its own: named there, they are not orphans
    from retouch.web.migrate import upgrade as web_upgrade
    from retouch.web.models import Tree, Version

    web_upgrade(db)
    kept_by_ui = store.put(b"a version of an image")
    with db.write() as s:
        s.add(Tree(id="tree_1", account_id=OWNER.account_id, key_id=OWNER.key_id))
        s.flush()
        s.add(Version(tree_id="tree_1", blob_key=kept_by_ui, thumb_key=kept_by_ui, content_type="image/png",
                      width=1, height=1, bytes=1))
    time.sleep(1.1)
    assert files.reclaim_orphans(0.5) == 0 and store.exists(kept_by_ui)
    # presigned download links for outputs, signed links of the API where a store has none
    urls = files.urls([kept.id], 60, "http://api.example")
    assert urls[kept.id].startswith(s3.endpoint) and httpx.get(urls[kept.id]).content == png(seed=1)
    store.presigns = False
    assert files.urls([kept.id], 60, "http://api.example")[kept.id].startswith("http://api.example/v1/files/")
    db.dispose()


def test_redis_rate_limit_is_exact_across_nodes(redis_url: str) -> None:
    from retouch.service.limits import RedisRateLimiter

    prefix = f"rt-test-{uuid.uuid4().hex[:8]}:"
    nodes = [RedisRateLimiter(redis_url, prefix) for _ in range(2)]
    tier = Tier(requests_per_minute=7, images_per_minute=0, concurrent_jobs=0)
    admitted: list[int] = []
    refused: list[ApiError] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        for _ in range(6):
            try:
                nodes[i % 2].hit("key_1", tier, kind="requests")
                with lock:
                    admitted.append(i)
            except ApiError as e:
                with lock:
                    refused.append(e)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 7 and len(refused) == 24 - 7
    e = refused[0]
    assert e.status == 429 and e.code == "rate_limit_exceeded"
    assert 1 <= int(e.headers["retry-after"]) <= 60 and e.headers["x-ratelimit-remaining-requests"] == "0"
    assert nodes[1].peek("key_2", tier, "requests")["x-ratelimit-remaining-requests"] == "7"
    with pytest.raises(ApiError):  # more than the limit at once is refused, never admitted
        nodes[0].hit("key_3", tier, kind="requests", amount=8)
    import redis

    r = redis.Redis.from_url(redis_url)
    r.delete(*r.keys(prefix + "*"))


def test_redis_broadcast_reaches_the_other_process_only(redis_url: str) -> None:
    from retouch.service.broadcast import RedisBroadcast

    prefix = f"rt-test-{uuid.uuid4().hex[:8]}:"
    a, b = RedisBroadcast(redis_url, prefix, "a"), RedisBroadcast(redis_url, prefix, "b")
    got: dict[str, list[tuple[str, dict]]] = {"a": [], "b": []}
    a.start(lambda k, m: got["a"].append((k, m)))
    b.start(lambda k, m: got["b"].append((k, m)))
    a.publish("revoke", {"key_id": "key_1"})
    deadline = time.monotonic() + 2
    while not got["b"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert got["b"] == [("revoke", {"key_id": "key_1"})] and got["a"] == []
    assert a.check() is None
    a.stop()
    b.stop()


@pytest.mark.skipif(not os.environ.get("RETOUCH_TEST_PG_URL"), reason="RETOUCH_TEST_PG_URL not set")
def test_postgres_notify_wakes_and_broadcasts() -> None:
    from retouch.service.broadcast import PgBroadcast, PgListener, psycopg_dsn

    dbs = PgDatabases(os.environ["RETOUCH_TEST_PG_URL"])
    db = Database(load_settings(None, database_url=dbs.create()).resolved_database_url)
    try:
        upgrade(db)
        woken: list[str] = []
        got: list[tuple[str, dict]] = []
        listener = PgListener(psycopg_dsn(db.engine.url), {"retouch_jobs": woken.append})
        PgBroadcast(db.engine, listener, "b").start(lambda k, m: got.append((k, m)))
        listener.start()
        PgBroadcast(db.engine, listener, "a").publish("cancel", {"id": "job_1"})
        # a job that becomes queued wakes workers when its transaction commits, not before
        with db.write() as s:
            s.add(Account(id="acct_t", name="t", balance=0))
            s.add(_job("job_n", JobStatus.RUNNING, engine="diffusers"))
        with db.write() as s:
            assert transition(s.connection(), "job_n", JobStatus.QUEUED, frm=[JobStatus.RUNNING]) is not None
            time.sleep(0.3)
            assert woken == []
        deadline = time.monotonic() + 2
        while (not woken or not got) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert woken == ["diffusers"] and got == [("cancel", {"id": "job_1"})]
        listener.stop()
    finally:
        db.dispose()
        dbs.drop_all()


def _job(job_id: str, status: JobStatus, engine: str = "builtin") -> Job:
    return Job(
        id=job_id, account_id="acct_t", key_id="key_t", model="retouch-builtin", engine=engine, status=status,
        worker_id="n/b/w0" if status == JobStatus.RUNNING else None,
    )


def test_transitions_are_guarded_and_checked(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    upgrade(db)
    with db.write() as s:
        s.add(Account(id="acct_t", name="t", balance=0))
        s.add(_job("job_q", JobStatus.QUEUED))
        s.add(_job("job_r", JobStatus.RUNNING))
    with db.write() as s:
        c = s.connection()
        # the machine refuses what it does not allow, before touching the row
        with pytest.raises(IllegalTransition):
            transition(c, "job_q", JobStatus.SUCCEEDED, frm=[JobStatus.QUEUED])
        # a worker that lost the job changes nothing
        assert transition(c, "job_r", JobStatus.FAILED, frm=[JobStatus.RUNNING], worker_id="other") is None
        assert transition(c, "job_r", JobStatus.SUCCEEDED, frm=[JobStatus.RUNNING], worker_id="n/b/w0")
        # whoever comes second finds it ended
        assert transition(c, "job_r", JobStatus.CANCELED, frm=[JobStatus.QUEUED, JobStatus.RUNNING]) is None
    with db.read() as s:
        assert s.get(Job, "job_r").status == "succeeded"  # type: ignore[union-attr]
    # two threads racing for one queued job: exactly one wins
    wins: list[object] = []

    def take() -> None:
        with db.write() as s:
            row = transition(s.connection(), "job_q", JobStatus.RUNNING, frm=[JobStatus.QUEUED])
            if row is not None:
                wins.append(row)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    db.dispose()


def test_engine_settings_are_checked_at_start(tmp_path: Path) -> None:
    from retouch.engines import engine_settings, reset_engines
    from retouch.errors import OptionError
    from retouch.service.container import configure_engines

    try:
        configure_engines(load_settings(None, data_dir=str(tmp_path), engines={"diffusers": {"device": "cuda:1"}}))
        assert engine_settings("diffusers") == {"device": "cuda:1"}
        with pytest.raises(OptionError, match=r"engines\.diffusers\.devise.*device"):
            configure_engines(load_settings(None, data_dir=str(tmp_path), engines={"diffusers": {"devise": "x"}}))
        with pytest.raises(OptionError, match="worker_engines: unknown engine 'difusers'"):
            configure_engines(load_settings(None, data_dir=str(tmp_path), worker_engines=["difusers"]))
    finally:
        reset_engines()


def test_readiness_reports_redis_and_the_object_store(tmp_path: Path, s3: MotoS3) -> None:
    from retouch.service.container import build_services

    from .helpers import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(
        None,
        data_dir=str(tmp_path),
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        s3={**s3.settings("retouch-none"), "endpoint_url": dead},
    )
    svc = build_services(settings)
    try:
        checks = svc.check()
        assert checks["database"] == "ok"
        assert checks["redis"].startswith("redis: ConnectionError")
        assert checks["storage"].startswith("not writable: object store: ")
        good = build_services(load_settings(None, data_dir=str(tmp_path), s3=s3.settings(s3.bucket())))
        assert good.check() == {"database": "ok", "storage": "ok"}
        good.db.dispose()
    finally:
        svc.db.dispose()


def test_cli_refuses_bad_cluster_settings_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from retouch.cli import main

    assert main(["worker", "--data-dir", str(tmp_path), "--workers", "0"]) == 1
    assert capsys.readouterr().err.strip() == "error: a worker needs --workers 1 or more"
    assert main(["serve", "--data-dir", str(tmp_path), "--engines", "builtin,bogus", "--port", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: worker_engines: unknown engine 'bogus'") and "\n" not in err


def test_heartbeat_tells_lost_jobs_from_ones_not_held_yet(tmp_path: Path) -> None:
    from retouch.service.queue import DbJobQueue

    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    upgrade(db)
    with db.write() as s:
        s.add(Account(id="acct_t", name="t", balance=0))
        s.add(_job("job_mine", JobStatus.RUNNING))  # worker n/b/w0
        s.add(_job("job_taken", JobStatus.RUNNING))
    with db.write() as s:  # taken over by another worker after its lease ran out
        s.execute(Job.__table__.update().where(Job.id == "job_taken").values(worker_id="other/b/w0"))
    lost = DbJobQueue(db).heartbeat(
        [("job_mine", "n/b/w0"), ("job_taken", "n/b/w0"), ("job_syncedit", "n/b/inline")]
    )
    # a sync edit takes its hold (and gets its row) beside its engine: no row yet is not lost
    assert lost == {"job_taken"}
    with db.read() as s:
        assert (s.get(Job, "job_mine").heartbeat_at or 0) > time.time() - 5  # type: ignore[union-attr]
    db.dispose()
