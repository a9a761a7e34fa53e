"""The `after` extension field: a follow-up ("a bit less", "undo the vignette") to a job's edit, over
HTTP with the official openai SDK (extra_body) and plain JSON, against a real server."""

from __future__ import annotations

import base64

import numpy as np
import openai
import pytest

from .helpers import Server, data_url, decode, png
from .test_api_jobs import wait_done


def _err(exc: openai.APIStatusError) -> dict:
    body = exc.body if isinstance(exc.body, dict) else {}
    return body.get("error", body)


def _arr(data: bytes) -> np.ndarray:
    return np.asarray(decode(data).convert("RGB"), dtype=np.float64)


def _b64(b64: str | None) -> np.ndarray:
    assert b64
    return _arr(base64.b64decode(b64))


def lum_std(rgb: np.ndarray) -> float:
    return float((rgb @ [0.299, 0.587, 0.114]).std())


def corners(rgb: np.ndarray, k: int = 6) -> float:
    """Mean luminance of the four k×k corners."""
    lum = rgb @ [0.299, 0.587, 0.114]
    return float(np.mean([lum[:k, :k], lum[:k, -k:], lum[-k:, :k], lum[-k:, -k:]]))


def test_sdk_a_bit_less_after_a_contrast_edit_is_less_contrast_of_the_original(server: Server, key: str) -> None:
    client = server.openai(key)
    src = ("photo.png", png(64, 48, seed=11), "image/png")
    raw = client.images.with_raw_response.edit(image=src, prompt="increase the contrast by 40%")
    job_id = raw.headers["x-retouch-job-id"]
    v1 = _b64(raw.parse().data[0].b64_json)
    # the image sent with `after` is the job's input (the original), not its output
    v2 = _b64(client.images.edit(image=src, prompt="a bit less", extra_body={"after": job_id}).data[0].b64_json)
    typed = _b64(client.images.edit(image=src, prompt="increase the contrast by 20%").data[0].b64_json)
    s0, s1, s2 = lum_std(_arr(src[1])), lum_std(v1), lum_std(v2)
    assert s0 < s2 < s1 and (s2 - s0) < 0.7 * (s1 - s0), (s0, s1, s2)
    assert np.array_equal(v2, typed)


def test_jobs_follow_up_without_images_runs_on_the_stored_inputs(server: Server, key: str) -> None:
    src = png(64, 48, seed=12)
    with server.client(key) as c:
        first = c.post(
            "/v1/jobs", json={"images": [data_url(src)], "prompt": "add a strong vignette and make it warmer"}
        )
        assert first.status_code == 202, first.text
        job1 = wait_done(c, first.json()["id"])
        assert job1["status"] == "succeeded", job1
        r = c.post("/v1/jobs", json={"after": job1["id"], "prompt": "undo the vignette"})
        assert r.status_code == 202, r.text
        job2 = wait_done(c, r.json()["id"])
        assert job2["status"] == "succeeded", job2
        assert [s["op"] for s in job2["result"]["plan"]["steps"]] == ["temperature"]
        assert any("vignette" in n and "removed" in n for n in job2["result"]["plan"]["notes"])
        out1 = _arr(c.get(f"/v1/files/{job1['result']['images'][0]['file_id']}/content").content)
        out2 = _arr(c.get(f"/v1/files/{job2['result']['images'][0]['file_id']}/content").content)
        # the same follow-up through /v1/images/edits (JSON, no images): the stored inputs again
        r = c.post("/v1/images/edits", json={"after": job1["id"], "prompt": "undo the vignette"})
        assert r.status_code == 200, r.text
        assert np.array_equal(_b64(r.json()["data"][0]["b64_json"]), out2)
    warm = _b64(
        server.openai(key).images.edit(image=("p.png", src, "image/png"), prompt="make it warmer").data[0].b64_json
    )
    assert np.array_equal(out2, warm)
    assert corners(out1) < corners(_arr(src)) - 10  # the vignette darkened the corners...
    assert abs(corners(out2) - corners(warm)) < 1e-9  # ...and undoing it restores them


