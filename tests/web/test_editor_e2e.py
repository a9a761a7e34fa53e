"""The editor end to end in headless Chromium against a real `retouch serve`:

upload → paint a mask → edit → compare → download (pixels checked against the mask that was
sent) → edit the result → go back a version and branch → reload (history kept) → batch of
three → zip (pixels checked); and the error paths (refused instruction, bad file, no credits)
where nothing the user did is lost.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..service.helpers import Server
from .conftest import browser_missing, shot, sign_in
from .editor import download, paint, run_and_capture, too_wide, wait_ready
from .pixels import grayness, mask_alpha, rgb, write_photo

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")


def test_edit_compare_iterate_branch_batch(context: Any, web_server: Server, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "photo.png", 320, 240, seed=3)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # The one-time login link printed by `retouch serve` lands on the editor.
    assert web_server.login_url
    page.goto(web_server.login_url)
    page.wait_for_selector("body[data-ready]")
    assert page.url.rstrip("/") == web_server.base_url
    shot(page, "01-start")

    # ---- upload, mask, instruction, plan and estimate
    page.set_input_files("#file-input", str(tmp_path / "photo.png"))
    wait_ready(page, 1)
    page.wait_for_selector("#tray li.first .role:has-text('To edit · 320×240')")
    # Mask tools: a stroke, undo it, paint the real mask, invert twice (back to the same).
    paint(page, [(0.6, 0.2, 0.9, 0.8)])
    page.wait_for_selector("#mask-clear:enabled")
    page.click("#mask-undo")
    page.wait_for_selector("#mask-clear:disabled")
    paint(page, [(0.08, y, 0.42, y) for y in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)])
    page.wait_for_selector("#mask-clear:enabled")
    page.click("#mask-invert")
    page.click("#mask-invert")
    assert "Only the painted area" in page.inner_text("#mask-status")
    page.fill("#prompt", "make it black and white")
    page.wait_for_selector("#plan-steps li:has-text('Grayscale')")
    assert "painted area" in page.inner_text("#plan-steps")
    page.wait_for_selector("#estimate:has-text('credits')")
    assert "320×240" in page.inner_text("#estimate")
    shot(page, "02-mask-and-plan", doc=True)

    # ---- edit → compare (progress over the job's SSE stream)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    job = run_and_capture(page)
    assert job["mode"] == "edit" and job["prompt"] == "make it black and white"
    assert job["images"][0].startswith("file-") and job["metadata"]["ui_tree"].startswith("tree_")
    alpha = mask_alpha(job["mask"])
    assert alpha.shape == (240, 320)
    page.wait_for_selector("#panel-compare:not([hidden])")
    page.wait_for_selector("#compare-caption:has-text('Version 1')")
    assert any(u.endswith("/events") and "/v1/jobs/job_" in u for u in requested)
    # The split and zoom work from the keyboard.
    page.focus("#compare-split")
    page.keyboard.press("ArrowLeft")
    assert int(page.input_value("#compare-split")) < 50
    page.click("#zoom-in")
    assert page.inner_text("#zoom-value") == "150%"
    page.click("#zoom-fit")
    page.locator("#compare-split").fill("22")  # the painted (now gray) area is right of the line
    shot(page, "03-compare", doc=True)

    # ---- download: outside the mask unchanged bit for bit, inside black and white
    v1_bytes, v1_name = download(page, "#download")
    assert v1_name == "photo-v1.png"
    v1 = rgb(v1_bytes)
    assert v1.shape == photo.shape
    keep, edit = alpha == 255, alpha == 0
    assert keep.sum() > 30_000 and edit.sum() > 5_000
    assert np.array_equal(v1[keep], photo[keep])
    assert grayness(v1)[edit].max() <= 2
    assert grayness(photo.astype(np.int16))[edit].mean() > 20  # it was colourful there

    # ---- edit this result
    page.click("#edit-result")
    page.wait_for_selector("#panel-edit:not([hidden])")
    assert "version 1" in page.inner_text("#base-line")
    assert page.is_disabled("#mask-clear")  # a new base starts without a mask
    page.fill("#prompt", "increase brightness by 20%")
    page.wait_for_selector("#plan-steps li:has-text('Brightness')")
    job2 = run_and_capture(page)
    assert "mask" not in job2 and job2["metadata"]["ui_parent"] != job["metadata"]["ui_parent"]
    page.wait_for_selector("#compare-caption:has-text('Version 2')")
    v2 = rgb(download(page, "#download")[0])
    assert v2.mean() > v1.mean() + 8

    # ---- go back to version 1 and branch from it
    page.click("button.node[data-number='1']")
    page.wait_for_selector("#base-line:has-text('version 1')")
    assert page.get_attribute("button.node[data-number='1']", "aria-current") == "true"
    v1_again, _ = download(page, "#download")
    assert v1_again == v1_bytes
    page.fill("#prompt", "invert the colors")
    page.wait_for_selector("#plan-steps li:has-text('Invert')")
    run_and_capture(page)
    page.wait_for_selector("#compare-caption:has-text('Version 3')")
    v3 = rgb(download(page, "#download")[0])
    assert np.abs(v3 - (255 - v1)).max() <= 1
    # Version 3 is a sibling of version 2: both hang under version 1.
    under_v1 = "li:has(> button[data-number='1']) > ul > li > button"
    assert sorted(page.locator(under_v1).evaluate_all("bs => bs.map(b => b.dataset.number)")) == ["2", "3"]

    # ---- reload: history, tray, instruction and options are all still there
    page.select_option("#opt-quality", "high")
    page.reload()
    page.wait_for_selector("#tree button.node[data-number='3']")
    assert page.locator("#tree button.node").count() == 4
    assert page.get_attribute("button.node[data-number='3']", "aria-current") == "true"
    assert page.input_value("#prompt") == "invert the colors"
    assert page.input_value("#opt-quality") == "high"
    wait_ready(page, 1)
    shot(page, "04-history", doc=True, full_page=True)

    # ---- batch of three → grid → zip
    write_photo(tmp_path / "second.png", 200, 160, seed=5)
    write_photo(tmp_path / "third.png", 240, 240, seed=7)
    page.set_input_files("#file-input", [str(tmp_path / "second.png"), str(tmp_path / "third.png")])
    wait_ready(page, 3)
    page.fill("#prompt", "convert to grayscale")
    page.wait_for_selector("#run-batch:has-text('Batch all 3')")
    batch_job = run_and_capture(page, "#run-batch")
    assert batch_job["mode"] == "batch" and len(batch_job["images"]) == 3 and "mask" not in batch_job
    page.wait_for_selector("#batch-zip:not([hidden])")
    assert page.locator("#batch-grid li.done").count() == 3
    page.locator("#batch").scroll_into_view_if_needed()
    shot(page, "05-batch", doc=True)
    data, zip_name = download(page, "#batch-zip")
    assert zip_name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = sorted(z.namelist())
        assert names == ["photo-edited.png", "second-edited.png", "third-edited.png"]
        sizes = {"photo-edited.png": (240, 320), "second-edited.png": (160, 200), "third-edited.png": (240, 240)}
        for name in names:
            out = rgb(z.read(name))
            assert out.shape[:2] == sizes[name]
            assert grayness(out).max() <= 2, name

    # ---- recent jobs and credits reflect all of it
    page.click("#jobs-refresh")
    page.wait_for_selector("#jobs tbody tr:has-text('batch of 3')")
    assert page.locator("#jobs tbody tr .status-succeeded").count() >= 4
    assert int(page.inner_text("#stat-images").replace(",", "")) >= 6
    # A recent edit reopens in its history, compared with the version it came from.
    page.click("#jobs tbody tr:has-text('make it black and white') button")
    page.wait_for_selector("#compare-caption:has-text('Version 1')")
    assert page.get_attribute("button.node[data-number='1']", "aria-current") == "true"
    assert not errors, errors


def test_errors_are_shown_where_they_belong_and_nothing_is_lost(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    write_photo(tmp_path / "photo.png", 160, 120, seed=11)
    page = context.new_page()
    page.goto(web_server.base_url + "/")

    # Without a session the page asks for a key; a wrong one is refused next to the field.
    page.wait_for_selector("#signin:not([hidden])")
    page.fill("#signin-key", "rt_live_not-a-key")
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#signin-error:has-text('not valid')")
    page.fill("#signin-key", web_server.admin_key or "")
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-ready]")

    # A file that is not an image: refused next to it (and not added); the good one is unaffected.
    (tmp_path / "notes.png").write_bytes(b"not an image")
    write_photo(tmp_path / "second.png", 80, 60, seed=12)
    page.set_input_files(
        "#file-input", [str(tmp_path / "photo.png"), str(tmp_path / "notes.png"), str(tmp_path / "second.png")]
    )
    page.wait_for_selector("#tray li .error:has-text('Not an image')")
    wait_ready(page, 3)
    # Reorder by dragging, and back with the keyboard-reachable buttons.
    page.drag_and_drop("#tray li:nth-child(2)", "#tray li:nth-child(1)")
    page.wait_for_selector("#tray li.first .name:has-text('second.png')")
    page.click("#tray li.first button[data-action='down']")
    page.wait_for_selector("#tray li.first .name:has-text('photo.png')")
    page.click("#tray li:has-text('notes.png') button[data-action='remove']")  # dismissed
    page.click("#tray li:has-text('second.png') button[data-action='remove']")
    page.wait_for_selector("#tray-notice:has-text('second.png removed')")
    wait_ready(page, 1)
    # Paste an image from the clipboard, then remove it again.
    page.evaluate(
        """async () => {
             const c = new OffscreenCanvas(40, 30);
             c.getContext('2d').fillRect(0, 0, 40, 30);
             const dt = new DataTransfer();
             dt.items.add(new File([await c.convertToBlob()], 'pasted.png', {type: 'image/png'}));
             document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true}));
           }"""
    )
    page.wait_for_selector("#tray li:nth-child(2) .role:has-text('Reference 1 · 40×30')")
    wait_ready(page, 2)
    page.click("#tray li:nth-child(2) button[data-action='remove']")
    wait_ready(page, 1)

    # A refused instruction: the plan says so under the prompt, naming the part it cannot do.
    paint(page, [(0.2, 0.5, 0.8, 0.5)])
    prompt = "add a dragon flying in the sky"
    page.fill("#prompt", prompt)
    page.wait_for_selector("#prompt-error:has-text('Cannot do')")
    assert page.inner_text("#prompt-error mark") == prompt
    assert page.get_attribute("#prompt", "aria-invalid") == "true"
    # Edit waits for an instruction the engine can do, and says so.
    assert "generative" in page.inner_text("#prompt-error")
    assert page.is_disabled("#run") and "cannot do" in page.inner_text("#run-hint")
    shot(page, "06-error", doc=True)
    # Nothing lost: instruction, images and mask are as they were.
    assert page.input_value("#prompt") == prompt
    assert page.locator("#tray li").count() == 1
    assert page.is_enabled("#mask-clear")
    # The server refuses the same instruction with the same words, in the same place (a job
    # submitted by the page while the plan was still on its way, say).
    page.fill("#prompt", "make it sepia")
    page.wait_for_selector("#run:enabled")
    page.route(
        "**/ui/api/plan",
        lambda route: route.fulfill(json={"object": "plan", "steps": [], "model": "builtin", "engine": "builtin"}),
    )
    page.fill("#prompt", prompt)
    page.wait_for_selector("#plan-note:has-text('Nothing to do')")
    with page.expect_response(lambda r: r.url.endswith("/v1/jobs") and r.request.method == "POST") as resp:
        page.click("#run")
    assert resp.value.status == 400
    page.wait_for_selector("#prompt-error:has-text('generative')")
    assert page.inner_text("#run-error") == ""
    assert page.input_value("#prompt") == prompt and page.is_enabled("#mask-clear")
    page.unroute("**/ui/api/plan")

    # Not enough credits: said next to the Run button, and in the estimate before running.
    poor = web_server.new_key(credits=0, tier="standard")["key"]
    ctx2 = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        sign_in(ctx2, web_server, poor)
        p2 = ctx2.new_page()
        p2.goto(web_server.base_url + "/")
        p2.wait_for_selector("body[data-ready]")
        p2.set_input_files("#file-input", str(tmp_path / "photo.png"))
        wait_ready(p2, 1)
        p2.fill("#prompt", "make it sepia")
        p2.wait_for_selector("#estimate.short:has-text('not enough credits')")
        assert p2.is_disabled("#run") and "credits" in p2.inner_text("#run-hint")
        assert p2.input_value("#prompt") == "make it sepia"
    finally:
        ctx2.close()


def test_narrow_dark_screen_keyboard_and_labels(browser: Any, web_server: Server, tmp_path: Path) -> None:
    write_photo(tmp_path / "phone.png", 120, 160, seed=2)
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True, color_scheme="dark"
    )
    try:
        sign_in(ctx, web_server)
        page = ctx.new_page()
        page.goto(web_server.base_url + "/")
        page.wait_for_selector("body[data-ready]")
        # One column, nothing wider than the screen.
        assert too_wide(page) == []
        # Every visible control has an accessible name.
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea, button')]
                 .filter(el => el.offsetParent !== null || el.type === 'file')
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                               && !el.getAttribute('aria-labelledby') && !el.textContent.trim())
                 .map(el => el.id || el.outerHTML.slice(0, 60))"""
        )
        assert unlabelled == []
        page.set_input_files("#file-input", str(tmp_path / "phone.png"))
        wait_ready(page, 1)
        # Keyboard only: type the instruction and run it with Ctrl+Enter.
        page.focus("#prompt")
        page.keyboard.type("make it sepia")
        page.wait_for_selector("#plan-steps li:has-text('Sepia')")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#compare-caption:has-text('Version 1')")
        assert too_wide(page) == []
        page.evaluate("document.querySelector('.stage').scrollIntoView()")
        shot(page, "07-narrow", doc=True)
    finally:
        ctx.close()


