"""The `plan` extension field on /v1/images/edits and /v1/jobs, through the official openai SDK."""

from __future__ import annotations

import base64
import json

import numpy as np
import openai
import pytest

from retouch import edit, explain

from .helpers import Server, data_url, decode, png
from .test_api_jobs import wait_done

PROMPT = "increase the contrast by 20% and add a subtle vignette"


def _err(exc: openai.APIStatusError) -> dict:
    body = exc.body if isinstance(exc.body, dict) else {}
    return body.get("error", body)


def _pixels(b64: str | None) -> np.ndarray:
    assert b64
    return np.asarray(decode(base64.b64decode(b64)))


def test_plan_gives_the_pixels_of_the_prompt(server: Server, key: str) -> None:
    client = server.openai(key)
    image = ("photo.png", png(64, 48, seed=4), "image/png")
    typed = client.images.edit(image=image, prompt=PROMPT)
    plan = explain(PROMPT).model_dump(mode="json")
    # multipart: the plan travels as JSON text; the prompt may be empty on the builtin engine
    by_plan = client.images.edit(image=image, prompt="", extra_body={"plan": json.dumps(plan)})
    assert np.array_equal(_pixels(by_plan.data[0].b64_json), _pixels(typed.data[0].b64_json))
    assert not np.array_equal(_pixels(by_plan.data[0].b64_json), np.asarray(decode(image[1])))
    # JSON body: the plan is an object and the prompt may be left out
    with server.client(key) as c:
        r = c.post("/v1/images/edits", json={"images": [{"image_url": data_url(image[1])}], "plan": plan})
    assert r.status_code == 200, r.text
    assert np.array_equal(_pixels(r.json()["data"][0]["b64_json"]), _pixels(typed.data[0].b64_json))


def test_a_tweaked_plan_equals_the_typed_instruction(server: Server, key: str) -> None:
    client = server.openai(key)
    image = ("photo.png", png(64, 48, seed=5), "image/png")
    plan = explain("brighten by 20%").model_dump(mode="json")
    plan["steps"][0]["params"]["amount"] = 0.4
    tweaked = client.images.edit(image=image, prompt="brighten by 20%", extra_body={"plan": json.dumps(plan)})
    typed = client.images.edit(image=image, prompt="brighten by 40%")
    assert np.array_equal(_pixels(tweaked.data[0].b64_json), _pixels(typed.data[0].b64_json))


@pytest.mark.parametrize(
    ("plan", "mentions"),
    [
        ({"steps": [{"op": "brightness", "params": {"amount": 0.1}}, {"op": "contrast", "params": {"amount": 9}}]},
         ("step 2", "contrast", "amount", "between")),
        ({"steps": [{"op": "sharpen_more", "params": {}}]}, ("step 1", "unknown op")),
        ({"steps": [{"op": "vignette", "params": {"radius": 2}}]}, ("step 1", "vignette", "'radius'")),
        ("{not json", ("not valid json",)),
    ],
)
def test_a_bad_plan_is_a_400_naming_step_and_param(server: Server, key: str, plan: object, mentions: tuple) -> None:
    client = server.openai(key)
    text = plan if isinstance(plan, str) else json.dumps(plan)
    with pytest.raises(openai.BadRequestError) as e:
        client.with_options(max_retries=0).images.edit(
            image=("p.png", png(), "image/png"), prompt="", extra_body={"plan": text}
        )
    err = _err(e.value)
    assert e.value.status_code == 400 and err["param"] == "plan" and err["code"] == "invalid_plan"
    assert err["type"] == "invalid_request_error"
    for word in mentions:
        assert word.lower() in err["message"].lower(), err["message"]
    # the server keeps serving
    assert client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly").data


def test_generative_models_need_a_prompt(server: Server, key: str) -> None:
    client = server.openai(key).with_options(max_retries=0)
    plan = json.dumps(explain("brighten by 20%").model_dump(mode="json"))
    with pytest.raises(openai.BadRequestError) as e:
        client.images.edit(
            image=("p.png", png(), "image/png"), prompt="", model="gpt-image-1", extra_body={"plan": plan}
        )
    assert _err(e.value)["param"] == "prompt"
    with pytest.raises(openai.BadRequestError) as e:
        client.images.edit(
            image=("p.png", png(), "image/png"), prompt="brighten", model="gpt-image-1", extra_body={"plan": plan}
        )
    assert _err(e.value)["param"] == "plan" and "retouch-builtin" in _err(e.value)["message"]


def test_without_plan_or_prompt_the_prompt_is_still_required(server: Server, key: str) -> None:
    with server.client(key) as c:
        r = c.post("/v1/images/edits", json={"images": [{"image_url": data_url(png())}]})
        assert r.status_code == 400 and r.json()["error"]["param"] == "prompt"
        # an empty form field is no plan: the prompt runs
        r = c.post(
            "/v1/images/edits",
            files={"image": ("p.png", png(), "image/png")},
            data={"prompt": "brighten slightly", "plan": ""},
        )
        assert r.status_code == 200, r.text
        r = c.post("/v1/images/edits", files={"image": ("p.png", png(), "image/png")}, data={"plan": " "})
        assert r.status_code == 400 and r.json()["error"]["code"] == "missing_required_parameter"


def test_jobs_take_a_plan(server: Server, key: str) -> None:
    src = png(64, 48, seed=6)
    plan = explain(PROMPT).model_dump(mode="json")
    typed = server.openai(key).images.edit(image=("p.png", src, "image/png"), prompt=PROMPT)
    with server.client(key) as c:
        r = c.post("/v1/jobs", json={"images": [data_url(src)], "plan": plan})
        assert r.status_code == 202, r.text
        done = wait_done(c, r.json()["id"])
        assert done["status"] == "succeeded", done
        assert done["params"]["plan"]["steps"] == plan["steps"]
        content = c.get(f"/v1/files/{done['result']['images'][0]['file_id']}/content").content
        assert np.array_equal(np.asarray(decode(content)), _pixels(typed.data[0].b64_json))
        bad = {"steps": [{"op": "brightness", "params": {"amount": -5}}]}
        r = c.post("/v1/jobs", json={"images": [data_url(src)], "plan": bad})
        err = r.json()["error"]
        assert r.status_code == 400 and err["param"] == "plan", r.text
        assert "step 1" in err["message"] and "amount" in err["message"]


def test_a_batch_job_runs_the_plan_on_every_image(server: Server, key: str) -> None:
    images = [png(40, 30, seed=7), png(30, 40, seed=8)]
    plan = explain(PROMPT).model_dump(mode="json")
    with server.client(key) as c:
        body = {"images": [data_url(i) for i in images], "plan": plan, "mode": "batch"}
        job = c.post("/v1/jobs", json=body, headers={"prefer": "wait=60"}).json()
        assert job["status"] == "succeeded", job
        outs = [c.get(f"/v1/files/{o['file_id']}/content").content for o in job["result"]["images"]]
    for src, out in zip(images, outs, strict=True):
        local = edit(src, PROMPT).images[0]  # the same plan run in-process from the prompt
        assert np.array_equal(np.asarray(decode(out)), np.asarray(decode(local)))
        assert not np.array_equal(np.asarray(decode(out)), np.asarray(decode(src)))