def test_after_an_inline_edit_needs_the_image_again(server: Server, key: str) -> None:
    client = server.openai(key)
    raw = client.images.with_raw_response.edit(image=("p.png", png(seed=13), "image/png"), prompt="add a vignette")
    with server.client(key) as c:
        r = c.post("/v1/images/edits", json={"after": raw.headers["x-retouch-job-id"], "prompt": "a bit less"})
    err = r.json()["error"]
    assert r.status_code == 400 and err["param"] == "image" and "kept no inputs" in err["message"], r.text


def test_another_accounts_job_is_as_absent_as_a_missing_one(server: Server, key: str) -> None:
    client = server.openai(key)
    raw = client.images.with_raw_response.edit(image=("p.png", png(seed=14), "image/png"), prompt="add a vignette")
    job_id = raw.headers["x-retouch-job-id"]
    stranger = server.openai(server.new_key()["key"]).with_options(max_retries=0)
    answers = []
    for ident in (job_id, "job_" + "0" * 24):
        with pytest.raises(openai.NotFoundError) as e:
            stranger.images.edit(
                image=("p.png", png(seed=14), "image/png"), prompt="a bit less", extra_body={"after": ident}
            )
        err = _err(e.value)
        answers.append((e.value.status_code, err["code"], err["param"], err["message"].replace(ident, "ID")))
    assert answers[0] == answers[1] == (404, "not_found", "after", "No job found with id 'ID'.")