def test_a_batch_shows_the_image_it_could_not_edit(context: Any, web_server: Server, tmp_path: Path) -> None:
    from PIL import Image

    write_photo(tmp_path / "shoe.png", 200, 160, seed=5)
    Image.new("RGB", (120, 90), (128, 128, 128)).save(tmp_path / "blank.png")  # nothing to cut out
    sign_in(context, web_server)
    page = context.new_page()
    page.goto(web_server.base_url + "/")
    page.wait_for_selector("body[data-ready]")
    page.set_input_files("#file-input", [str(tmp_path / "shoe.png"), str(tmp_path / "blank.png")])
    wait_ready(page, 2)
    page.fill("#prompt", "remove the background")
    page.wait_for_selector("#run-batch:has-text('Batch all 2')")
    run_and_capture(page, "#run-batch")
    page.wait_for_selector("#batch-zip:not([hidden])")
    assert page.locator("#batch-grid li.done").count() == 1
    failed = page.locator("#batch-grid li.failed")
    assert failed.count() == 1 and "blank.png" in failed.inner_text()
    assert "Not edited" in failed.inner_text() and "subject" in failed.inner_text()
    assert "1 of 2 images (1 not edited)" in page.inner_text("#batch-status")
    page.wait_for_selector("#jobs tbody tr:first-child:has-text('batch of 2 (1 not edited)')")
    data, _ = download(page, "#batch-zip")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == ["shoe-edited.png"]
