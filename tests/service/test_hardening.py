"""What a fault and abuse campaign found (issue 11): each test reproduced its defect first.

Defect 1: text that is not text (lone surrogates); 3: the `model` field as a server path;
4: parse errors that were 500s; 7: the lesser ones (headers, 413, a job id oracle, stalled
uploads, a 400 that should be a 403)."""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path

import httpx
import openai
import pytest
from sqlalchemy import update

from retouch.service.db import Database
from retouch.service.models import Job
from retouch.service.settings import load_settings

from .helpers import Server, data_url, png

LONE = '"\\ud800"'  # JSON text for a lone UTF-16 surrogate: valid JSON, not valid text


def _post_raw(c: httpx.Client, path: str, text: str) -> httpx.Response:
    return c.post(path, content=text.encode(), headers={"content-type": "application/json"})


def _error(r: httpx.Response) -> dict:
    assert set(r.json()) == {"error"}, r.text
    err = r.json()["error"]
    assert {"message", "type", "param", "code"} <= set(err)
    return err


# ---- defect 1: lone surrogates


def test_lone_surrogates_are_refused_in_every_json_text_field(server: Server) -> None:
    k = server.new_key(credits=100_000)
    image = json.dumps(data_url(png()))
    bodies = {
        "/v1/jobs": [
            f'{{"images": [{image}], "prompt": "brighten", "metadata": {{"note": {LONE}}}}}',
            f'{{"images": [{image}], "prompt": {LONE}}}',
            f'{{"images": [{image}], "prompt": "brighten", "metadata": {{{LONE}: "x"}}}}',
        ],
        "/v1/images/edits": [f'{{"images": [{{"image_url": {image}}}], "prompt": {LONE}}}'],
        "/v1/estimates": [f'{{"prompt": {LONE}, "image_sizes": ["64x48"]}}'],
    }
    with server.client(k["key"]) as c:
        for path, texts in bodies.items():
            for text in texts:
                r = _post_raw(c, path, text)
                assert r.status_code == 400, (path, r.text)
                assert "surrogate" in _error(r)["message"]
        assert c.get("/v1/jobs").json()["data"] == []  # nothing was created
        assert c.get("/v1/balance").json() == {
            "object": "balance", "account_id": k["account_id"], "available": 100_000, "held": 0
        }
    with server.client() as admin:
        r = _post_raw(admin, "/v1/admin/keys", f'{{"name": {LONE}}}')
        assert r.status_code == 400 and _error(r)["param"] == "name"
    # a real pair (an emoji written as two escapes) is text, and comes back as it went in
    with server.client(k["key"]) as c:
        pair = '"\\ud83d\\ude00"'
        r = _post_raw(c, "/v1/jobs", f'{{"images": [{image}], "prompt": "brighten", "metadata": {{"m": {pair}}}}}')
        assert r.status_code == 202, r.text
        assert c.get(f"/v1/jobs/{r.json()['id']}").json()["metadata"] == {"m": "😀"}


def test_a_stored_lone_surrogate_does_not_break_job_listing(server: Server) -> None:
    # Rows written before the edge refused such text: listing returned 500 for the account
    # (and for every admin listing all accounts) from then on.
    k = server.new_key(credits=100_000)
    with server.client(k["key"]) as c:
        job = c.post("/v1/jobs", json={"images": [data_url(png())], "prompt": "brighten slightly"}).json()
    settings = load_settings(server.config_path, data_dir=str(server.data_dir), database_url=server.database_url)
    db = Database(settings.resolved_database_url, pool_size=1)
    with db.write() as s:
        s.execute(update(Job).where(Job.id == job["id"]).values(meta={"note": "bad \ud800 text"}))
    db.dispose()
    with server.client(k["key"]) as c:
        listed = c.get("/v1/jobs")
        one = c.get(f"/v1/jobs/{job['id']}")
    with server.client() as admin:
        everyone = admin.get("/v1/jobs", params={"all": "true", "limit": 100})
    assert listed.status_code == one.status_code == everyone.status_code == 200
    assert one.json()["metadata"] == {"note": "bad \ufffd text"}
    assert listed.json()["data"][0]["metadata"] == {"note": "bad \ufffd text"}


# ---- defect 3: the model field names models, never places


