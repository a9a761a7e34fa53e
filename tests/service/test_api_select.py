"""POST /v1/images/select (retouch extension) against a real server process: a click -> a PNG mask."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from .helpers import Server, png

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import vision_cases as vc


def encoded(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def test_click_selects_the_object_and_the_mask_drives_an_edit(server: Server) -> None:
    case = vc.product_case("mug", "gradient")
    with server.client(server.new_key(tier="standard")["key"]) as c:
        r = c.post(
            "/v1/images/select",
            files={"image": ("mug.png", encoded(case.image), "image/png")},
            data={"point": f"{case.click[0]},{case.click[1]}"},
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/png"
        mask = Image.open(io.BytesIO(r.content))
        assert mask.mode == "L" and mask.size == (384, 384)
        sel = np.asarray(mask) > 127
        assert vc.iou(sel.astype(np.float32), case.alpha) >= 0.9
        assert int(r.headers["x-retouch-selected-pixels"]) == int(sel.sum())
        assert "x-ratelimit-remaining-requests" in r.headers  # counted like any request
        # the mask is an edit mask as it is: white = edit; outside it nothing changes
        e = c.post(
            "/v1/images/edits",
            files={"image": ("mug.png", encoded(case.image), "image/png"), "mask": ("m.png", r.content, "image/png")},
            data={"prompt": "make it black and white"},
        )
        assert e.status_code == 200, e.text
        out = np.asarray(Image.open(io.BytesIO(base64.b64decode(e.json()["data"][0]["b64_json"]))).convert("RGB"))
        assert np.array_equal(out[~sel], case.image[~sel])
        assert np.abs(out[sel].astype(int) - case.image[sel]).mean() > 5


def test_box_selects_too(server: Server, key: str) -> None:
    case = vc.product_case("ring", "light")
    ys, xs = np.nonzero(case.alpha > 0.5)
    with server.client(key) as c:
        r = c.post(
            "/v1/images/select",
            files={"image": ("ring.png", encoded(case.image), "image/png")},
            data={"box": f"[{xs.min() - 5}, {ys.min() - 5}, {xs.max() + 5}, {ys.max() + 5}]"},
        )
    assert r.status_code == 200, r.text
    sel = np.asarray(Image.open(io.BytesIO(r.content))) > 127
    assert vc.iou(sel.astype(np.float32), case.alpha) >= 0.9


def test_errors_have_openais_shape(server: Server, key: str) -> None:
    img = png(64, 48)
    with server.client(key) as c:
        cases = [
            ({"image": ("a.png", img, "image/png")}, {}, 400, "point"),  # neither point nor box
            ({"image": ("a.png", img, "image/png")}, {"point": "10"}, 400, "point"),
            ({"image": ("a.png", img, "image/png")}, {"point": "500,10"}, 400, "point"),  # outside
            ({"image": ("a.png", img, "image/png")}, {"point": "1,1", "box": "0,0,9,9"}, 400, "box"),
            ({"image": ("a.png", img, "image/png")}, {"box": "5,5,5,5"}, 400, "box"),
            ({"image": ("a.png", img, "image/png")}, {"point": "1,1", "quality": "ultra"}, 400, "quality"),
            ({"image": ("a.txt", b"not an image", "text/plain")}, {"point": "1,1"}, 415, "image"),
            ({}, {"point": "1,1"}, 400, "image"),
        ]
        for files, data, status, param in cases:
            r = c.post("/v1/images/select", files=files or {"x": ("x", b"", "text/plain")}, data=data)
            assert r.status_code == status, (data, r.text)
            err = r.json()["error"]
            assert set(err) == {"message", "type", "param", "code"} and err["param"] == param, err
            assert err["type"] == "invalid_request_error" and err["message"]
        # no key: 401 in the same shape; the server keeps serving
        r = httpx.post(server.base_url + "/v1/images/select", files={"image": ("a.png", img, "image/png")},
                       data={"point": "1,1"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "missing_api_key"
        assert c.post("/v1/images/select", files={"image": ("a.png", img, "image/png")},
                      data={"point": "5,5"}).status_code == 200
