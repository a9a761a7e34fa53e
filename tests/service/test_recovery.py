"""Restart recovery: a crash loses no job and never charges twice.

One SIGKILL covers every case at once (starting servers is the slow part of this suite):
a queued job that was running (requeued, then succeeds, charged once), an inline edit that
was running (failed, hold released), a job that had used its attempts (failed, released;
its row is set to running while the server is down, as a crashed run would leave it), and
a job still waiting in the queue (runs after the restart).
"""

from __future__ import annotations

import contextlib
import threading
import time

import httpx
from sqlalchemy import update

from retouch.service.db import Database
from retouch.service.models import Job
from retouch.service.settings import load_settings

from .helpers import Server, data_url, png

SLOW = {"prompt": "increase the contrast, denoise it and add a strong vignette", "quality": "high"}


def _wait_status(c: httpx.Client, job_id: str, statuses: tuple[str, ...], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = c.get(f"/v1/jobs/{job_id}").json()
        if j["status"] in statuses:
            return j
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {statuses}")


def _ledger(c: httpx.Client, job_id: str) -> list[str]:
    return sorted(e["kind"] for e in c.get("/v1/statements").json()["entries"] if e["job_id"] == job_id)


def test_kill_mid_job_then_restart(solo_server: Server) -> None:
    srv = solo_server
    k = srv.new_key(credits=10_000_000)
    slow_images = [data_url(png(512, 512, seed=i)) for i in range(2)]
    client = srv.openai(k["key"], timeout=60)
    big = png(1024, 1024, seed=5)
    with srv.client(k["key"]) as c:
        start = c.get("/v1/balance").json()["available"]
        running = c.post("/v1/jobs", json={"images": slow_images, "mode": "batch", **SLOW}).json()
        exhausted = c.post(
            "/v1/jobs", json={"images": [data_url(png(seed=7))], "prompt": "brighten slightly"}
        ).json()
        waiting = c.post(
            "/v1/jobs", json={"images": [data_url(png(seed=8))], "prompt": "brighten slightly"}
        ).json()
        _wait_status(c, running["id"], ("running",))

        def inline() -> None:
            with contextlib.suppress(Exception):  # the server dies under it
                client.images.edit(image=("p.png", big, "image/png"), **SLOW)

        t = threading.Thread(target=inline)
        t.start()
        deadline = time.monotonic() + 60
        inline_job = None
        while inline_job is None and time.monotonic() < deadline:
            rows = c.get("/v1/jobs", params={"status": "running"}).json()["data"]
            inline_job = next((j for j in rows if j["id"] != running["id"]), None)
            time.sleep(0.02)
        assert inline_job, "the inline edit never showed up as running"
        assert c.get(f"/v1/jobs/{running['id']}").json()["status"] == "running"

    srv.stop(kill=True)  # SIGKILL mid-job
    t.join()
    # What a crash during a job's last allowed attempt leaves behind:
    settings = load_settings(srv.config_path, data_dir=str(srv.data_dir), database_url=srv.database_url)
    db = Database(settings.resolved_database_url, pool_size=1)
    with db.write() as s:
        s.execute(
            update(Job)
            .where(Job.id == exhausted["id"])
            .values(
                status="running",
                attempts=settings.job_max_attempts,
                worker_id=f"{settings.node_name}/dead/w0",
                heartbeat_at=time.time(),
            )
        )
    db.dispose()
    srv.start()

    with srv.client(k["key"]) as c:
        done = _wait_status(c, running["id"], ("succeeded", "failed"))
        assert done["status"] == "succeeded" and done["attempts"] == 2
        assert _ledger(c, running["id"]) == ["capture", "hold", "release"]  # one charge across two runs

        lost = c.get(f"/v1/jobs/{inline_job['id']}").json()
        assert lost["status"] == "failed" and lost["error"]["code"] == "interrupted"
        assert _ledger(c, inline_job["id"]) == ["hold", "release"]

        gone = c.get(f"/v1/jobs/{exhausted['id']}").json()
        assert gone["status"] == "failed" and gone["error"]["code"] == "interrupted"
        assert _ledger(c, exhausted["id"]) == ["hold", "release"]

        later = _wait_status(c, waiting["id"], ("succeeded", "failed"))
        assert later["status"] == "succeeded" and later["attempts"] == 1

        bal = c.get("/v1/balance").json()
        charged = done["charged_credits"] + later["charged_credits"]
        assert bal == {
            "object": "balance",
            "account_id": k["account_id"],
            "available": start - charged,
            "held": 0,
        }