def test_model_names_are_not_paths(server: Server, key: str, tmp_path: Path) -> None:
    # a folder that looks like diffusers weights: the engine used to claim it and load from it
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionInstructPix2PixPipeline"}))
    client = server.openai(key)
    for model in (str(weights), f"diffusers:{weights}", "../../etc", "x" * 300, "/" + "a" * 300):
        with pytest.raises(openai.BadRequestError) as e:
            client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly", model=model)
        assert e.value.body["param"] == "model", model
        with server.client(key) as c:  # the same on the other endpoints that take a model
            for path, body in (
                ("/v1/estimates", {"prompt": "brighten", "image_sizes": ["64x48"], "model": model}),
                ("/v1/jobs", {"images": [data_url(png())], "prompt": "brighten", "model": model}),
            ):
                r = c.post(path, json=body)
                assert r.status_code == 400 and _error(r)["param"] == "model", (path, model, r.text)


def test_an_engine_that_cannot_run_here_is_503_engine_unavailable(server: Server, key: str) -> None:
    # diffusers is installed in the test environment but has no weights; openai has no API key
    client = server.openai(key)
    for model in ("diffusers", "instruct-pix2pix", "gpt-image-1"):
        with pytest.raises(openai.APIStatusError) as e:
            client.images.edit(image=("p.png", png(), "image/png"), prompt="add a hat", model=model)
        assert e.value.status_code == 503 and e.value.body["code"] == "engine_unavailable", model
        assert e.value.response.headers["x-should-retry"] == "false"
    with server.client(key) as c:
        r = c.post("/v1/jobs", json={"images": [data_url(png())], "prompt": "add a hat", "model": "diffusers"})
        assert r.status_code == 503 and _error(r)["code"] == "engine_unavailable"
        assert c.get("/v1/jobs").json()["data"] == []


# ---- defect 4: parse errors are 400s in OpenAI's shape


