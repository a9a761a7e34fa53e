"""`model=auto` routing: builtin-doable parts run on the builtin engine, the rest on a generative one."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from retouch.engines import (
    Capabilities,
    EditOptions,
    EngineSpec,
    configure_engine,
    get_engine,
    register_engine,
    reset_engines,
    unregister_engine,
)
from retouch.engines.generative import generative_plan
from retouch.engines.routing import route, split_units
from retouch.errors import UnsupportedInstruction
from retouch.schema import EditRequest, EditResult, Usage

from .conftest import photo_array


class FakeGenerative:
    """A generative engine that 'adds' things by painting the image's top-left quarter white."""

    name = "fakegen"
    capabilities = Capabilities(generative=True, mask_inpaint=True, models=("fake-1",))
    model = "fake-1"

    def __init__(self, model: str | None = None, **_: object) -> None:
        self.calls: list[tuple[EditRequest, EditOptions | None]] = []

    def plan(self, prompt: str, *, n_images: int = 1, has_mask: bool = False):
        return generative_plan(prompt, self.name, self.model)

    def ready(self) -> tuple[bool, str]:
        return True, "fake"

    def edit(self, request, *, progress=None, options=None) -> EditResult:
        self.calls.append((request, options))
        arr = decode(request.images[0]).copy()
        arr[: arr.shape[0] // 2, : arr.shape[1] // 2] = 255
        if progress:
            progress(0.5, "generating", png(arr))
        return EditResult(
            images=[png(arr)] * request.n,
            output_format="png",
            width=arr.shape[1],
            height=arr.shape[0],
            quality="medium",
            background="opaque",
            plan=self.plan(request.prompt),
            usage=Usage(input_tokens=10, output_tokens=100),
            engine=self.name,
        )


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture
def fakegen(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("RETOUCH_GENERATIVE_ENGINE", raising=False)
    register_engine(EngineSpec("fakegen", FakeGenerative, "test double"))
    reset_engines()
    configure_engine("auto", generative="fakegen")
    yield get_engine("fakegen")
    unregister_engine("fakegen")
    reset_engines()


@pytest.fixture
def no_generative(monkeypatch):
    monkeypatch.setenv("RETOUCH_GENERATIVE_ENGINE", "none")
    reset_engines()
    yield
    reset_engines()


def kinds(prompt: str, **kw) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in route(prompt, **kw).parts]


def test_split_units():
    assert [u.text for u in split_units("add sunglasses and increase contrast by 30%")] == [
        "add sunglasses",
        "increase contrast by 30%",
    ]
    units = split_units("crop to a square, then add a caption 'salt, pepper and oil'; warm it up")
    assert [u.text for u in units] == [
        "crop to a square",
        "add a caption 'salt, pepper and oil'",
        "warm it up",
    ]
    assert [u.sequential for u in units] == [False, True, False]
    assert [u.text for u in split_units("brighten by 1.5 stops. Then add a hat")] == [
        "brighten by 1.5 stops",
        "add a hat",
    ]


def test_routes():
    assert kinds("add sunglasses and increase contrast by 30%") == [
        ("generative", "add sunglasses"),
        ("builtin", "increase contrast by 30%"),
    ]
    # generative first even when written last: builtin edits are exact and must not be re-rendered
    assert kinds("increase the contrast by 30% and give him a cowboy hat") == [
        ("generative", "give him a cowboy hat"),
        ("builtin", "increase the contrast by 30%"),
    ]
    # units that only mean something together stay together
    assert kinds("make it black and white and add a party hat") == [
        ("generative", "add a party hat"),
        ("builtin", "make it black and white"),
    ]
    assert kinds("reduce the contrast and saturation, add a rainbow") == [
        ("generative", "add a rainbow"),
        ("builtin", "reduce the contrast and saturation"),
    ]
    # an explicit order is kept
    assert kinds("crop to a square, then add a party hat") == [
        ("builtin", "crop to a square"),
        ("generative", "add a party hat"),
    ]
    # builtin-only and generative-only instructions are not split
    assert kinds("brighten by 20%, add a vignette") == [("builtin", "brighten by 20%, add a vignette")]
    assert kinds("replace the dog with a cat") == [("generative", "replace the dog with a cat")]


def test_without_generative_engine_refuses_naming_the_parts(no_generative, photo_path):
    eng = get_engine("auto")
    with pytest.raises(UnsupportedInstruction) as e:
        eng.edit(EditRequest(images=[photo_path.read_bytes()], prompt="add sunglasses and increase contrast by 30%"))
    err = e.value
    assert err.fragment == "add sunglasses" and err.engine_hint == "generative"
    assert "“add sunglasses” needs a generative engine" in err.message
    assert "“increase contrast by 30%”" in err.message
    with pytest.raises(UnsupportedInstruction):
        eng.plan("add sunglasses")
    res = eng.edit(EditRequest(images=[photo_path.read_bytes()], prompt="increase contrast by 30%"))
    assert [s.op for s in res.plan.steps] == ["contrast"]  # builtin-only still works


def test_generative_then_builtin(fakegen):
    img = photo_array(96, 64)
    req = EditRequest(
        images=[png(img)],
        prompt="add sunglasses and make it black and white",
        n=2,
        output_format="jpeg",
        engine="auto",
    )
    events = []
    res = get_engine("auto").edit(req, progress=lambda f, s, p: events.append((f, s)), options=EditOptions(seed=5))
    ((gen_req, opts),) = fakegen.calls
    assert gen_req.prompt == "add sunglasses" and gen_req.output_format == "png" and gen_req.n == 2
    assert opts is not None and opts.seed == 5
    assert [s.op for s in res.plan.steps] == ["generate", "grayscale"]
    assert res.plan.steps[0].params == {"engine": "fakegen", "model": "fake-1"}
    assert len(res.images) == 2 and all(Image.open(io.BytesIO(b)).format == "JPEG" for b in res.images)
    out = decode(res.images[0]).astype(int)
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 3  # grayscale ran last
    assert out[:20, :30].mean() > 240  # on the generative result
    assert res.usage.output_tokens > 100 and res.engine == "auto"
    fractions = [f for f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_builtin_first_when_ordered(fakegen):
    img = photo_array(96, 64)
    req = EditRequest(images=[png(img)], prompt="crop to a square, then add a party hat")
    res = get_engine("auto").edit(req)
    ((gen_req, _),) = fakegen.calls
    assert decode(gen_req.images[0]).shape[:2] == (64, 64)  # the crop ran first
    assert [s.op for s in res.plan.steps] == ["crop_aspect", "generate"]


def test_builtin_only_never_reaches_the_generative_engine(fakegen, photo_path):
    res = get_engine("auto").edit(EditRequest(images=[photo_path.read_bytes()], prompt="brighten by 20%"))
    assert fakegen.calls == [] and [s.op for s in res.plan.steps] == ["brightness"]


def test_references_and_mask_reach_both_engines(fakegen):
    img = photo_array(64, 64)
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    req = EditRequest(
        images=[png(img), png(photo_array(32, 32, seed=3))],
        mask=png(mask),
        prompt="add a bird and brighten by 20%",
    )
    get_engine("auto").edit(req)
    ((gen_req, _),) = fakegen.calls
    assert len(gen_req.images) == 2 and gen_req.mask == req.mask
