"""Async jobs: submit, wait, status, list, cancel, result, SSE events, idempotency, batch, files."""

from __future__ import annotations

import base64
import json
import threading
import time

import httpx
import pytest

from .helpers import Server, data_url, decode, png


def _job(images: list[bytes] | None = None, **kw) -> dict:  # type: ignore[no-untyped-def]
    return {"images": [data_url(i) for i in (images or [png()])], "prompt": "brighten slightly", **kw}


def wait_done(c: httpx.Client, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = c.get(f"/v1/jobs/{job_id}").json()
        if j["status"] in ("succeeded", "failed", "canceled"):
            return j
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_submit_poll_and_result(server: Server, key: str) -> None:
    with server.client(key) as c:
        r = c.post("/v1/jobs", json=_job(metadata={"order": "42"}))
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["object"] == "job" and job["status"] in ("queued", "running", "succeeded")
        assert r.headers["location"] == f"/v1/jobs/{job['id']}"
        assert job["estimate"]["credits"] > 0
        done = wait_done(c, job["id"])
        assert (
            done["status"] == "succeeded" and done["progress"] == 1.0 and done["metadata"] == {"order": "42"}
        )
        assert done["charged_credits"] == job["estimate"]["credits"]
        assert done["timings"]["run_ms"] >= 0 and done["result"]["plan"]["steps"]
        img = done["result"]["images"][0]
        content = c.get(f"/v1/files/{img['file_id']}/content")
        assert content.status_code == 200 and decode(content.content).size == (64, 48)
        assert httpx.get(img["url"]).content == content.content  # signed URL without a key
        res = c.get(f"/v1/jobs/{job['id']}/result").json()
        assert base64.b64decode(res["data"][0]["b64_json"]) == content.content
        assert res["usage"]["output_tokens"] > 0


def test_prefer_wait_and_sync_mode(server: Server, key: str) -> None:
    with server.client(key) as c:
        r = c.post("/v1/jobs", json=_job(), headers={"prefer": "wait=30"})
        assert r.status_code == 200 and r.json()["status"] == "succeeded"
        assert r.headers["preference-applied"] == "wait=30"
        r = c.post("/v1/jobs", json=_job(sync_mode=True))
        assert r.status_code == 200 and r.json()["status"] == "succeeded"


def test_batch_mode_edits_each_image(server: Server, key: str) -> None:
    images = [png(40, 30, seed=1), png(50, 50, seed=2), png(30, 60, seed=3)]
    with server.client(key) as c:
        job = c.post("/v1/jobs", json=_job(images, mode="batch"), headers={"prefer": "wait=60"}).json()
        assert job["status"] == "succeeded", job
        outs = job["result"]["images"]
        assert [o["input_index"] for o in outs] == [0, 1, 2]
        assert [o["size"] for o in outs] == ["40x30", "50x50", "30x60"]
        assert job["result"]["failures"] == []


def _flat_png(width: int = 48, height: int = 40) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (128, 128, 128)).save(buf, "PNG")
    return buf.getvalue()


def test_a_batch_goes_on_past_an_image_that_fails_and_charges_only_the_rest(server: Server) -> None:
    k = server.new_key(credits=100_000)
    # a flat gray image has no subject to cut out; the two photo-like ones do
    images = [png(64, 48, seed=1), _flat_png(), png(64, 48, seed=2)]
    prompt = "remove the background"
    with server.client(k["key"]) as c:
        two = c.post(
            "/v1/estimates", json={"prompt": prompt, "image_sizes": ["64x48", "64x48"], "mode": "batch"}
        ).json()["credits"]
        job = c.post(
            "/v1/jobs", json=_job(images, mode="batch", prompt=prompt), headers={"prefer": "wait=60"}
        ).json()
        assert job["status"] == "succeeded", job
        assert [o["input_index"] for o in job["result"]["images"]] == [0, 2]
        [failure] = job["result"]["failures"]
        assert failure["input_index"] == 1 and "subject" in failure["error"]["message"]
        assert job["estimate"]["credits"] > job["charged_credits"] == two
        for o in job["result"]["images"]:
            cut = decode(c.get(f"/v1/files/{o['file_id']}/content").content)
            assert cut.mode == "RGBA" and cut.getextrema()[3][0] == 0  # really cut out
        bal = c.get("/v1/balance").json()
    assert (bal["available"], bal["held"]) == (100_000 - two, 0)


