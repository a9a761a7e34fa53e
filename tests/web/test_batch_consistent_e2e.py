"""The editor's consistent batch in headless Chromium against a real `retouch serve`: tick "Make
them consistent", batch three uneven product shots, and check the outputs (one size, backdrops
alike) and the before/after contact sheet the page draws, in pixels."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bench.catalogue import expose, product_shot

from ..service.helpers import Server
from .conftest import browser_missing, shot, sign_in

needs_browser = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

LUMA = np.array([0.2126, 0.7152, 0.0722])
CELL, GAP, LABEL_W = 160, 6, 64  # the sheet's layout (batch.js, consistency/sheet.py)


def border_luma(arr: np.ndarray) -> float:
    """Median luma of an image's outer 4% (the backdrop of a product shot)."""
    h, w = arr.shape[:2]
    b = max(2, round(0.04 * min(h, w)))
    ring = np.concatenate([arr[:b].reshape(-1, 3), arr[-b:].reshape(-1, 3), arr[:, :b].reshape(-1, 3),
                           arr[:, -b:].reshape(-1, 3)])
    return float(LUMA @ np.median(ring.astype(np.float64), axis=0))


def cell(sheet: np.ndarray, row: int, col: int) -> np.ndarray:
    """The image drawn in a contact-sheet cell (the cell's neutral fill trimmed off)."""
    y, x = GAP + row * (CELL + GAP), LABEL_W + GAP + col * (CELL + GAP)
    c = sheet[y : y + CELL, x : x + CELL]
    drawn = np.abs(c.astype(int) - 250).max(-1) > 2
    ys, xs = np.where(drawn.any(1))[0], np.where(drawn.any(0))[0]
    return c[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]


@needs_browser
def test_make_them_consistent_in_the_batch_panel(context: Any, web_server: Server, tmp_path: Path) -> None:
    # one product, three uneven shots: dark and cool, as meant, bright and warm (none blown out)
    looks = [((320, 240), (0.4, 0.5), 0.45, 0.6, (0.95, 1.0, 1.08)), ((240, 320), (0.5, 0.55), 0.7, 0.85, (1, 1, 1)),
             ((300, 300), (0.62, 0.48), 0.55, 1.05, (1.08, 1.0, 0.9))]
    shots, paths = [], []
    for k, (size, centre, height, exposure, cast) in enumerate(looks):
        rgb, _ = product_shot(size, colour=(38, 104, 190), shape="bottle", centre=centre, height=height, seed=k)
        shots.append(expose(rgb, exposure, cast))
        p = tmp_path / f"shot-{k + 1}.png"
        Image.fromarray(shots[-1]).save(p)
        paths.append(str(p))
    sign_in(context, web_server)
    page = context.new_page()
    page.goto(web_server.base_url + "/")
    page.wait_for_selector("body[data-ready]")
    page.set_input_files("#file-input", paths)
    page.wait_for_function(
        "() => document.querySelectorAll('#tray li').length === 3 && "
        "![...document.querySelectorAll('#tray .role')].some(e => /Reading|Uploading/.test(e.textContent))"
    )
    page.wait_for_selector("#batch-consistent:not([disabled])")
    page.check("#batch-consistent")
    with page.expect_request(lambda r: r.url.endswith("/v1/jobs") and r.method == "POST") as req:
        page.click("#run-batch")  # no instruction: the consistency pass alone
    body = json.loads(req.value.post_data or "{}")
    assert body["mode"] == "batch" and body["consistency"] is True and body["prompt"] == ""
    page.wait_for_selector("#batch-zip:not([hidden])", timeout=90_000)
    assert page.locator("#batch-grid li.done").count() == 3

    # the outputs: one size, and backdrops far more alike than the inputs'
    with page.expect_download() as d:
        page.click("#batch-zip")
    with zipfile.ZipFile(io.BytesIO(Path(d.value.path()).read_bytes())) as z:
        outs = [np.asarray(Image.open(io.BytesIO(z.read(n))).convert("RGB")) for n in sorted(z.namelist())]
    assert len(outs) == 3 and len({o.shape for o in outs}) == 1
    before = [border_luma(s) for s in shots]
    assert np.std([border_luma(o) for o in outs]) <= 0.25 * np.std(before)

    # the contact sheet: inputs on top, outputs below, the same images in pixels
    page.wait_for_selector("#batch-sheet:not([hidden])")
    page.wait_for_selector("#batch-sheet-save:not([hidden])")
    url = page.evaluate("document.querySelector('#batch-sheet-canvas').toDataURL('image/png')")
    sheet = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))
    assert sheet.shape[:2] == (2 * (CELL + GAP) + 2 * GAP, LABEL_W + 3 * (CELL + GAP) + GAP)
    tops = [cell(sheet, 0, k) for k in range(3)]
    bottoms = [cell(sheet, 1, k) for k in range(3)]
    for top, s in zip(tops, shots, strict=True):  # each input drawn at its own aspect ratio
        assert abs(top.shape[1] / top.shape[0] - s.shape[1] / s.shape[0]) < 0.05
    assert len({b.shape for b in bottoms}) == 1  # one output size, so one cell shape
    assert np.std([border_luma(b) for b in bottoms]) <= 0.25 * np.std([border_luma(t) for t in tops])
    with page.expect_download() as d:
        page.click("#batch-sheet-save")
    saved = Image.open(Path(d.value.path()))
    assert saved.size == (sheet.shape[1], sheet.shape[0]) and d.value.suggested_filename == "contact-sheet.png"
    page.locator("#batch").scroll_into_view_if_needed()
    shot(page, "08-batch-consistent", doc=True)


def test_the_plan_shows_the_pass_across_the_set_apart_from_each_images_steps(web_server: Server) -> None:
    with web_server.client(web_server.new_key(tier="standard")["key"]) as c:
        both = c.post("/ui/api/plan", json={"prompt": "make them consistent, then add a vignette"}).json()
        assert [s["op"] for s in both["steps"]] == ["vignette"]
        assert both["consistency"] == "consistency: tone, color, framing → the set's median"
        only = c.post("/ui/api/plan", json={"prompt": "match them all to the first one"}).json()
        assert only["steps"] == [] and only["consistency"].endswith("→ image 1")
        plain = c.post("/ui/api/plan", json={"prompt": "make it black and white"}).json()
        assert plain["consistency"] is None and [s["op"] for s in plain["steps"]] == ["grayscale"]