@pytest.mark.parametrize(
    "size", ["1" * 400 + ":1", "1:" + "9" * 400, "0.0000001:1", "9" * 5000 + "x16", "inf:1", "nan:nan"]
)
def test_absurd_sizes_are_400(server: Server, key: str, size: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        server.openai(key).images.edit(image=("p.png", png(), "image/png"), prompt="brighten", size=size)
    assert e.value.body["param"] == "size" and len(e.value.body["message"]) < 300
    with server.client(key) as c:
        r = c.post("/v1/estimates", json={"prompt": "brighten", "image_sizes": ["64x48"], "size": size})
        assert r.status_code == 400 and _error(r)["param"] == "size"


@pytest.mark.parametrize("path", ["/v1/images/edits", "/v1/jobs", "/v1/estimates", "/v1/admin/keys"])
def test_deeply_nested_json_is_400(server: Server, path: str) -> None:
    with server.client() as c:
        for depth in (100_000, 40):
            r = _post_raw(c, path, "[" * depth + "]" * depth)
            assert r.status_code == 400 and _error(r)["code"] == "invalid_json", (path, depth, r.text)


def test_a_signature_with_non_ascii_is_403(server: Server) -> None:
    r = httpx.get(server.base_url + "/v1/files/x/content?expires=99999999999&signature=%C3%A9")
    assert r.status_code == 403 and _error(r)["code"] == "invalid_signature"


def test_a_session_cookie_with_non_ascii_is_401(server: Server) -> None:
    cookie = "retouch_session=key_x.9999999999.\xe9t\xe9".encode("latin-1")
    r = httpx.get(server.base_url + "/v1/me", headers={"cookie": cookie})
    assert r.status_code == 401 and _error(r)["code"] == "missing_api_key"


def test_statements_at_the_edge_of_the_calendar(server: Server, key: str) -> None:
    with server.client(key) as c:
        for params in ({"end": "9999-12-31"}, {"start": "0001-01-01", "end": "9999-12-31"}):
            r = c.get("/v1/statements", params=params)
            assert r.status_code == 200, r.text
            assert r.json()["closing_balance"] == c.get("/v1/balance").json()["available"]
        r = c.get("/v1/statements", params={"end": "10000-01-01"})
        assert r.status_code == 400 and _error(r)["param"] == "end"


# ---- defect 7: the lesser ones


def test_a_429_sends_each_rate_limit_header_once(server: Server) -> None:
    k = server.new_key(tier="fewimages")
    client = server.openai(k["key"])
    client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly", n=3)
    with pytest.raises(openai.RateLimitError) as e:
        client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly", n=2)
    headers = e.value.response.headers
    for name in ("limit", "remaining", "reset"):
        for kind in ("images", "requests"):
            assert len(headers.get_list(f"x-ratelimit-{name}-{kind}")) == 1, (name, kind)
    assert headers["x-ratelimit-remaining-images"] == "1"


def test_an_oversized_body_is_a_json_413_not_a_crash(open_server: Server) -> None:
    # open_server: max_image_bytes 300 000, so bodies over 16 x 400 000 + 8 MiB are refused
    limit = 16 * 300_000 * 4 // 3 + (8 << 20)
    big = b'{"images": ["' + b"A" * (limit + 10) + b'"], "prompt": "x"}'
    with open_server.client() as c:
        declared = c.post("/v1/jobs", content=big, headers={"content-type": "application/json"})
        streamed = c.post(
            "/v1/jobs",
            content=(big[i : i + (1 << 20)] for i in range(0, len(big), 1 << 20)),  # chunked: no length
            headers={"content-type": "application/json"},
        )
    for r in (declared, streamed):
        assert r.status_code == 413 and _error(r)["code"] == "request_too_large", r.text[:200]
    assert "unhandled error" not in open_server.log()


def test_after_does_not_reveal_other_accounts_jobs(server: Server) -> None:
    alice, bob = server.new_key(), server.new_key()
    with server.client(alice["key"]) as c:
        job = c.post("/v1/jobs", json={"images": [data_url(png())], "prompt": "brighten slightly"}).json()
    with server.client(bob["key"]) as c:
        theirs = c.get("/v1/jobs", params={"after": job["id"]})
        nobodys = c.get("/v1/jobs", params={"after": "job_" + uuid.uuid4().hex[:24]})
    assert theirs.status_code == nobodys.status_code == 404
    assert _error(theirs)["message"].replace(job["id"], "ID") == _error(nobodys)["message"].replace(
        nobodys.request.url.params["after"], "ID"
    )


def test_a_stalled_upload_is_timed_out(open_server: Server) -> None:
    # open_server: body_timeout_s = 2
    key = open_server.new_key()["key"]
    with socket.create_connection(("127.0.0.1", open_server.port), timeout=30) as sock:
        head = (
            "POST /v1/jobs HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            f"authorization: Bearer {key}\r\ncontent-length: 100000\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"images": ["data:')
        t = time.monotonic()
        received = b""
        while b"}}" not in received and (chunk := sock.recv(65536)):  # (the server closes after it)
            received += chunk
        waited = time.monotonic() - t
        answer = received.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 408"), answer[:200]
    assert '"request_timeout"' in answer and 1.5 < waited < 15


def test_usage_of_another_account_is_403(server: Server, key: str) -> None:
    other = server.new_key()
    with server.client(key) as c:
        for path in ("/v1/usage", "/v1/statements"):
            r = c.get(path, params={"account_id": other["account_id"]})
            assert r.status_code == 403 and _error(r)["code"] == "insufficient_scope", path


# ---- one multipart parser (python-multipart): the same request means the same at any size


def test_an_image_part_means_the_same_with_or_without_a_filename_at_any_size(server: Server, key: str) -> None:
    # api/multipart.py took an image/png part without a filename for a file below 64 MB and
    # python-multipart for text above: the same request was accepted small and refused large.
    # Now the endpoint names its file fields: `image` and `mask` are files however they come.
    small, large = png(64, 48), png(800, 800, seed=5)
    assert len(large) > (1 << 20)  # past the limit for text fields
    with server.client(key) as c:
        for image in (small, large):
            for filename in (None, "p.png"):
                r = c.post(
                    "/v1/images/edits",
                    files={"image": (filename, image, "image/png"), "prompt": (None, "brighten slightly")},
                )
                assert r.status_code == 200, (len(image), filename, r.text[:300])
        long_prompt = (None, "x" * (2 << 20))
        r = c.post("/v1/images/edits", files={"image": ("p.png", small, "image/png"), "prompt": long_prompt})
        assert r.status_code == 400 and _error(r)["param"] == "prompt"  # a text field has its limit


def test_a_truncated_multipart_body_is_400(server: Server, key: str) -> None:
    req = httpx.Request(
        "POST", server.base_url + "/v1/images/edits",
        files={"image": ("p.png", png(), "image/png")}, data={"prompt": "brighten"},
    )
    body = req.read()
    with server.client(key) as c:
        r = c.post("/v1/images/edits", content=body[: len(body) // 2],
                   headers={"content-type": req.headers["content-type"]})
    assert r.status_code == 400 and _error(r)["code"] == "invalid_body", r.text