def test_a_batch_where_every_image_fails_fails_and_charges_nothing(server: Server) -> None:
    k = server.new_key(credits=100_000)
    with server.client(k["key"]) as c:
        job = c.post(
            "/v1/jobs",
            json=_job([_flat_png(), _flat_png(32, 32)], mode="batch", prompt="remove the background"),
            headers={"prefer": "wait=60"},
        ).json()
        assert job["status"] == "failed" and "subject" in job["error"]["message"]
        assert job["charged_credits"] == 0
        assert c.get("/v1/balance").json()["available"] == 100_000


def test_list_paginates_newest_first(server: Server) -> None:
    k = server.new_key()["key"]
    with server.client(k) as c:
        ids = [c.post("/v1/jobs", json=_job()).json()["id"] for _ in range(5)]
        page1 = c.get("/v1/jobs", params={"limit": 2}).json()
        assert [j["id"] for j in page1["data"]] == ids[::-1][:2] and page1["has_more"] is True
        page2 = c.get("/v1/jobs", params={"limit": 2, "after": page1["last_id"]}).json()
        page3 = c.get("/v1/jobs", params={"limit": 2, "after": page2["last_id"]}).json()
        assert [j["id"] for j in page2["data"] + page3["data"]] == ids[::-1][2:] and page3[
            "has_more"
        ] is False
        for i in ids:
            wait_done(c, i)


def test_jobs_are_private_to_their_account(server: Server, key: str) -> None:
    other = server.new_key()["key"]
    with server.client(key) as c:
        job = c.post("/v1/jobs", json=_job()).json()
    with server.client(other) as c:
        assert c.get(f"/v1/jobs/{job['id']}").status_code == 404
        assert c.post(f"/v1/jobs/{job['id']}/cancel").status_code == 404


def test_cancel_queued_and_running_jobs_release_holds(solo_server: Server) -> None:
    # One worker, busy with a batch: the next job stays queued long enough to cancel.
    srv = solo_server
    k = srv.new_key(credits=10_000_000)
    with srv.client(k["key"]) as c:
        before = c.get("/v1/balance").json()["available"]
        blocker = c.post(
            "/v1/jobs", json=_job([png(512, 512, seed=i) for i in range(3)], mode="batch", quality="high")
        ).json()
        queued = c.post("/v1/jobs", json=_job()).json()
        got = c.get(f"/v1/jobs/{queued['id']}").json()
        assert got["status"] == "queued" and got["queue_position"] == 1
        canceled = c.post(f"/v1/jobs/{queued['id']}/cancel").json()
        assert canceled["status"] == "canceled" and canceled["charged_credits"] == 0
        # cancel the running one too: it stops at its next progress report, hold released
        c.post(f"/v1/jobs/{blocker['id']}/cancel")
        assert wait_done(c, blocker["id"])["status"] in ("canceled", "succeeded")
        after = c.get("/v1/balance").json()
        assert after["held"] == 0
        charged = sum(j["charged_credits"] for j in c.get("/v1/jobs").json()["data"])
        assert after["available"] == before - charged


def test_sse_events_stream_progress_to_the_end(server: Server, key: str) -> None:
    with server.client(key) as c:
        job = c.post("/v1/jobs", json=_job([png(256, 256)])).json()
        events = []
        with c.stream("GET", f"/v1/jobs/{job['id']}/events") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            name = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[6:])))
    assert events[0][0] == "job.status"
    assert events[-1][0] == "job.succeeded" and events[-1][1]["result"]["images"]
    assert all(n in ("job.status", "job.progress", "job.succeeded") for n, _ in events)


