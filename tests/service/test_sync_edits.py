"""Sync edits (/v1/images/edits) run through the job runner: a job row with the same result
document as a queued job, Idempotency-Key as on /v1/jobs, results retrievable afterwards,
and no charge for a client that left before its response started (issue 11, defect 2)."""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path

import httpx
import openai
import pytest

from retouch.service.container import Services, build_services
from retouch.service.errors import ApiError
from retouch.service.idempotency import Replay
from retouch.service.inputs import probe
from retouch.service.params import parse_options
from retouch.service.settings import ServiceSettings

from .helpers import Server, data_url, decode, png

PROMPT = "increase the contrast by 20% and add a subtle vignette"
#: Most of a second of engine work on a 1024² image (one step, here): a client with a 0.15 s
#: timeout always gives up first.
SLOW = {"prompt": "denoise it", "quality": "high"}
TIMEOUT = 0.15


def _ledger(c: httpx.Client) -> list[dict]:
    return c.get("/v1/statements").json()["entries"]


def _settled(c: httpx.Client, timeout: float = 60) -> list[dict]:
    """This key's jobs once none is running any more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = c.get("/v1/jobs").json()["data"]
        if all(j["status"] not in ("queued", "running") for j in jobs):
            return jobs
        time.sleep(0.1)
    raise AssertionError("jobs still running")


def test_a_sync_edit_is_a_job_with_the_queued_jobs_result_document(server: Server, key: str) -> None:
    client = server.openai(key)
    raw = client.images.with_raw_response.edit(image=("p.png", png(64, 48), "image/png"), prompt=PROMPT)
    edited = base64.b64decode(raw.parse().data[0].b64_json)
    job_id = raw.headers["x-retouch-job-id"]
    with server.client(key) as c:
        job = c.get(f"/v1/jobs/{job_id}").json()
        queued = c.post(
            "/v1/jobs", json={"images": [data_url(png(64, 48))], "prompt": PROMPT}, headers={"Prefer": "wait=60"}
        ).json()
        again = c.get(f"/v1/jobs/{job_id}/result").json()
        urls = c.get(f"/v1/jobs/{job_id}/result", params={"response_format": "url"}).json()
    assert job["status"] == queued["status"] == "succeeded"
    assert set(job["result"]) == set(queued["result"])  # the same document
    assert set(job["result"]["images"][0]) == set(queued["result"]["images"][0])
    image = job["result"]["images"][0]
    assert image["input_index"] == 0 and image["bytes"] == len(edited) and image["size"] == "64x48"
    assert job["charged_credits"] == int(raw.headers["x-retouch-credits-charged"]) > 0
    # what was paid for can be fetched again, as base64 or as a signed link
    assert base64.b64decode(again["data"][0]["b64_json"]) == edited
    assert httpx.get(urls["data"][0]["url"]).content == edited


def test_idempotency_key_replays_a_sync_edit_and_charges_once(server: Server) -> None:
    k = server.new_key(credits=1_000_000)
    client = server.openai(k["key"])
    idem = {"Idempotency-Key": f"edit-{uuid.uuid4()}"}
    image = ("p.png", png(64, 48, seed=3), "image/png")
    first = client.images.with_raw_response.edit(image=image, prompt=PROMPT, extra_headers=idem)
    # the SDK builds a new multipart body (another boundary) for the retry: still the same request
    second = client.images.with_raw_response.edit(image=image, prompt=PROMPT, extra_headers=idem)
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["x-retouch-job-id"] == first.headers["x-retouch-job-id"]
    assert second.parse().data[0].b64_json == first.parse().data[0].b64_json
    assert second.parse().usage == first.parse().usage
    with pytest.raises(openai.BadRequestError) as e:  # the same key for another request
        client.images.edit(image=image, prompt="make it warmer", extra_headers=idem)
    assert e.value.body["code"] == "idempotency_key_reused"
    with server.client(k["key"]) as c:
        kinds = sorted(x["kind"] for x in _ledger(c))
        jobs = c.get("/v1/jobs").json()["data"]
    assert kinds == ["capture", "grant", "hold", "release"] and len(jobs) == 1


def test_idempotency_key_replays_a_streamed_edit(server: Server, key: str) -> None:
    client = server.openai(key)
    idem = {"Idempotency-Key": f"stream-{uuid.uuid4()}"}
    args = {"image": ("p.png", png(), "image/png"), "prompt": "make it warmer", "stream": True}
    first = [e for e in client.images.edit(**args, extra_headers=idem) if e.type == "image_edit.completed"]
    again = list(client.images.edit(**args, extra_headers=idem))
    assert [e.type for e in again] == ["image_edit.completed"]
    assert again[0].b64_json == first[0].b64_json and again[0].usage == first[0].usage


def test_a_client_that_gives_up_is_not_charged_even_with_the_sdks_retries(server: Server) -> None:
    # Before: three attempts of one logical call (the SDK's default 2 retries) were all charged,
    # and the caller received nothing.
    k = server.new_key(credits=10_000_000)
    impatient = openai.OpenAI(base_url=server.base_url + "/v1", api_key=k["key"], max_retries=2, timeout=TIMEOUT)
    big = png(1024, 1024, seed=11)
    with pytest.raises(openai.APITimeoutError):
        impatient.images.edit(image=("p.png", big, "image/png"), **SLOW)
    with server.client(k["key"]) as c:
        jobs = _settled(c)
        bal = c.get("/v1/balance").json()
        kinds = [x["kind"] for x in _ledger(c)]
    assert (bal["available"], bal["held"]) == (10_000_000, 0)
    assert "capture" not in kinds
    assert jobs and all(j["status"] == "canceled" for j in jobs)
    assert all(j["error"]["code"] == "client_disconnected" for j in jobs)


def test_retries_with_an_idempotency_key_deliver_once_and_charge_once(server: Server) -> None:
    k = server.new_key(credits=10_000_000)
    idem = {"Idempotency-Key": f"slow-{uuid.uuid4()}"}
    big = ("p.png", png(1024, 1024, seed=12), "image/png")
    impatient = openai.OpenAI(base_url=server.base_url + "/v1", api_key=k["key"], max_retries=2, timeout=TIMEOUT)
    with pytest.raises((openai.APITimeoutError, openai.ConflictError)):
        impatient.images.edit(image=big, **SLOW, extra_headers=idem)
    with server.client(k["key"]) as c:
        _settled(c)
    patient = server.openai(k["key"], timeout=120)
    deadline = time.monotonic() + 60
    while True:  # the last abandoned attempt may still be stopping: 409 until it has
        try:
            done = patient.images.with_raw_response.edit(image=big, **SLOW, extra_headers=idem)
            break
        except openai.ConflictError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    replay = patient.images.with_raw_response.edit(image=big, **SLOW, extra_headers=idem)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.parse().data[0].b64_json == done.parse().data[0].b64_json
    with server.client(k["key"]) as c:
        jobs = _settled(c)
        captures = [x for x in _ledger(c) if x["kind"] == "capture"]
        bal = c.get("/v1/balance").json()
    assert [x["job_id"] for x in captures] == [done.headers["x-retouch-job-id"]]
    assert bal["available"] == 10_000_000 + captures[0]["amount"] and bal["held"] == 0
    assert sum(j["status"] == "succeeded" for j in jobs) == 1


def test_a_stream_whose_client_leaves_is_not_charged(server: Server) -> None:
    k = server.new_key(credits=10_000_000)
    client = server.openai(k["key"], timeout=60)
    stream = client.images.edit(
        image=("p.png", png(1024, 1024, seed=13), "image/png"), stream=True, partial_images=1, **SLOW
    )
    stream.response.close()  # hang up after the status line, before any image
    with server.client(k["key"]) as c:
        jobs = _settled(c)
        bal = c.get("/v1/balance").json()
    assert [j["status"] for j in jobs] == ["canceled"] and jobs[0]["error"]["code"] == "client_disconnected"
    assert (bal["available"], bal["held"]) == (10_000_000, 0)


# ---- the idempotency record of a request that died


@pytest.fixture
def services(tmp_path: Path) -> Services:
    svc = build_services(ServiceSettings(data_dir=tmp_path, bootstrap_admin=False, login_link=False))
    from retouch.service.migrate import upgrade

    upgrade(svc.db)
    return svc


def test_a_key_whose_edit_died_can_be_used_again(services: Services) -> None:
    created = services.keys.create(name="t", credits=10**6)
    p = services.keys.verify(created.secret)
    assert p is not None
    store = services.idempotency
    spec = services.edits.prepare(
        parse_options({"prompt": "brighten slightly"}), [probe(png(), param="image", max_bytes=1 << 20)], None
    )
    first = store.begin(p.key_id, "k1", "/v1/images/edits", "fp", job_id="job_first")
    assert isinstance(first, int)
    with pytest.raises(ApiError) as e:  # its job does not exist yet: the first is still preparing
        store.begin(p.key_id, "k1", "/v1/images/edits", "fp", job_id="job_second")
    assert e.value.status == 409
    services.edits.open_job(p, spec, origin="inline", worker_id="w", job_id="job_first")
    with pytest.raises(ApiError):  # running
        store.begin(p.key_id, "k1", "/v1/images/edits", "fp", job_id="job_second")
    # the server died under it: recovery failed the job and released its hold
    services.edits.finish_unsuccessfully("job_first", "failed", {"code": "interrupted"}, worker_id="w")
    second = store.begin(p.key_id, "k1", "/v1/images/edits", "fp", job_id="job_second")
    assert second == first  # taken over
    store.complete(second, 200, '{"job_id": "job_second"}')
    assert store.begin(p.key_id, "k1", "/v1/images/edits", "fp") == Replay(200, '{"job_id": "job_second"}')
    services.db.dispose()


def test_outputs_of_a_sync_edit_decode(server: Server, key: str) -> None:
    r = server.openai(key).images.with_raw_response.edit(
        image=("p.png", png(64, 48), "image/png"), prompt=PROMPT, response_format="url"
    )
    url = r.parse().data[0].url
    assert url and decode(httpx.get(url).content).size == (64, 48)


def test_a_store_that_cannot_write_fails_the_edit_at_once_and_shows_in_readiness(server: Server) -> None:
    # Issue 11, defect 6: the hold stayed for ~150 s, then the job was failed as "the server
    # stopped", and /readyz kept saying ready.
    k = server.new_key(credits=1_000_000)
    blobs = server.data_dir / "blobs"
    aside = server.data_dir / "blobs.aside"
    blobs.rename(aside)
    blobs.write_text("not a directory: nothing can be written under it")
    try:
        with pytest.raises(openai.APIStatusError) as e:
            server.openai(k["key"]).images.edit(image=("p.png", png(), "image/png"), prompt=PROMPT)
        assert e.value.status_code == 503 and e.value.body["code"] == "storage_unavailable"
        with server.client(k["key"]) as c:
            jobs = c.get("/v1/jobs").json()["data"]
            bal = c.get("/v1/balance").json()
            ready = c.get("/readyz")
        assert [(j["status"], j["error"]["code"]) for j in jobs] == [("failed", "storage_unavailable")]
        assert (bal["available"], bal["held"]) == (1_000_000, 0)
        assert ready.status_code == 503 and ready.json()["checks"]["storage"].startswith("not writable")
    finally:
        blobs.unlink()
        aside.rename(blobs)
    assert httpx.get(server.base_url + "/readyz").json()["checks"]["storage"] == "ok"
