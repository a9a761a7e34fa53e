"""A cluster on loopback: 2 API-only nodes (`serve --workers 0`) and 2 worker processes
(`retouch worker --engines builtin`) sharing PostgreSQL, Redis and an S3 server (moto's).

One test walks through what a cluster must get right, in order (starting the processes is
the slow part, so they are started once): SSE progress of a job seen through the node that
did not take it; a cancel sent to the other node stopping it on its worker; kill -9 of the
worker running a job, another worker finishing it after the lease with one charge; a rate
limit admitting exactly N across both nodes; a revocation through one node refused by the
other within a second (with a key cache of 30 s); a job of an engine no worker runs failing
with a reason instead of waiting forever; then the ledger audited to the credit and the
bucket holding exactly the blobs that rows refer to.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from retouch.engines import get_engine
from retouch.schema import EditRequest

from .conftest import TEST_TIERS
from .helpers import MotoS3, PgDatabases, Server, data_url, decode, png

PG_URL = os.environ.get("RETOUCH_TEST_PG_URL")
REDIS_URL = os.environ.get("RETOUCH_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="RETOUCH_TEST_PG_URL not set (source scripts/services)"),
    pytest.mark.skipif(not REDIS_URL, reason="RETOUCH_TEST_REDIS_URL not set (source scripts/services)"),
]

#: a job that runs for several seconds on the builtin engine, with progress between images
SLOW = {
    "prompt": "increase the contrast, denoise it and add a strong vignette",
    "quality": "high",
    "mode": "batch",
}
LIMIT = 6  # requests per minute of the rate-limit step


@dataclass
class Cluster:
    api1: Server
    api2: Server
    workers: dict[str, Server]
    db_url: str
    s3: MotoS3
    bucket: str
    prefix: str
    redis_prefix: str

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.db_url) as c:
            return list(c.execute(query, args).fetchall())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3: MotoS3) -> Iterator[Cluster]:
    pytest.importorskip("redis")
    assert PG_URL and REDIS_URL
    dbs = PgDatabases(PG_URL)
    db_url = dbs.create()
    bucket = s3.bucket()
    redis_prefix = f"rt-test-{uuid.uuid4().hex[:8]}:"
    common: dict[str, Any] = {
        "secret_key": "cluster-test-" + uuid.uuid4().hex,
        "redis_url": REDIS_URL,
        "redis_prefix": redis_prefix,
        "s3": s3.settings(bucket, prefix="blobs/"),
        "job_lease_s": 2,  # short: the kill -9 step waits for it
        "no_worker_timeout_s": 3,
        "orphan_blob_grace_s": 3,
        "key_cache_s": 30,  # a revocation must not wait for the cache
        "login_link": False,
        "tiers": {**TEST_TIERS, "sixpm": {"requests_per_minute": LIMIT, "images_per_minute": 100,
                                          "concurrent_jobs": 20}},
        "default_tier": "standard",
    }
    base = tmp_path_factory.mktemp("cluster")

    def node(name: str, command: str, **extra: Any) -> Server:
        return Server(base / name, {**common, "node_name": name, **extra}, database_url=db_url, command=command)

    api1 = node("api1", "serve", workers=0).start()  # migrates and makes the admin key
    api2 = node("api2", "serve", workers=0, bootstrap_admin=False)
    workers = {n: node(n, "worker", workers=1, worker_engines=["builtin"]) for n in ("w1", "w2")}
    errors: list[BaseException] = []

    def start(s: Server) -> None:
        try:
            s.start(timeout=120)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=start, args=(s,)) for s in (api2, *workers.values())]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    api2.admin_key = api1.admin_key
    c = Cluster(api1, api2, workers, db_url, s3, bucket, "blobs/", redis_prefix)
    try:
        if errors:
            raise errors[0]
        yield c
    finally:
        for s in (api1, api2, *workers.values()):
            s.stop()
        dbs.drop_all()
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(redis_prefix + "*"))
        if keys:
            r.delete(*keys)


def _wait(c: httpx.Client, job_id: str, statuses: tuple[str, ...], timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = c.get(f"/v1/jobs/{job_id}").json()
        if j["status"] in statuses:
            return j
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {statuses}: {j}")


def _slow_job(c: httpx.Client, images: int = 4, size: int = 768) -> dict[str, Any]:
    body = {"images": [data_url(png(size, size, seed=i)) for i in range(images)], **SLOW}
    r = c.post("/v1/jobs", json=body)
    assert r.status_code == 202, r.text
    return r.json()


def _sse(base_url: str, key: str, job_id: str, into: list[tuple[str, dict[str, Any]]]) -> None:
    with httpx.stream(
        "GET", f"{base_url}/v1/jobs/{job_id}/events", headers={"authorization": f"Bearer {key}"}, timeout=120
    ) as r:
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event:
                into.append((event, json.loads(line[6:])))
                if event in ("job.succeeded", "job.failed", "job.canceled"):
                    return


def test_cluster(cluster: Cluster) -> None:
    c = cluster
    for api in (c.api1, c.api2):
        ready = httpx.get(api.base_url + "/readyz").json()
        assert ready["checks"] | {"engine": "ok"} == {
            "database": "ok", "storage": "ok", "redis": "ok", "listen": "ok", "engine": "ok"
        }, ready  # an API-only node has no workers to check
    nodes = {r[0]: (r[1], r[2]) for r in c.sql("SELECT node_name, role, engines FROM nodes")}
    assert nodes == {"api1": ("api", []), "api2": ("api", []), "w1": ("worker", ["builtin"]),
                     "w2": ("worker", ["builtin"])}
    # a blob left behind by a process killed between the blob and its row: the janitor takes it
    stray = c.prefix + uuid.uuid4().hex
    c.s3.client().put_object(Bucket=c.bucket, Key=stray, Body=b"orphan")

    key = c.api1.new_key(credits=50_000_000)
    one, two = c.api1.client(key["key"]), c.api2.client(key["key"])

    # 1. a job posted to API 1 runs on a worker; its progress streams through API 2
    job = _slow_job(one, images=3, size=512)
    events: list[tuple[str, dict[str, Any]]] = []
    _sse(c.api2.base_url, key["key"], job["id"], events)
    kinds = [e for e, _ in events]
    assert kinds[0] == "job.status" and kinds[-1] == "job.succeeded", kinds
    streamed = [d["progress"] for e, d in events if e == "job.progress" and "object" not in d]
    # (events straight from the worker carry only progress; the database fallback sends whole jobs)
    assert len(streamed) >= 3 and streamed == sorted(streamed) and 0 < streamed[-1] <= 1, events
    done = events[-1][1]
    assert done["status"] == "succeeded" and len(done["result"]["images"]) == 3
    url = done["result"]["images"][0]["url"]
    assert url.startswith(f"{c.s3.endpoint}/{c.bucket}/{c.prefix}"), url  # presigned by the store
    assert decode(httpx.get(url).content).size == (512, 512)
    (worker,) = c.sql("SELECT worker_id FROM jobs WHERE id = %s", job["id"])[0]
    assert worker.split("/")[0] in c.workers

    # 1b. sync edits on an API-only node go through the queue to a worker and back, unchanged for
    # the client: the official SDK, plain and streamed, the same pixels as the engine in-process
    sdk = c.api2.openai(key["key"])
    photo = png(96, 64, seed=9)
    got = sdk.images.with_raw_response.edit(image=("p.png", photo, "image/png"), prompt="make it warmer")
    job_id = got.headers["x-retouch-job-id"]
    edited = decode(base64.b64decode(got.parse().data[0].b64_json))
    expected = get_engine("builtin").edit(EditRequest(images=[photo], prompt="make it warmer"))
    assert np.array_equal(np.asarray(edited), np.asarray(decode(expected.images[0])))
    (worker, origin) = c.sql("SELECT worker_id, origin FROM jobs WHERE id = %s", job_id)[0]
    assert origin == "relayed" and worker.split("/")[0] in c.workers
    assert int(got.headers["x-retouch-credits-charged"]) > 0
    stream = sdk.images.edit(image=("p.png", photo, "image/png"), prompt="make it warmer", stream=True,
                             partial_images=1)
    kinds_ = [e.type for e in stream]
    assert kinds_ == ["image_edit.partial_image", "image_edit.completed"], kinds_
    retry = {"idempotency-key": "sync-" + uuid.uuid4().hex}
    first = c.api1.client(key["key"]).post("/v1/images/edits", files={"image": ("p.png", photo, "image/png")},
                                           data={"prompt": "make it cooler"}, headers=retry)
    again = c.api2.client(key["key"]).post("/v1/images/edits", files={"image": ("p.png", photo, "image/png")},
                                           data={"prompt": "make it cooler"}, headers=retry)
    assert first.status_code == again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-retouch-job-id"] == first.headers["x-retouch-job-id"]
    assert again.json()["data"] == first.json()["data"]
    with pytest.raises(openai.APIStatusError) as refused:  # no worker runs it: refused at once
        sdk.images.edit(image=("p.png", photo, "image/png"), prompt="add a hat", model="diffusers")
    assert refused.value.status_code == 503 and refused.value.body["code"] == "no_worker_available"

    # 2. a cancel sent to API 2 stops the job on its worker
    job = _slow_job(one, images=4)
    _wait(two, job["id"], ("running",))
    time.sleep(0.3)
    t0 = time.monotonic()
    assert two.post(f"/v1/jobs/{job['id']}/cancel").status_code == 200
    canceled = _wait(one, job["id"], ("canceled", "succeeded", "failed"), timeout=30)
    took = time.monotonic() - t0
    assert canceled["status"] == "canceled" and canceled["charged_credits"] == 0
    # stopped mid-run by its worker (at the engine's next step), not run to its end
    assert canceled["progress"] < 1 and took < 10, (canceled, took)
    assert sorted(k for (k,) in c.sql("SELECT kind FROM ledger_entries WHERE job_id = %s", job["id"])) == [
        "hold", "release"
    ]

    # 3. kill -9 of the worker running a job: the other finishes it after the lease, charged once
    job = _slow_job(one, images=4)
    _wait(one, job["id"], ("running",))
    time.sleep(0.5)
    (worker,) = c.sql("SELECT worker_id FROM jobs WHERE id = %s", job["id"])[0]
    victim = worker.split("/")[0]
    c.workers[victim].stop(kill=True)
    finished = _wait(two, job["id"], ("succeeded", "failed", "canceled"), timeout=120)
    assert finished["status"] == "succeeded" and finished["attempts"] == 2, finished
    (worker2,) = c.sql("SELECT worker_id FROM jobs WHERE id = %s", job["id"])[0]
    assert worker2.split("/")[0] != victim
    assert sorted(k for (k,) in c.sql("SELECT kind FROM ledger_entries WHERE job_id = %s", job["id"])) == [
        "capture", "hold", "release"
    ]
    outputs = c.sql("SELECT id FROM files WHERE job_id = %s AND purpose = 'output'", job["id"])
    assert sorted(i for (i,) in outputs) == sorted(im["file_id"] for im in finished["result"]["images"])

    # 4. a rate limit of N per minute admits exactly N across both API nodes
    limited = c.api1.new_key(credits=1_000_000, tier="sixpm")
    nodes_ = [c.api1.client(limited["key"]), c.api2.client(limited["key"])]
    tiny = {"images": [data_url(png(32, 24))], "prompt": "brighten slightly"}
    codes = [nodes_[i % 2].post("/v1/jobs", json=tiny).status_code for i in range(2 * LIMIT)]
    assert codes.count(202) == LIMIT and codes.count(429) == LIMIT, codes

    # 5. a key revoked through one node is refused by the other within a second
    victim_key = c.api1.new_key(credits=0)
    other = c.api2.client(victim_key["key"])
    assert other.get("/v1/me").status_code == 200  # verified, and cached on API 2 for 30 s
    with c.api1.client() as admin:
        assert admin.delete(f"/v1/admin/keys/{victim_key['id']}").status_code == 200
    t0 = time.monotonic()
    while other.get("/v1/me").status_code == 200:
        assert time.monotonic() - t0 < 1.0, "API 2 still accepts a key revoked through API 1"
        time.sleep(0.02)

    # 6. workers that run only builtin never take a diffusers job; it fails saying why
    r = one.post("/v1/jobs", json={**tiny, "model": "diffusers"})
    assert r.status_code == 202, r.text
    gen = r.json()
    time.sleep(1.5)
    waiting = two.get(f"/v1/jobs/{gen['id']}").json()
    assert waiting["status"] == "queued" and "No live worker runs the diffusers engine" in waiting["stage"]
    failed = _wait(two, gen["id"], ("failed", "succeeded"), timeout=30)
    assert failed["status"] == "failed" and failed["error"]["code"] == "no_worker_available", failed
    assert failed["attempts"] == 0 and c.sql("SELECT worker_id FROM jobs WHERE id = %s", gen["id"]) == [(None,)]

    # everything ends
    deadline = time.monotonic() + 60
    while c.sql("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")[0][0]:
        assert time.monotonic() < deadline, "jobs still active"
        time.sleep(0.2)

    # the ledger, to the credit: balance = grants - captures; no job settled twice
    for acct, balance in c.sql("SELECT id, balance FROM accounts"):
        sums = dict(c.sql("SELECT kind, coalesce(sum(amount), 0) FROM ledger_entries WHERE account_id = %s "
                          "GROUP BY kind", acct))
        assert balance == sums.get("grant", 0) + sums.get("capture", 0), (acct, balance, sums)
        assert sums.get("hold", 0) + sums.get("release", 0) == 0, (acct, sums)  # nothing still held
    assert c.sql("SELECT job_id, kind FROM ledger_entries WHERE job_id IS NOT NULL "
                 "GROUP BY job_id, kind HAVING count(*) > 1") == []
    captured = c.sql("SELECT j.id FROM jobs j JOIN ledger_entries l ON l.job_id = j.id AND l.kind = 'capture' "
                     "WHERE j.status <> 'succeeded'")
    assert captured == []

    # no orphaned blob: the bucket holds exactly the blobs that rows refer to
    rows = {k for (k,) in c.sql("SELECT blob_key FROM files")}
    deadline = time.monotonic() + 20
    while True:
        listed = c.s3.client().list_objects_v2(Bucket=c.bucket).get("Contents", [])
        objects = {o["Key"].removeprefix(c.prefix) for o in listed}
        if objects == rows or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert stray.removeprefix(c.prefix) not in objects, "the janitor left the orphan"
    assert objects == rows, (objects - rows, rows - objects)