def test_idempotency_key_stripe_semantics(server: Server, key: str) -> None:
    body = _job()
    with server.client(key) as c:
        h = {"idempotency-key": "order-1"}
        first = c.post("/v1/jobs", json=body, headers=h)
        again = c.post("/v1/jobs", json=body, headers=h)
        assert first.status_code == 202 and again.status_code == 202
        assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
        other = c.post("/v1/jobs", json={**body, "prompt": "make it warmer"}, headers=h)
        assert other.status_code == 400 and other.json()["error"]["code"] == "idempotency_key_reused"
        # a request that failed validation stores nothing: the key can be used again
        bad = c.post("/v1/jobs", json={**body, "size": "nonsense"}, headers={"idempotency-key": "order-2"})
        assert bad.status_code == 400
        ok = c.post("/v1/jobs", json=body, headers={"idempotency-key": "order-2"})
        assert ok.status_code == 202
        wait_done(c, first.json()["id"])
        wait_done(c, ok.json()["id"])
        # only two jobs were created (and charged) for three successful responses
        ids = {j["id"] for j in c.get("/v1/jobs", params={"limit": 100}).json()["data"]}
        assert first.json()["id"] in ids and ok.json()["id"] in ids


def test_concurrent_idempotent_retries_create_one_job(server: Server) -> None:
    k = server.new_key()["key"]
    results: list[httpx.Response] = []

    def go() -> None:
        with server.client(k) as c:
            results.append(c.post("/v1/jobs", json=_job(), headers={"idempotency-key": "same"}))

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if r.status_code == 202]
    assert ok and all(r.status_code in (202, 409) for r in results)
    assert len({r.json()["id"] for r in ok}) == 1
    with server.client(k) as c:
        assert len(c.get("/v1/jobs").json()["data"]) == 1


def test_job_errors(server: Server, key: str) -> None:
    with server.client(key) as c:
        r = c.post("/v1/jobs", json={"images": [], "prompt": "x"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "images"
        r = c.post("/v1/jobs", json=_job(prompt="add a unicorn on the left"))
        assert r.status_code == 400 and r.json()["error"]["code"] == "unsupported_instruction"
        r = c.post("/v1/jobs", json={"images": ["file-nope"], "prompt": "brighten"})
        assert r.status_code == 404
        r = c.post("/v1/jobs", json={"images": ["not a url"], "prompt": "brighten"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "images[0]"
        r = c.post("/v1/jobs", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
        r = c.get("/v1/jobs", params={"limit": 1000})
        assert r.status_code == 400 and r.json()["error"]["param"] == "limit"


def test_concurrent_jobs_limit(server: Server) -> None:
    k = server.new_key(tier="onejob")["key"]
    with server.client(k) as c:
        first = c.post("/v1/jobs", json=_job([png(1024, 1024)], quality="high"))
        second = c.post("/v1/jobs", json=_job())
        assert first.status_code == 202
        if second.status_code == 429:
            assert second.json()["error"]["code"] == "concurrency_limit_exceeded"
            assert second.headers["retry-after"]
        wait_done(c, first.json()["id"])


def test_files_api(server: Server, key: str) -> None:
    with server.client(key) as c:
        up = c.post("/v1/files", files={"file": ("x.jpg", png(fmt="JPEG"), "image/jpeg")}).json()
        assert up["object"] == "file" and up["content_type"] == "image/jpeg" and up["expires_at"]
        assert c.get(f"/v1/files/{up['id']}").json()["id"] == up["id"]
        assert up["id"] in [f["id"] for f in c.get("/v1/files").json()["data"]]
        assert c.delete(f"/v1/files/{up['id']}").json()["deleted"] is True
        assert c.get(f"/v1/files/{up['id']}").status_code == 404
        bad = c.post("/v1/files", files={"file": ("x.txt", b"text", "text/plain")})
        assert bad.status_code == 415


@pytest.mark.parametrize("wait", ["wait=0", "respond-async"])
def test_prefer_without_wait_returns_202(server: Server, key: str, wait: str) -> None:
    with server.client(key) as c:
        r = c.post("/v1/jobs", json=_job(), headers={"prefer": wait})
        assert r.status_code == 202
        wait_done(c, r.json()["id"])
