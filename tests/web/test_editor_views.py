"""The editor's views (issue 12): before/after between any two versions, and a mask view that
zooms and pans, with a brush outline of the brush's size, painting exactly at any zoom."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ..service.helpers import Server
from .conftest import browser_missing, shot
from .editor import add_images, download, open_editor, run_and_capture, run_edit
from .pixels import grayness, mask_alpha, rgb, write_photo

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")


def test_compare_any_two_versions(context: Any, web_server: Server, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "photo.png", 240, 180, seed=8)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    run_edit(page, "make it black and white", 1)
    page.click("button.node[data-number='0']")
    page.wait_for_selector("#base-line:has-text('original')")
    run_edit(page, "invert the colors", 2)  # a sibling of version 1
    # By default a version is compared with the one it came from.
    assert page.locator("#compare-before option:checked").inner_text().startswith("Original")
    assert page.locator("#compare-after option:checked").inner_text().startswith("Version 2")
    # Pick version 1 as before: black and white left of the line, inverted colours right of it.
    page.select_option(
        "#compare-before", label=page.locator("#compare-before option", has_text="Version 1").inner_text()
    )
    page.wait_for_selector("#compare-caption:has-text('compared with version 1')")
    assert page.inner_text("#tag-before") == "Version 1" and page.inner_text("#tag-after") == "Version 2"
    page.locator("#compare-split").fill("50")
    view = rgb(page.locator("#compare").screenshot())
    h, w = view.shape[:2]
    left, right = view[h // 8 : -h // 8, w // 10 : w // 2 - 8], view[h // 8 : -h // 8, w // 2 + 8 : -w // 10]
    assert grayness(left).mean() < 4, grayness(left).mean()  # version 1: black and white
    assert grayness(right).mean() > 20  # version 2: inverted colours
    # Download takes the "after" side: version 2, the inverse of the original.
    v2, name = download(page, "#download")
    assert name == "photo-v2.png"
    assert np.abs(rgb(v2) - (255 - photo.astype(np.int16))).max() <= 1
    # Swap: version 2 before, version 1 after; "Edit this result" then starts from version 1.
    page.click("#compare-swap")
    page.wait_for_selector("#tag-after:has-text('Version 1')")
    shot(page, "08-compare-versions", doc=True)
    page.click("#edit-result")
    page.wait_for_selector("#base-line:has-text('version 1')")
    assert not page.errors  # type: ignore[attr-defined]


def canvas_point(page: Any, x: float, y: float, size: tuple[int, int]) -> tuple[float, float]:
    """Screen coordinates of the centre of image pixel (x, y) at the current zoom and pan."""
    box = page.locator("#mask-canvas").bounding_box()
    return box["x"] + (x + 0.5) / size[0] * box["width"], box["y"] + (y + 0.5) / size[1] * box["height"]


def stroke(page: Any, a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=6)
    page.mouse.up()


def zoom_value(page: Any) -> int:
    return int(page.inner_text("#mask-zoom-value").rstrip("%"))


def test_mask_view_zooms_pans_and_paints_pixel_exact(context: Any, web_server: Server, tmp_path: Path) -> None:
    size = (320, 240)
    write_photo(tmp_path / "photo.png", *size, seed=9)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    page.locator("#mask-size").fill("6")
    assert page.inner_text("#mask-size-value") == "6 px"

    def outline() -> float:
        """The brush outline's diameter over the image's on-screen pixel size."""
        page.mouse.move(*canvas_point(page, 160, 120, size))
        page.wait_for_selector("#brush-cursor:visible")
        d = page.locator("#brush-cursor").bounding_box()["width"]
        return d / (page.locator("#mask-canvas").bounding_box()["width"] / size[0])

    assert outline() == pytest.approx(6, abs=0.2)
    # Ctrl+wheel zooms about the pointer: the pixel under it stays under it.
    target = canvas_point(page, 200, 100, size)
    page.mouse.move(*target)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -420)
    page.keyboard.up("Control")
    page.wait_for_function("() => document.querySelector('#mask-zoom-value').textContent !== '100%'")
    assert zoom_value(page) >= 300
    after = canvas_point(page, 200, 100, size)
    assert abs(after[0] - target[0]) < 2 and abs(after[1] - target[1]) < 2
    assert outline() == pytest.approx(6, abs=0.2)  # same brush, drawn at the zoom: a bigger circle
    assert page.locator("#brush-cursor").bounding_box()["width"] > 6 * 3 * 1.5
    # Paint a line at zoom: image pixels (190..230, 100).
    stroke(page, canvas_point(page, 190, 100, size), canvas_point(page, 230, 100, size))
    page.wait_for_selector("#mask-clear:enabled")
    # Space+drag pans (and paints nothing, and does not press the focused Invert button);
    # then paint a dot where the pan brought us.
    before_pan = page.locator("#mask-canvas").bounding_box()
    page.focus("#mask-invert")
    page.mouse.move(*canvas_point(page, 200, 120, size))
    page.keyboard.down(" ")
    stroke(page, canvas_point(page, 200, 120, size), canvas_point(page, 230, 90, size))
    page.keyboard.up(" ")
    moved = page.locator("#mask-canvas").bounding_box()
    assert moved["x"] != before_pan["x"] and moved["y"] != before_pan["y"]
    dot = canvas_point(page, 170, 130, size)
    stroke(page, dot, dot)
    shot(page, "09-mask-zoomed", doc=True)
    # The keyboard: 0 on the focused view fits again.
    page.focus("#mask-wrap")
    page.keyboard.press("0")
    assert zoom_value(page) == 100

    page.fill("#prompt", "make it black and white")
    page.wait_for_selector("#plan-steps li:has-text('painted area')")
    alpha = mask_alpha(run_and_capture(page)["mask"])
    assert alpha.shape == (240, 320)
    edit = alpha < 128
    yy, xx = np.mgrid[0:240, 0:320]
    # Distance of each pixel's centre from the line and from the dot.
    d_line = np.hypot(xx - np.clip(xx, 190, 230), yy - 100)
    d_dot = np.hypot(xx - 170, yy - 130)
    near = np.minimum(d_line, d_dot)
    assert edit[near <= 2].all()  # the 6 px brush covers 3 px on each side of its path
    assert not edit[near >= 4.5].any()  # and nothing further: no pan painted, no offset at zoom
    assert edit[98:103, 190:231].all() and edit[128:133, 168:173].all()


def test_mask_view_pinch_zooms_with_two_fingers_and_the_first_finger_paints_nothing(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    write_photo(tmp_path / "photo.png", 320, 240, seed=10)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    box = page.locator("#mask-canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # Touch pointers as a phone sends them: one finger down (a stroke starts), a second one,
    # then both move apart (a pinch): the view zooms and the stroke is taken back.
    page.evaluate(
        """([cx, cy]) => {
             const c = document.querySelector('#mask-canvas');
             const ev = (type, id, x, y) => c.dispatchEvent(new PointerEvent(type, {
               pointerId: id, pointerType: 'touch', isPrimary: id === 1, clientX: x, clientY: y,
               button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1,
               bubbles: true, cancelable: true, composed: true }));
             ev('pointerdown', 1, cx - 20, cy);
             ev('pointermove', 1, cx - 24, cy);
             ev('pointerdown', 2, cx + 20, cy);
             for (let i = 1; i <= 5; i++) {
               ev('pointermove', 1, cx - 24 - 12 * i, cy);
               ev('pointermove', 2, cx + 20 + 12 * i, cy);
             }
             ev('pointerup', 1, cx - 84, cy);
             ev('pointerup', 2, cx + 80, cy);
           }""",
        [cx, cy],
    )
    assert zoom_value(page) > 250
    assert page.is_disabled("#mask-clear")  # nothing painted


def test_the_mask_hooks_set_the_painted_area_from_a_picture(context: Any, web_server: Server, tmp_path: Path) -> None:
    """What a selection tool uses: applyMask() from any picture's alpha, one undo step."""
    write_photo(tmp_path / "photo.png", 160, 120, seed=11)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    # the mask view takes the picture's size once it has loaded it (applyMask before that does nothing)
    page.wait_for_function("() => window.retouch.mask.realWidth > 0")
    # A quarter-size picture whose left half is opaque: the left half of the image is selected.
    page.evaluate(
        """() => { const c = new OffscreenCanvas(40, 30); const g = c.getContext('2d');
                   g.fillRect(0, 0, 20, 30); window.retouch.mask.applyMask(c, {mode: 'replace'}); }"""
    )
    page.wait_for_selector("#mask-clear:enabled")
    page.fill("#prompt", "make it black and white")
    page.wait_for_selector("#plan-steps li:has-text('painted area')")
    alpha = mask_alpha(run_and_capture(page)["mask"])
    assert (alpha[:, :78] == 0).all() and (alpha[:, 82:] == 255).all()
    page.wait_for_selector("#compare-caption:has-text('Version 1')")
    png = Image.open(io.BytesIO(download(page, "#download")[0]))
    assert png.size == (160, 120)
