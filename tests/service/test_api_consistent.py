"""Consistent batch jobs (retouch extension): POST /v1/jobs in batch mode with `consistency` or the words."""

from __future__ import annotations

import io
import time

import httpx
import numpy as np
from PIL import Image

from bench.catalogue import catalogue

from .helpers import Server, data_url, png

LUMA = np.array([0.2126, 0.7152, 0.0722])


def shots_png(n: int = 4) -> tuple[list[bytes], list[np.ndarray]]:
    """n shots of one product (exposure x0.6-1.4, casts, place, scale, frame varied): PNGs and masks."""
    shots = catalogue(n, seed=4, mixed=False, frames=((240, 180), (180, 240), (220, 220), (270, 180)))
    out = []
    for s in shots:
        buf = io.BytesIO()
        Image.fromarray(s.rgb).save(buf, "PNG")
        out.append(buf.getvalue())
    return out, [s.fg for s in shots]


def wait_done(c: httpx.Client, job_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = c.get(f"/v1/jobs/{job_id}").json()
        if j["status"] in ("succeeded", "failed", "canceled"):
            return j
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def outputs(c: httpx.Client, job: dict) -> list[np.ndarray]:
    return [
        np.asarray(Image.open(io.BytesIO(c.get(f"/v1/files/{o['file_id']}/content").content)).convert("RGB"))
        for o in job["result"]["images"]
    ]


def test_consistency_field_makes_the_set_uniform(server: Server) -> None:
    k = server.new_key(credits=100_000)
    images, masks = shots_png()
    body = {"images": [data_url(i) for i in images], "prompt": "", "mode": "batch", "consistency": True}
    with server.client(k["key"]) as c:
        job = c.post("/v1/jobs", json=body, headers={"prefer": "wait=90"}).json()
        job = job if job["status"] != "queued" else wait_done(c, job["id"])
        assert job["status"] == "succeeded", job
        assert job["params"]["consistency"] == {"aspects": ["tone", "color", "framing"], "reference": "median"}
        outs = outputs(c, job)
        assert len({o.shape for o in outs}) == 1 and len(outs) == 4
        assert len({im["size"] for im in job["result"]["images"]}) == 1
        for im in job["result"]["images"]:  # every output says what was done to it
            ops = [s["op"] for s in im["plan"]["steps"]]
            assert ops and set(ops) <= {"crop_box", "resize", "extend_canvas", "exposure", "temperature", "tint"}
        # the backdrop (the frame's border) now has about the same luminance everywhere
        before = [LUMA @ np.median(np.asarray(Image.open(io.BytesIO(i)).convert("RGB"))[~m], 0) for i, m in
                  zip(images, masks, strict=True)]
        after = [LUMA @ np.median(np.concatenate([o[:4].reshape(-1, 3), o[:, :4].reshape(-1, 3)]), 0) for o in outs]
        assert np.std(after) <= 0.25 * np.std(before)
        assert job["charged_credits"] > 0
        bal = c.get("/v1/balance").json()
    assert bal["held"] == 0 and bal["available"] == 100_000 - job["charged_credits"]


def test_words_in_the_prompt_and_an_instruction_run_in_order(server: Server, key: str) -> None:
    images, _ = shots_png(3)
    body = {
        "images": [data_url(i) for i in images],
        "prompt": "match them all to the first one, then make them black and white",
        "mode": "batch",
    }
    with server.client(key) as c:
        job = c.post("/v1/jobs", json=body, headers={"prefer": "wait=90"}).json()
        job = job if job["status"] != "queued" else wait_done(c, job["id"])
        assert job["status"] == "succeeded", job
        outs = outputs(c, job)
        first = Image.open(io.BytesIO(images[0]))
        assert all(o.shape[:2] == (first.height, first.width) for o in outs)  # the first one's frame
        for o, im in zip(outs, job["result"]["images"], strict=True):
            ops = [s["op"] for s in im["plan"]["steps"]]
            assert ops[-1] == "grayscale"  # the instruction comes last
            assert np.abs(o[..., 0].astype(int) - o[..., 2]).max() <= 1  # and it is black and white


def test_consistency_is_refused_where_it_cannot_apply(server: Server, key: str) -> None:
    images, _ = shots_png(2)
    base = {"images": [data_url(i) for i in images], "prompt": "make them consistent"}
    cases = [
        ({"mode": "edit", "consistency": True}, "consistency"),  # one image: nothing to make alike
        ({"mode": "batch", "consistency": {"reference": 5}}, "consistency"),
        ({"mode": "batch", "consistency": {"aspects": ["mood"]}}, "consistency"),
        ({"mode": "batch", "model": "gpt-image-1"}, "engine"),
    ]
    with server.client(key) as c:
        for extra, param in cases:
            r = c.post("/v1/jobs", json={**base, **extra})
            assert r.status_code == 400, (extra, r.text)
            err = r.json()["error"]
            assert err["param"] == param and err["message"], (extra, err)
        # without the words or the field a batch is independent: sizes kept
        plain = {"images": [data_url(png(40, 30)), data_url(png(30, 40))], "prompt": "brighten", "mode": "batch"}
        job = c.post("/v1/jobs", json=plain, headers={"prefer": "wait=60"}).json()
        assert [o["size"] for o in job["result"]["images"]] == ["40x30", "30x40"]
        assert all("plan" not in o for o in job["result"]["images"])
