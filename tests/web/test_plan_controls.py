"""Tweak the plan, don't retype (issue 12): each step of the shown plan has controls built from
the op spec; an edited plan runs instead of the instruction's, in pixels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import retouch

from ..service.helpers import Server
from .conftest import browser_missing, shot, sign_in
from .editor import DESKTOP, PHONE, add_images, download, focused, open_editor, run_and_capture, too_wide
from .pixels import grayness, rgb, write_photo

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

LUMA = np.array([0.299, 0.587, 0.114])


def plan_for(page: Any, prompt: str, steps: int) -> None:
    """Type an instruction and wait for its plan's controls."""
    page.fill("#prompt", prompt)
    page.wait_for_function("n => document.querySelectorAll('#plan-steps .step-x').length === n", arg=steps)


def run_version(page: Any, number: int) -> tuple[dict[str, Any], np.ndarray]:
    """Run the edit; the job the page sent and the pixels of the version it made."""
    page.wait_for_selector("#run:not([disabled])")
    job = run_and_capture(page)
    page.wait_for_selector(f"#compare-caption:has-text('Version {number}')")
    return job, rgb(download(page, "#download")[0])


def test_a_slider_change_gives_the_pixels_of_the_typed_instruction(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    photo = write_photo(tmp_path / "photo.png", 240, 180, seed=8)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    plan_for(page, "increase contrast by 20%", 1)
    slider, number = page.locator("#plan-steps input[type=range]"), page.locator("#p0-amount")
    # The range is the op spec's (contrast amount -1..3), the value the plan's.
    assert (slider.get_attribute("min"), slider.get_attribute("max"), number.input_value()) == ("-1", "3", "0.2")
    assert page.locator("#plan-edited").is_hidden()
    slider.fill("0.4")
    page.wait_for_selector("#plan-edited:visible")
    assert number.input_value() == "0.4" and "amount +40%" in page.inner_text("#plan-steps")
    page.wait_for_selector("#estimate:has-text('Costs about')")  # priced again, for the edited plan
    job, edited = run_version(page, 1)
    assert job["prompt"] == "increase contrast by 20%"
    assert job["plan"]["steps"] == [
        {"op": "contrast", "params": {"amount": 0.4}, "region": "all", "text": "increase contrast by 20%"}
    ]
    label = page.evaluate("() => window.retouch.state.tree.versions.find(v => v.number === 1).prompt")
    assert label == "increase contrast by 20% — edited plan: contrast amount=+0.40"
    # The same edit typed, from the original: a new instruction drops the edited plan.
    page.click("button.node[data-number='0']")
    page.wait_for_selector("#base-line:has-text('original')")
    plan_for(page, "increase contrast by 40%", 1)
    assert page.locator("#plan-edited").is_hidden() and number.input_value() == "0.4"
    job, typed = run_version(page, 2)
    assert "plan" not in job
    assert np.abs(edited - typed).max() <= 1
    # and it is +40% contrast, not the +20% the text said
    spread = (edited @ LUMA).std() / (photo.astype(np.float64) @ LUMA).std()
    assert 1.3 < spread < 1.45, spread
    assert not page.errors  # type: ignore[attr-defined]


def test_removing_a_step_removes_its_effect(context: Any, web_server: Server, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "photo.png", 240, 180, seed=3)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    plan_for(page, "make it black and white and increase brightness by 20%", 2)
    # With the keyboard: Enter on the first step's remove button; focus moves to the next one.
    page.focus("#plan-steps .step-x >> nth=0")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#plan-steps .step-x').length === 1")
    assert "Remove step 1, brightness" in focused(page)
    assert "Grayscale" not in page.inner_text("#plan-steps")
    job, out = run_version(page, 1)
    assert [s["op"] for s in job["plan"]["steps"]] == ["brightness"]
    # Colours kept (no black and white), and exactly the pixels of the brightness step alone.
    assert grayness(out).mean() > 0.8 * grayness(photo.astype(np.int16)).mean() > 10
    alone = rgb(retouch.edit(tmp_path / "photo.png", "increase brightness by 20%").images[0])
    assert np.abs(out - alone).max() <= 1
    # Back to the instruction's plan: both steps again, the text's plan runs.
    page.click("#plan-reset")
    page.wait_for_function("() => document.querySelectorAll('#plan-steps .step-x').length === 2")
    assert page.locator("#plan-edited").is_hidden() and focused(page).startswith("TEXTAREA#prompt")
    assert not page.errors  # type: ignore[attr-defined]


def test_a_colour_well_changes_the_measured_background(context: Any, web_server: Server, tmp_path: Path) -> None:
    write_photo(tmp_path / "photo.png", 240, 180, seed=8)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    plan_for(page, "make the background white", 1)
    well = page.locator("#p0-color")
    assert well.input_value() == "#ffffff"
    well.fill("#143cc8")  # (20, 60, 200)
    page.wait_for_selector("#plan-steps:has-text('color #143cc8')")
    job, out = run_version(page, 1)
    assert job["plan"]["steps"][0]["params"]["color"] == [20, 60, 200]
    blue = np.abs(out - [20, 60, 200]).max(axis=-1) <= 2
    assert blue.mean() > 0.4, blue.mean()  # the background, now that colour
    assert (np.abs(out - 255).max(axis=-1) <= 2).mean() < 0.01  # and no longer white
    corner = np.median(out[:12, :12].reshape(-1, 3), axis=0)
    assert np.abs(corner - [20, 60, 200]).max() <= 1, corner


def test_the_region_chooser_moves_a_step(context: Any, web_server: Server, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "photo.png", 240, 180, seed=4)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    plan_for(page, "make it black and white", 1)
    # no mask painted: the painted area is not offered
    assert "mask" not in page.locator("#p0-region option").evaluate_all("os => os.map(o => o.value)")
    page.focus("#p0-region")
    page.select_option("#p0-region", "left")
    page.wait_for_selector("#plan-steps:has-text('on the left')")
    job, out = run_version(page, 1)
    assert job["plan"]["steps"][0]["region"] == "left"
    w = out.shape[1]
    assert grayness(out[:, : w // 4]).mean() < 2  # the left is black and white
    right = grayness(out[:, -w // 4 :]).mean()
    assert right > 10 and abs(right - grayness(photo[:, -w // 4 :].astype(np.int16)).mean()) < 1


def test_out_of_range_is_impossible_and_a_refused_plan_reads_plainly(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    write_photo(tmp_path / "photo.png", 120, 90, seed=2)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    plan_for(page, "increase contrast by 20%", 1)
    number = page.locator("#p0-amount")
    for typed, kept in (("9", "3"), ("-7", "-1"), ("", "-1"), ("0.5", "0.5")):
        number.fill(typed)
        number.press("Tab")
        assert number.input_value() == kept, typed
    assert page.locator("#plan-steps input[type=range]").input_value() == "0.5"
    # An edited plan outlives a reload (with its instruction).
    page.reload()
    page.wait_for_selector("#plan-edited:visible")
    page.wait_for_function("() => document.querySelector('#p0-amount')?.value === '0.5'")

    # A plan the server refuses all the same (here tampered with on its way) is said in words.
    def tamper(route: Any) -> None:
        body = json.loads(route.request.post_data)
        body["plan"]["steps"][0]["params"]["amount"] = 9
        route.continue_(post_data=json.dumps(body))

    page.route("**/v1/jobs", tamper)
    page.wait_for_selector("#run:not([disabled])")
    page.click("#run")
    page.wait_for_selector("#run-error:has-text('step 1')")
    assert page.inner_text("#run-error") == (
        "The edited plan cannot run: step 1 (contrast): amount must be between -1 and 3."
    )
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["390x844", "1440x900"])
def test_plan_controls_fit_are_labelled_and_work_by_keyboard(
    browser: Any, web_server: Server, tmp_path: Path, device: dict[str, Any]
) -> None:
    write_photo(tmp_path / "p.png", 240, 180, seed=5)
    ctx = browser.new_context(**device, accept_downloads=True)
    ctx.set_default_timeout(20_000)
    try:
        sign_in(ctx, web_server)
        page = ctx.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
        page.goto(web_server.base_url + "/")
        page.wait_for_selector("body[data-ready]")
        add_images(page, tmp_path / "p.png")
        plan_for(page, "increase contrast by 20%, make the background light gray and add a subtle vignette", 3)
        # Keyboard: arrow up on the first amount edits the plan.
        page.focus("#p0-amount")
        page.keyboard.press("ArrowUp")
        page.wait_for_selector("#plan-edited:visible")
        assert page.locator("#p0-amount").input_value() == "0.21"
        assert too_wide(page) == []
        # Each control row stays on one line inside its step, and every control has a name.
        bad = page.evaluate(
            """() => [...document.querySelectorAll('#plan-steps .ctl-in')].filter(row => {
                 const kids = [...row.children], li = row.closest('li').getBoundingClientRect();
                 const top = (k) => k.getBoundingClientRect().top;
                 return kids.some(k => Math.abs(top(k) - top(kids[0])) > 12
                                    || k.getBoundingClientRect().right > li.right + 1);
               }).map(r => r.innerHTML.slice(0, 80))"""
        )
        assert bad == []
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll('#plan input, #plan select, #plan button')]
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                               && !el.textContent.trim()).map(el => el.outerHTML.slice(0, 60))"""
        )
        assert unnamed == []
        page.locator("#plan").scroll_into_view_if_needed()
        shot(page, "10-plan-controls" if device is DESKTOP else "10-plan-controls-phone", doc=device is DESKTOP)
        assert not page.errors  # type: ignore[attr-defined]
    finally:
        ctx.close()


def test_picking_another_base_drops_the_edited_plan_and_says_so(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    write_photo(tmp_path / "photo.png", 240, 180, seed=5)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    plan_for(page, "increase contrast by 20%", 1)
    run_version(page, 1)
    # Edited against the original, then version 1 becomes the base: the edits were never seen
    # against it, so they go (the instruction's plan is read against the new base instead).
    page.locator("#plan-steps input[type=range]").fill("0.6")
    page.wait_for_selector("#plan-edited:visible")
    page.click("button.node[data-number='1']")
    page.wait_for_selector("#plan-note:has-text('dropped: the next edit starts from version 1')")
    assert page.locator("#plan-edited").is_hidden() and "+60%" not in page.inner_text("#plan-steps")
    assert page.evaluate("() => JSON.parse(localStorage.getItem('retouch.v1')).edited") is None
    job, _ = run_version(page, 2)
    assert "plan" not in job and job["after"].startswith("job_")
    # Typing again clears the notice.
    page.fill("#prompt", "increase brightness by 10%")
    page.wait_for_function("() => !document.querySelector('#plan-note').textContent.includes('dropped')")
    assert not page.errors  # type: ignore[attr-defined]


def test_only_the_plan_summary_is_announced(context: Any, web_server: Server, tmp_path: Path) -> None:
    write_photo(tmp_path / "photo.png", 240, 180, seed=2)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    plan_for(page, "make it black and white and increase brightness by 20%", 2)
    # No control of the plan sits in a live region: a screen reader would read every slider step.
    live = page.evaluate(
        "() => [...document.querySelectorAll('#plan-steps input, #plan-steps select, #plan-steps button')]"
        ".filter(el => el.closest('[aria-live]')).length"
    )
    assert live == 0 and page.locator("#plan-steps input").count() > 0
    summary = page.locator("#plan-note[aria-live=polite]")
    assert summary.inner_text().startswith("Plan: Grayscale, Brightness.")
    # Moving the slider changes no word of the summary (nothing to announce) ...
    page.evaluate(
        "() => { window.noteChanges = 0; new MutationObserver(() => window.noteChanges++)"
        ".observe(document.querySelector('#plan-note'), {childList: true, characterData: true, subtree: true}); }"
    )
    slider = page.locator("#plan-steps input[type=range]").first
    for v in ("0.3", "0.35", "0.4"):
        slider.fill(v)
    page.wait_for_selector("#plan-edited:visible")
    page.wait_for_selector("#estimate:has-text('Costs about')")
    assert page.evaluate("() => window.noteChanges") == 1  # "Plan: …" became "Edited plan: …", once
    assert summary.inner_text().startswith("Edited plan: Grayscale, Brightness.")
    # ... removing a step does.
    page.locator("#plan-steps .step-x").first.click()
    page.wait_for_selector("#plan-note:has-text('Edited plan: Brightness.')")
    assert not page.errors  # type: ignore[attr-defined]
