"""Click to select in the editor (issue 13): a click on an object paints its mask, Shift-click adds
another, Alt-click takes one away, the brush still refines it, and the mask sent is exactly that."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ..service.helpers import ROOT, Server
from .conftest import browser_missing, shot
from .editor import add_images, open_editor, paint, run_and_capture
from .pixels import mask_alpha

sys.path.insert(0, str(ROOT / "bench"))

import vision_cases as vc

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

PAINTED = """async () => { const b = await window.retouch.mask.toBlob();
  return await new Promise(r => { const f = new FileReader(); f.onload = () => r(f.result); f.readAsDataURL(b); }); }"""


def click(page: Any, x: float, y: float, size: tuple[int, int], modifiers: list[str] | None = None) -> None:
    """Click the mask view at image pixel (x, y) and wait for the selection to land."""
    box = page.locator("#mask-canvas").bounding_box()
    assert box and box["width"] > 50
    before = page.evaluate("() => window.retouch.mask.undoStack.length")
    for key in modifiers or []:
        page.keyboard.down(key)
    page.mouse.click(box["x"] + (x + 0.5) * box["width"] / size[0], box["y"] + (y + 0.5) * box["height"] / size[1])
    for key in modifiers or []:
        page.keyboard.up(key)
    page.wait_for_function("n => window.retouch.mask.undoStack.length > n && "
                           "!document.querySelector('#mask-wrap').hasAttribute('aria-busy')", arg=before)


def selected(page: Any) -> np.ndarray:
    """The painted area as the page would send it (True = edit)."""
    return mask_alpha(page.evaluate(PAINTED)) < 128


def test_click_shift_click_alt_click_and_brush(context: Any, web_server: Server, tmp_path: Path) -> None:
    case = vc.pair_case("mug", "metal", "plain")  # a mug on the left, a silver can on the right
    h, w = case.alpha.shape
    Image.fromarray(case.image).save(tmp_path / "pair.png")
    mug = case.alpha > 0.5
    can = vc.product_case("metal", "plain", size=256).alpha > 0.5
    can = np.concatenate([np.zeros_like(can), can], 1)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "pair.png")
    page.click("label:has(> input[name=mask-tool][value=select])")
    assert page.locator("#mask-canvas").evaluate("c => getComputedStyle(c).cursor") == "crosshair"

    click(page, *case.click, (w, h))  # the mug
    sel = selected(page)
    assert vc.iou(sel.astype(np.float32), mug.astype(np.float32)) >= 0.85
    assert not (sel & can).any()
    assert "Only the painted area" in page.inner_text("#mask-status")

    cx, cy = vc.click_point(can.astype(np.float32))
    click(page, cx, cy, (w, h), ["Shift"])  # add the can
    both = selected(page)
    assert vc.iou(both.astype(np.float32), (mug | can).astype(np.float32)) >= 0.85

    click(page, *case.click, (w, h), ["Alt"])  # take the mug away again
    only_can = selected(page)
    assert vc.iou(only_can.astype(np.float32), can.astype(np.float32)) >= 0.85 and not (only_can & mug).any()
    shot(page, "editor-select")

    page.click("#mask-undo")  # a selection is one undo step
    assert vc.iou(selected(page).astype(np.float32), (mug | can).astype(np.float32)) >= 0.85

    # still a painted mask: the brush adds to it, and the edit gets exactly this mask
    page.click("label:has(> input[name=mask-tool][value=brush])")
    page.fill("#mask-size", "12")
    paint(page, [(0.05, 0.05, 0.2, 0.05)])
    final = selected(page)
    assert final[: h // 8, : w // 4].any() and (final & mug).sum() >= 0.95 * (both & mug).sum()
    page.fill("#prompt", "make it black and white")
    page.wait_for_selector("#plan-steps li")
    sent = mask_alpha(run_and_capture(page)["mask"]) < 128
    assert np.array_equal(sent, final)
    assert not page.errors


def test_a_failed_selection_says_why(context: Any, web_server: Server, tmp_path: Path) -> None:
    """The server's error (here: the page's session is gone) shows under the mask; nothing changes."""
    Image.fromarray(vc.product_case("red", "light", size=128).image).save(tmp_path / "red.png")
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "red.png")
    page.click("label:has(> input[name=mask-tool][value=select])")
    context.clear_cookies()
    box = page.locator("#mask-canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#mask-error:not(:empty)")
    assert not selected(page).any()
    assert not page.errors