def test_follow_up_refusals_are_400s_that_say_why(server: Server, key: str) -> None:
    client = server.openai(key).with_options(max_retries=0)
    image = ("p.png", png(seed=15), "image/png")
    with pytest.raises(openai.BadRequestError) as e:
        client.images.edit(image=image, prompt="a bit less")
    err = _err(e.value)
    assert err["code"] == "unsupported_instruction" and "relative to a previous edit" in err["message"]
    assert "'after'" in err["message"]
    job_id = client.images.with_raw_response.edit(image=image, prompt="add a vignette").headers["x-retouch-job-id"]
    with pytest.raises(openai.BadRequestError) as e:
        client.images.edit(image=image, prompt="undo the blur", extra_body={"after": job_id})
    assert "no blur step" in _err(e.value)["message"]
    with server.client(key) as c:
        r = c.post("/v1/jobs", json={"after": job_id, "prompt": "a bit less", "mode": "batch"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "after"
        r = c.post("/v1/jobs", json={"prompt": "a bit less"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "missing_required_parameter"


def test_estimates_honour_plan_and_after(server: Server, key: str) -> None:
    src = png(80, 60, seed=16)
    with server.client(key) as c:
        bad = {"steps": [{"op": "contrast", "params": {"amount": 9}}]}
        r = c.post("/v1/estimates", json={"image_sizes": ["80x60"], "plan": bad})
        err = r.json()["error"]
        assert r.status_code == 400 and err["code"] == "invalid_plan" and "step 1" in err["message"], r.text
        good = {"steps": [{"op": "contrast", "params": {"amount": 0.2}}]}
        r = c.post("/v1/estimates", json={"image_sizes": ["80x60"], "plan": good})
        assert r.status_code == 200 and r.json()["credits"] > 0, r.text
        job1 = c.post("/v1/jobs", json={"images": [data_url(src)], "prompt": "increase the contrast by 40%"}).json()
        assert wait_done(c, job1["id"])["status"] == "succeeded"
        est = c.post("/v1/estimates", json={"after": job1["id"], "prompt": "a bit less"})
        assert est.status_code == 200 and est.json()["output_size"] == "80x60", est.text
        job2 = c.post("/v1/jobs", json={"after": job1["id"], "prompt": "a bit less"}).json()
        done = wait_done(c, job2["id"])
        assert done["status"] == "succeeded"
        assert est.json()["credits"] == done["estimate"]["credits"]
        assert done["result"]["plan"]["steps"][0]["params"]["amount"] == pytest.approx(0.2)
        r = c.post("/v1/estimates", json={"after": job1["id"], "prompt": "undo the blur"})
        assert r.status_code == 400 and "no blur step" in r.json()["error"]["message"]
        r = c.post("/v1/estimates", json={"after": "job_nope", "prompt": "less"})
        assert r.status_code == 404 and r.json()["error"]["param"] == "after"


def test_the_editors_plan_endpoint_shows_the_revised_plan_and_what_changed(server: Server, key: str) -> None:
    client = server.openai(key)
    job_id = client.images.with_raw_response.edit(
        image=("p.png", png(seed=17), "image/png"), prompt="increase the contrast by 40% and add a vignette"
    ).headers["x-retouch-job-id"]
    with server.client(key) as c:
        got = c.post("/ui/api/plan", json={"prompt": "stronger vignette", "after": job_id}).json()
        assert [(s["op"], s["params"]["amount"]) for s in got["steps"]] == [("contrast", 0.4), ("vignette", 0.525)]
        assert got["changes"] == ["vignette +0.35 → +0.53 (“stronger vignette”)"]
        alone = c.post("/ui/api/plan", json={"prompt": "stronger vignette"}).json()
        assert "changes" not in alone and [s["op"] for s in alone["steps"]] == ["vignette"]
    with server.client(server.new_key()["key"]) as c:
        err = c.post("/ui/api/plan", json={"prompt": "stronger vignette", "after": job_id}).json()["error"]
        assert err["code"] == "not_found" and err["param"] == "after"


def test_a_plan_with_after_runs_on_the_jobs_stored_inputs(server: Server, key: str) -> None:
    src = png(64, 48, seed=18)
    plan = {"steps": [{"op": "contrast", "params": {"amount": 0.1}}]}
    with server.client(key) as c:
        first = c.post("/v1/jobs", json={"images": [data_url(src)], "prompt": "increase the contrast by 40%"})
        assert wait_done(c, first.json()["id"])["status"] == "succeeded"
        r = c.post("/v1/jobs", json={"after": first.json()["id"], "plan": plan}, headers={"prefer": "wait=60"})
        done = r.json()
        assert done["status"] == "succeeded", done
        out = _arr(c.get(f"/v1/files/{done['result']['images'][0]['file_id']}/content").content)
    typed = _b64(
        server.openai(key).images.edit(image=("p.png", src, "image/png"), prompt="increase the contrast by 10%")
        .data[0]
        .b64_json
    )
    assert np.array_equal(out, typed)  # the client's plan, on the original the first job stored


def test_undo_after_a_chain_of_follow_ups_goes_back_one_follow_up(server: Server, key: str) -> None:
    src = png(64, 48, seed=19)
    with server.client(key) as c:

        def run(body: dict) -> dict:
            r = c.post("/v1/jobs", json=body, headers={"prefer": "wait=60"})
            assert r.json()["status"] == "succeeded", r.text
            return r.json()

        def output(job: dict) -> np.ndarray:
            return _arr(c.get(f"/v1/files/{job['result']['images'][0]['file_id']}/content").content)

        job1 = run({"images": [data_url(src)], "prompt": "increase the contrast by 40% and add a vignette"})
        job2 = run({"after": job1["id"], "prompt": "a bit less"})
        job3 = run({"after": job2["id"], "prompt": "undo"})
        job4 = run({"after": job1["id"], "prompt": "undo"})  # no follow-up before it: the last step goes
        assert np.array_equal(output(job3), output(job1))  # the same plan on the same original
    amounts = [[s["params"]["amount"] for s in j["result"]["plan"]["steps"]] for j in (job1, job2, job3, job4)]
    assert amounts == [[0.4, 0.35], [0.2, 0.175], [0.4, 0.35], [0.4]]
    assert any("back to the plan before" in n for n in job3["result"]["plan"]["notes"])
