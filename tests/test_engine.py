"""The builtin engine end to end: plan → ops → size/background options → encoded output."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import retouch
from retouch.engines import builtin
from retouch.errors import OptionError
from retouch.schema import EditPlan, PlanStep

from .conftest import photo_array


def decode(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    return np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))


def lum(a: np.ndarray) -> np.ndarray:
    a = a[..., :3].astype(np.float64)
    return 0.2126 * a[..., 0] + 0.7152 * a[..., 1] + 0.0722 * a[..., 2]


def test_edit_returns_plan_usage_and_timings():
    img = photo_array()
    res = retouch.edit(img, "brighten by 20%")
    out = decode(res.images[0])
    assert out.shape == img.shape
    assert 1.12 <= lum(out).mean() / lum(img).mean() <= 1.28
    assert [s.op for s in res.plan.steps] == ["brightness"]
    assert res.usage.output_tokens > 0 and res.usage.input_image_tokens > 0
    assert {"decode", "ops", "encode", "total"} <= set(res.timings_ms)


def test_strips_equal_whole_image(monkeypatch):
    """Pixel ops stitched from many strips give the same pixels as one pass."""
    img = photo_array(300, 200, seed=3)
    plan = EditPlan(prompt="x", steps=[
        PlanStep(op="contrast", params={"amount": 0.3}), PlanStep(op="saturation", params={"amount": 0.4}),
        PlanStep(op="vignette", params={"amount": 0.5}), PlanStep(op="grain", params={"amount": 0.3, "seed": 1}),
    ])
    whole = builtin.run_plan(img, plan, [img])
    monkeypatch.setattr(builtin, "STRIP_PIXELS", 300 * 7)      # 29 strips of 7 rows
    strips = builtin.run_plan(img, plan, [img])
    assert np.abs(whole.astype(int) - strips.astype(int)).max() <= 1


def test_mask_outside_is_bit_identical_and_inside_changes():
    img = photo_array(200, 160, seed=1)
    mask = np.zeros((160, 200, 4), np.uint8)
    mask[..., 3] = 255
    mask[40:120, 50:150, 3] = 0                        # OpenAI convention: alpha 0 = edit
    res = retouch.edit(img, "make it much warmer and add a strong vignette", mask=mask)
    out = decode(res.images[0])
    outside = mask[..., 3] == 255
    assert np.array_equal(out[outside], img[outside])
    inside = mask[..., 3] == 0
    d = (out[..., 0].astype(int) - out[..., 2]) - (img[..., 0].astype(int) - img[..., 2])
    assert d[inside].mean() > 8


def test_size_option_gives_exact_size():
    res = retouch.edit(photo_array(320, 240), "increase the saturation slightly", size="1024x1536")
    assert decode(res.images[0]).shape[:2] == (1536, 1024)
    assert (res.width, res.height) == (1024, 1536)


@pytest.mark.parametrize("alias,wh", [("1:1", (1024, 1024)), ("3:2", (1536, 1024)), ("2:3", (1024, 1536))])
def test_size_aliases(alias, wh):
    res = retouch.edit(photo_array(160, 120), "brighten a bit", size=alias)
    assert (res.width, res.height) == wh


def test_background_opaque_flattens_alpha():
    rgba = np.dstack([photo_array(64, 48), np.full((48, 64), 128, np.uint8)])
    res = retouch.edit(rgba, "brighten slightly", background="opaque")
    assert decode(res.images[0]).shape[2] == 3


def test_alpha_input_is_kept():
    alpha = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (48, 1))
    rgba = np.dstack([photo_array(64, 48), alpha])
    out = decode(retouch.edit(rgba, "increase the contrast").images[0])
    assert out.shape[2] == 4 and np.array_equal(out[..., 3], alpha)


@pytest.mark.parametrize("fmt,pil", [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_output_formats(fmt, pil):
    res = retouch.edit(photo_array(64, 48), "brighten", output_format=fmt)
    assert Image.open(io.BytesIO(res.images[0])).format == pil


def test_n_outputs_written(tmp_path):
    res = retouch.edit(photo_array(64, 48), "brighten", n=3, output=tmp_path / "o.png")
    assert len(res.images) == 3
    assert all((tmp_path / f).exists() for f in ("o.png", "o-2.png", "o-3.png"))


def test_transparent_with_jpeg_is_refused():
    with pytest.raises(OptionError, match="transparent"):
        retouch.edit(photo_array(64, 48), "brighten", background="transparent", output_format="jpeg")


def test_explain_is_serialisable():
    plan = retouch.explain("raise the contrast by 20%, make it warmer and add a gentle vignette")
    assert [s.op for s in plan.steps] == ["contrast", "temperature", "vignette"]
    again = EditPlan.model_validate_json(plan.model_dump_json())
    assert again == plan


def test_ops_resolve_after_one_op_module_was_imported_alone():
    """Importing one op module registers only its ops; the executor must still find the rest."""
    import subprocess
    import sys

    code = ("import retouch.ops.background; from retouch.ops.registry import OPS, get_op; "
            "assert 'rotate' not in OPS; print(get_op('rotate').name)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.strip() == "rotate"
