"""POST /v1/images/edits through the official openai SDK against a real server process."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import openai
import pytest

from .helpers import Server, data_url, decode, png, rgba_mask

PROMPT = "increase the contrast by 20% and add a subtle vignette"


def test_single_image_edit(server: Server, key: str) -> None:
    client = server.openai(key)
    src = png(64, 48)
    r = client.images.edit(image=("photo.png", src, "image/png"), prompt=PROMPT)
    assert len(r.data) == 1 and r.data[0].b64_json
    out = decode(base64.b64decode(r.data[0].b64_json))
    assert out.format == "PNG" and out.size == (64, 48)
    assert (
        r.size == "64x48" and r.quality == "medium" and r.output_format == "png" and r.background == "opaque"
    )
    assert r.usage is not None and r.usage.output_tokens > 0
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    assert r.usage.input_tokens_details.image_tokens > 0 and r.usage.input_tokens_details.text_tokens > 0
    assert out.tobytes() != decode(src).tobytes()  # it really edited


def test_several_images_and_n(server: Server, key: str) -> None:
    client = server.openai(key)
    images = [
        ("a.png", png(64, 48, seed=1), "image/png"),
        ("b.png", png(32, 32, seed=2), "image/png"),
        ("c.jpg", png(40, 40, seed=3, fmt="JPEG"), "image/jpeg"),
    ]
    r = client.images.edit(image=images, prompt="make it warmer", n=2)
    assert len(r.data) == 2
    assert all(decode(base64.b64decode(d.b64_json)).size == (64, 48) for d in r.data)
    # three input images are counted in the input tokens
    single = client.images.edit(image=images[0], prompt="make it warmer")
    assert r.usage.input_tokens_details.image_tokens == 3 * single.usage.input_tokens_details.image_tokens
    assert r.usage.output_tokens == 2 * single.usage.output_tokens


def test_mask_keeps_outside_pixels(server: Server, key: str) -> None:
    client = server.openai(key)
    src = png(64, 48, seed=4)
    mask = rgba_mask(64, 48, (16, 12, 48, 36))
    r = client.images.edit(
        image=("p.png", src, "image/png"), mask=("m.png", mask, "image/png"), prompt="make it much brighter"
    )
    out = np.asarray(decode(base64.b64decode(r.data[0].b64_json)).convert("RGB"))
    before = np.asarray(decode(src).convert("RGB"))
    outside = np.ones(before.shape[:2], bool)
    outside[12:36, 16:48] = False
    assert np.array_equal(out[outside], before[outside])
    assert out[20:28, 24:40].mean() > before[20:28, 24:40].mean() + 5


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("auto", (96, 64)),
        ("1024x1024", (1024, 1024)),
        ("1024x1536", (1024, 1536)),
        ("1536x1024", (1536, 1024)),
        ("3:2", (1536, 1024)),
        ("128x96", (128, 96)),
    ],
)
def test_sizes(server: Server, key: str, size: str, expected: tuple[int, int]) -> None:
    r = server.openai(key).images.edit(
        image=("p.png", png(96, 64), "image/png"), prompt="brighten slightly", size=size, quality="low"
    )
    assert decode(base64.b64decode(r.data[0].b64_json)).size == expected
    assert r.size == f"{expected[0]}x{expected[1]}"


def test_quality_prices_output_tokens(server: Server, key: str) -> None:
    client = server.openai(key)
    tokens = {}
    for q in ("low", "medium", "high", "auto"):
        r = client.images.edit(
            image=("p.png", png(64, 64), "image/png"), prompt="brighten slightly", quality=q, size="1024x1024"
        )
        tokens[q] = r.usage.output_tokens
        assert r.quality == ("medium" if q == "auto" else q)
    assert tokens == {"low": 272, "medium": 1056, "high": 4160, "auto": 1056}


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_output_formats(server: Server, key: str, fmt: str, pil: str) -> None:
    r = server.openai(key).images.edit(
        image=("p.png", png(), "image/png"),
        prompt="brighten slightly",
        output_format=fmt,
        output_compression=80 if fmt != "png" else None,
    )
    assert r.output_format == fmt
    assert decode(base64.b64decode(r.data[0].b64_json)).format == pil


def test_streaming_with_partial_images(server: Server, key: str) -> None:
    stream = server.openai(key).images.edit(
        image=("p.png", png(), "image/png"), prompt="make it warmer", stream=True, partial_images=2
    )
    events = list(stream)
    kinds = [e.type for e in events]
    assert kinds == ["image_edit.partial_image", "image_edit.partial_image", "image_edit.completed"]
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    final = events[-1]
    assert final.usage.output_tokens > 0 and final.output_format == "png" and final.size == "64x48"
    for e in events:
        assert decode(base64.b64decode(e.b64_json)).size == (64, 48)


def test_streaming_without_partials(server: Server, key: str) -> None:
    stream = server.openai(key).images.edit(
        image=("p.png", png(), "image/png"), prompt="make it warmer", stream=True
    )
    assert [e.type for e in stream] == ["image_edit.completed"]


def test_response_format_url_is_signed_and_expiring(server: Server, key: str) -> None:
    r = server.openai(key).images.edit(
        image=("p.png", png(), "image/png"), prompt="brighten slightly", response_format="url"
    )
    url = r.data[0].url
    assert url and "signature=" in url and r.data[0].b64_json is None
    got = httpx.get(url)  # no API key needed
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert decode(got.content).size == (64, 48)
    tampered = url.replace("signature=", "signature=0")
    assert httpx.get(tampered).status_code == 403
    expired = httpx.URL(url).copy_set_param("expires", "1000")
    assert httpx.get(expired).status_code == 403


def test_json_form_with_data_urls(server: Server, key: str) -> None:
    body = {
        "images": [{"image_url": data_url(png(64, 48))}],
        "prompt": "brighten slightly",
        "mask": {"image_url": data_url(rgba_mask(64, 48, (0, 0, 32, 48)))},
        "output_format": "webp",
    }
    with server.client(key) as c:
        r = c.post("/v1/images/edits", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (
        doc["output_format"] == "webp"
        and decode(base64.b64decode(doc["data"][0]["b64_json"])).format == "WEBP"
    )
    assert r.headers["x-request-id"].startswith("req_")


def test_json_form_with_file_id(server: Server, key: str) -> None:
    with server.client(key) as c:
        up = c.post(
            "/v1/files", files={"file": ("in.png", png(50, 40), "image/png")}, data={"purpose": "input"}
        )
        assert up.status_code == 200, up.text
        r = c.post(
            "/v1/images/edits", json={"images": [{"file_id": up.json()["id"]}], "prompt": "brighten slightly"}
        )
    assert r.status_code == 200, r.text
    assert r.json()["size"] == "50x40"


# ---- errors: typed by the SDK, OpenAI's body shape, the right status


def _err(exc: openai.APIStatusError) -> dict:
    body = exc.body if isinstance(exc.body, dict) else {}
    return body.get("error", body)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n": 11}, "n"),
        ({"quality": "ultra"}, "quality"),
        ({"output_format": "gif"}, "output_format"),
        ({"size": "10x10"}, "size"),
        ({"size": "big"}, "size"),
        ({"output_compression": 101}, "output_compression"),
        ({"background": "neon"}, "background"),
        ({"partial_images": 4, "stream": True}, "partial_images"),
        ({"model": "no-such-model"}, "model"),
        ({"background": "transparent", "output_format": "jpeg"}, "background"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 32001}, "prompt"),
    ],
)
def test_bad_fields_are_400_with_param(server: Server, key: str, kwargs: dict, param: str) -> None:
    args = {"image": ("p.png", png(), "image/png"), "prompt": "brighten slightly", **kwargs}
    with pytest.raises(openai.BadRequestError) as e:
        server.openai(key).images.edit(**args)
    err = _err(e.value)
    assert e.value.status_code == 400 and err["param"] == param and err["type"] == "invalid_request_error"
    assert err["message"]


def test_unsupported_instruction_names_the_fragment(server: Server, key: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        server.openai(key).images.edit(
            image=("p.png", png(), "image/png"), prompt="increase the contrast and add sunglasses to her face"
        )
    err = _err(e.value)
    assert err["code"] == "unsupported_instruction" and err["param"] == "prompt"
    assert "sunglasses" in err["message"]


def test_unsupported_instruction_when_streaming_is_a_400_not_a_stream(server: Server, key: str) -> None:
    with pytest.raises(openai.BadRequestError):
        list(
            server.openai(key).images.edit(
                image=("p.png", png(), "image/png"), prompt="add sunglasses", stream=True
            )
        )


def test_auth_errors(server: Server) -> None:
    with pytest.raises(openai.AuthenticationError) as e:
        server.openai("rt_live_not-a-real-key").images.edit(image=("p.png", png(), "image/png"), prompt="x")
    assert _err(e.value)["code"] == "invalid_api_key"
    r = httpx.post(
        server.base_url + "/v1/images/edits", files={"image": ("p.png", png())}, data={"prompt": "x"}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_api_key"
    revoked = server.new_key()
    with server.client() as c:
        assert c.delete(f"/v1/admin/keys/{revoked['id']}").json()["revoked"] is True
    with pytest.raises(openai.AuthenticationError):
        server.openai(revoked["key"]).images.edit(image=("p.png", png(), "image/png"), prompt="brighten")


def test_edit_scope_required_and_admin_scope_enforced(server: Server, key: str) -> None:
    with server.client(key) as c:
        r = c.get("/v1/admin/keys")
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"


def test_insufficient_credits_is_402(server: Server) -> None:
    poor = server.new_key(credits=1)
    with pytest.raises(openai.APIStatusError) as e:
        server.openai(poor["key"]).images.edit(
            image=("p.png", png(), "image/png"), prompt="brighten slightly"
        )
    assert e.value.status_code == 402 and _err(e.value)["code"] == "insufficient_credits"
    with server.client(poor["key"]) as c:
        assert c.get("/v1/balance").json() == {
            "object": "balance",
            "account_id": poor["account_id"],
            "available": 1,
            "held": 0,
        }


def test_not_found_is_404(server: Server, key: str) -> None:
    with pytest.raises(openai.NotFoundError):
        server.openai(key).files.retrieve("file-doesnotexist")
    with server.client(key) as c:
        r = c.get("/v1/nope")
        assert r.status_code == 404 and r.json()["error"]["type"] == "invalid_request_error"
        assert c.get("/v1/jobs/job_nope").status_code == 404


def test_unsupported_media_type_is_415(server: Server, key: str) -> None:
    with pytest.raises(openai.APIStatusError) as e:
        server.openai(key).images.edit(
            image=("p.txt", b"hello, not an image", "text/plain"), prompt="brighten"
        )
    assert e.value.status_code == 415 and _err(e.value)["param"] == "image"
    with server.client(key) as c:
        r = c.post("/v1/images/edits", content=b"prompt=x", headers={"content-type": "text/plain"})
    assert r.status_code == 415


def test_corrupt_image_is_400(server: Server, key: str) -> None:
    broken = png()[:60]
    with pytest.raises(openai.BadRequestError) as e:
        server.openai(key).images.edit(image=("p.png", broken, "image/png"), prompt="brighten slightly")
    assert _err(e.value)["param"] == "image"


def test_mask_of_the_wrong_size_is_400(server: Server, key: str) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        server.openai(key).images.edit(
            image=("p.png", png(64, 48), "image/png"),
            mask=("m.png", rgba_mask(32, 32, (0, 0, 8, 8)), "image/png"),
            prompt="brighten slightly",
        )
    assert _err(e.value)["param"] == "mask"


def test_too_large_is_413(open_server: Server) -> None:
    small = open_server  # configured with max_image_bytes = 300 000
    big = png(600, 600, seed=9)
    assert len(big) > 300_000
    with pytest.raises(openai.APIStatusError) as e:
        small.openai().images.edit(image=("p.png", big, "image/png"), prompt="brighten slightly")
    assert e.value.status_code == 413 and _err(e.value)["code"] == "file_too_large"


def test_rate_limits_429_with_retry_after(server: Server) -> None:
    tiny = server.new_key(tier="tiny")
    client = server.openai(tiny["key"])
    raw = client.images.with_raw_response.edit(
        image=("p.png", png(), "image/png"), prompt="brighten slightly"
    )
    assert raw.headers["x-ratelimit-limit-requests"] == "3"
    assert raw.headers["x-ratelimit-remaining-requests"] == "2"
    for _ in range(2):
        client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly")
    with pytest.raises(openai.RateLimitError) as e:
        client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly")
    assert int(e.value.response.headers["retry-after"]) >= 1
    assert _err(e.value)["code"] == "rate_limit_exceeded"
    assert e.value.response.headers["x-ratelimit-remaining-requests"] == "0"


def test_images_per_minute_limit(server: Server) -> None:
    k = server.new_key(tier="fewimages")
    client = server.openai(k["key"])
    client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly", n=3)
    with pytest.raises(openai.RateLimitError) as e:
        client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly", n=2)
    assert "images" in _err(e.value)["message"]


def test_missing_prompt_is_400(server: Server, key: str) -> None:
    with server.client(key) as c:
        r = c.post("/v1/images/edits", files={"image": ("p.png", png(), "image/png")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_required_parameter"
    assert r.json()["error"]["param"] == "prompt"


def test_failure_after_the_stream_started_is_an_error_event(server: Server, key: str) -> None:
    # the planner accepts a crop; the engine refuses to confine it to a mask, mid-stream
    stream = server.openai(key).images.edit(
        image=("p.png", png(64, 48), "image/png"),
        mask=("m.png", rgba_mask(64, 48, (0, 0, 8, 8)), "image/png"),
        prompt="crop it to a square",
        stream=True,
        partial_images=1,
    )
    with pytest.raises(openai.APIError) as e:
        list(stream)
    assert "mask" in str(e.value.message)
    with server.client(key) as c:
        assert c.get("/v1/balance").json()["held"] == 0
