"""The `openai` engine against a fake OpenAI Images API on loopback (the real SDK, the real wire format)."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("openai")

from retouch.engines import (
    EditCancelled,
    EditOptions,
    available_engines,
    configure_engine,
    get_engine,
    reset_engines,
)
from retouch.engines.openai_engine import OpenAIEngine, model_rules, upstream_size
from retouch.errors import OptionError
from retouch.schema import EditRequest

from .conftest import photo_array
from .fake_openai import USAGE, FakeOpenAI, Scripted, error


@pytest.fixture(scope="module")
def server():
    s = FakeOpenAI()
    yield s
    s.close()


@pytest.fixture
def fake(server, monkeypatch):
    server.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-operator")
    reset_engines()
    yield server
    reset_engines()


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    return np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))


def engine(model: str = "gpt-image-1.5", **kw) -> OpenAIEngine:
    return OpenAIEngine(model=model, max_retries=kw.pop("max_retries", 2), **kw)


def request(img: np.ndarray | None = None, **kw) -> EditRequest:
    img = photo_array(160, 120) if img is None else img
    return EditRequest(images=[png(img)], prompt=kw.pop("prompt", "add sunglasses"), engine="openai", **kw)


def test_parameters_reach_the_api_and_usage_comes_back(fake):
    res = engine("gpt-image-1.5").edit(
        request(quality="high", n=2, background="opaque", output_format="webp", output_compression=80),
        options=EditOptions(input_fidelity="high", user="user-42"),
    )
    (r,) = fake.requests
    f = r.fields
    assert f["model"] == "gpt-image-1.5" and f["prompt"] == "add sunglasses" and f["n"] == "2"
    assert f["quality"] == "high" and f["background"] == "opaque" and f["input_fidelity"] == "high"
    assert f["output_format"] == "png"  # encoded locally into webp
    assert f["size"] == "1536x1024"  # closest to 4:3 among the standard sizes
    assert f["safety_identifier"] == "user-42"
    assert r.headers["authorization"] == "Bearer sk-test-operator"
    assert len(res.images) == 2 and res.output_format == "webp"
    assert all(Image.open(io.BytesIO(b)).format == "WEBP" for b in res.images)
    assert (res.width, res.height) == (160, 120)  # size=auto keeps the input's size
    u = res.usage
    assert (u.input_tokens, u.input_image_tokens, u.input_text_tokens, u.output_tokens) == (
        USAGE["input_tokens"],
        USAGE["input_tokens_details"]["image_tokens"],
        USAGE["input_tokens_details"]["text_tokens"],
        USAGE["output_tokens"],
    )
    assert res.engine == "openai" and res.plan.steps[0].op == "generate"
    assert res.plan.steps[0].params["model"] == "gpt-image-1.5"
    assert res.quality == "high"


def test_several_images_go_as_image_array(fake):
    req = EditRequest(images=[png(photo_array(64, 64, seed=s)) for s in range(3)], prompt="put the logo on the cup")
    engine().edit(req)
    (r,) = fake.requests
    assert len(r.files["image[]"]) == 3 and "image" not in r.files


def test_size_auto_keeps_aspect_and_size_on_free_size_models(fake):
    img = photo_array(320, 240)
    res = engine("gpt-image-2").edit(request(img))
    w, h = (int(v) for v in fake.requests[0].fields["size"].split("x"))
    assert w % 16 == 0 and h % 16 == 0 and abs(w / h - 4 / 3) < 0.03
    assert w * h >= 655_360
    out = decode(res.images[0])
    assert out.shape == img.shape


def test_explicit_size_is_met_exactly(fake):
    res = engine("gpt-image-1.5").edit(request(size="300x200"))
    assert decode(res.images[0]).shape[:2] == (200, 300)
    assert fake.requests[0].fields["size"] == "1536x1024"
    res = engine("gpt-image-2").edit(request(size="1280x720"))
    assert fake.requests[1].fields["size"] == "1280x720"  # a size the model makes: asked as is
    assert (res.width, res.height) == (1280, 720)
    engine("gpt-image-2").edit(request(size="1024x576"))  # under the model's minimum pixel count
    assert fake.requests[2].fields["size"] == "1088x608"


def test_mask_keeps_pixels_outside_bit_exact(fake):
    img = photo_array(200, 150)
    mask = np.zeros((150, 200, 4), np.uint8)
    mask[..., 3] = 255
    mask[40:110, 60:140, 3] = 0  # OpenAI's convention: transparent = edit
    res = engine("gpt-image-1.5").edit(request(img, mask=png(mask)))
    out = decode(res.images[0])
    outside = mask[..., 3] == 255
    assert np.array_equal(out[outside], img[outside])
    core = np.zeros_like(outside)
    core[50:100, 70:130] = True
    assert np.abs(out[core].astype(int) - img[core]).mean() > 50  # the fake model inverted it
    r = fake.requests[0]
    m = np.asarray(Image.open(io.BytesIO(r.files["mask"][0])))
    assert m.shape == (150, 200, 4) and (m[..., 3] == 0).sum() == 80 * 70
    assert Image.open(io.BytesIO(r.files["image"][0])).format == "PNG"  # lossless where the mask lines up


def test_model_rules_are_checked_before_anything_is_sent(fake):
    with pytest.raises(OptionError, match="does not take input_fidelity") as e:
        engine("gpt-image-2").edit(request(), options=EditOptions(input_fidelity="high"))
    assert e.value.param == "input_fidelity"
    with pytest.raises(OptionError, match="low only"):
        engine("gpt-image-1-mini").edit(request(), options=EditOptions(input_fidelity="high"))
    with pytest.raises(OptionError, match="png or webp"):
        engine().edit(request(background="transparent", output_format="jpeg"))
    with pytest.raises(OptionError, match="retired"):
        OpenAIEngine(model="dall-e-3")
    assert fake.requests == []
    engine("gpt-image-1-mini").edit(request(), options=EditOptions(input_fidelity="low"))
    assert fake.requests[0].fields["input_fidelity"] == "low"


def test_transparent_background_round_trips(fake):
    res = engine().edit(request(background="transparent"))
    assert fake.requests[0].fields["background"] == "transparent"
    out = decode(res.images[0])
    assert out.shape[2] == 4 and res.background == "transparent" and (out[..., 3] == 0).any()


def test_streaming_partial_images_reach_progress(fake):
    events = []
    res = engine().edit(
        request(), progress=lambda f, s, p: events.append((f, s, p)), options=EditOptions(partial_images=2)
    )
    f = fake.requests[0].fields
    assert f["stream"] == "true" and f["partial_images"] == "2"
    partials = [p for _, _, p in events if p is not None]
    assert len(partials) == 2
    assert all(decode(p).shape == (120, 160, 3) for p in partials)  # fitted like the result
    fractions = [x for x, _, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert res.usage.output_tokens == USAGE["output_tokens"]


def test_cancel_during_stream(fake):
    cancel = threading.Event()

    def progress(f, stage, partial):
        if partial is not None:
            cancel.set()

    with pytest.raises(EditCancelled):
        engine().edit(request(), progress=progress, options=EditOptions(partial_images=3, cancel=cancel))


def test_429_with_retry_after_is_retried(fake):
    fake.script.append(
        Scripted(
            429,
            error("Rate limit reached for images per minute.", "requests", None, "rate_limit_exceeded"),
            {"retry-after": "0.05"},
        )
    )
    res = engine(max_retries=2).edit(request())
    assert len(fake.requests) == 2 and len(res.images) == 1


def test_429_when_retries_run_out(fake):
    from retouch.engines import UpstreamError

    fake.script.append(
        Scripted(
            429,
            error("Rate limit reached for images per minute.", "requests", None, "rate_limit_exceeded"),
            {"retry-after": "7"},
        )
    )
    with pytest.raises(UpstreamError) as e:
        engine(max_retries=0).edit(request())
    assert e.value.status == 429 and e.value.retry_after == 7 and e.value.code == "rate_limit_exceeded"


def test_5xx_is_retried_then_reported(fake):
    from retouch.engines import UpstreamError

    for _ in range(2):
        fake.script.append(Scripted(500, error("The server had an error.", "server_error"), {"retry-after-ms": "10"}))
    with pytest.raises(UpstreamError) as e:
        engine(max_retries=1).edit(request())
    assert len(fake.requests) == 2 and e.value.status == 502 and e.value.upstream_status == 500


def test_upstream_400_keeps_message_param_and_code(fake):
    from retouch.engines import UpstreamError

    fake.script.append(
        Scripted(
            400,
            error("Your request was rejected by the safety system.", param=None, code="moderation_blocked"),
        )
    )
    with pytest.raises(UpstreamError) as e:
        engine().edit(request())
    assert e.value.status == 400 and e.value.code == "moderation_blocked"
    assert "safety system" in e.value.message


def test_bring_your_own_key(fake):
    from retouch.engines import UpstreamError

    engine().edit(request(), options=EditOptions(api_key="sk-user-own"))
    assert fake.requests[0].headers["authorization"] == "Bearer sk-user-own"
    fake.script.append(Scripted(401, error("Incorrect API key provided: sk-bad.", code="invalid_api_key")))
    with pytest.raises(UpstreamError) as e:
        engine().edit(request(), options=EditOptions(api_key="sk-bad"))
    assert e.value.status == 401  # the caller's key: the caller's problem
    fake.script.append(Scripted(401, error("Incorrect API key provided.", code="invalid_api_key")))
    with pytest.raises(UpstreamError) as e:
        engine().edit(request())
    assert e.value.status == 503  # the operator's key: the service is misconfigured


def test_timeout_maps_to_504(fake):
    from retouch.engines import UpstreamError

    fake.script.append(Scripted(200, delay_s=1.5))
    with pytest.raises(UpstreamError) as e:
        engine(max_retries=0, timeout_s=0.3).edit(request())
    assert e.value.status == 504


def test_registry_names_and_readiness(fake, monkeypatch):
    assert {"builtin", "openai", "diffusers", "auto"} <= set(available_engines())
    assert get_engine("gpt-image-1.5").model == "gpt-image-1.5"
    assert get_engine("openai:gpt-image-1-mini").model == "gpt-image-1-mini"
    assert get_engine("openai").model == "gpt-image-2"
    assert get_engine("retouch-builtin").name == "builtin"
    with pytest.raises(OptionError):
        get_engine("no-such-model")
    ok, why = get_engine("openai").ready()
    assert ok and "OPENAI_API_KEY" in why
    monkeypatch.delenv("OPENAI_API_KEY")
    reset_engines()
    ok, why = get_engine("openai").ready()
    assert not ok and "OPENAI_API_KEY" in why
    configure_engine("openai", api_key="sk-from-settings", model=None)
    ok, why = get_engine("openai").ready()
    assert ok and "settings" in why


def test_request_model_overrides_the_default(fake):
    engine("gpt-image-2").edit(request(model="gpt-image-1.5"))
    assert fake.requests[0].fields["model"] == "gpt-image-1.5"
    engine("gpt-image-2").edit(request(model="openai"))  # an engine name: the default model
    assert fake.requests[1].fields["model"] == "gpt-image-2"


def test_upstream_sizes():
    r1, r2 = model_rules("gpt-image-1.5"), model_rules("gpt-image-2-2026-04-21")
    assert upstream_size(r1, 1000, 1000) == "1024x1024"
    assert upstream_size(r1, 900, 1600) == "1024x1536"
    assert upstream_size(r2, 1920, 1080) == "1920x1088"
    assert (
        upstream_size(r2, 4000, 3000).split("x")
        and eval(upstream_size(r2, 4000, 3000).replace("x", "*")) <= 2560 * 1440
    )
    w, h = (int(v) for v in upstream_size(r2, 5000, 1000).split("x"))  # beyond 3:1: clamped
    assert w / h <= 3.0 and w % 16 == 0 and h % 16 == 0
    w, h = (int(v) for v in upstream_size(r2, 100, 80).split("x"))  # small: up to the minimum
    assert w * h >= 655_360 and abs(w / h - 1.25) < 0.03
