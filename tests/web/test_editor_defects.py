"""Defects a new user hit in the editor (issue 12), each reproduced in Chromium first."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ..service.helpers import Server
from .conftest import browser_missing, sign_in
from .editor import (
    DESKTOP,
    PHONE,
    add_images,
    focused,
    in_view,
    make_tree,
    open_editor,
    paint,
    run_and_capture,
    run_edit,
    wait_ready,
)
from .pixels import write_photo

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")


def mask_in_frame(page: Any) -> None:
    """The mask canvas lies inside its frame and on the image: all of it can be seen and painted."""
    page.wait_for_selector("#mask-canvas:not([hidden])")
    frame = page.locator("#mask-wrap").bounding_box()
    canvas = page.locator("#mask-canvas").bounding_box()
    img = page.locator("#base-img").bounding_box()
    assert frame and canvas and img
    assert frame["x"] - 0.5 <= canvas["x"] and canvas["x"] + canvas["width"] <= frame["x"] + frame["width"] + 0.5, (
        canvas,
        frame,
    )
    assert abs(canvas["width"] - img["width"]) < 1 and abs(canvas["x"] - img["x"]) < 1, (canvas, img)


def test_phone_mask_view_fits_the_frame_after_replacing_the_image(
    browser: Any, web_server: Server, tmp_path: Path
) -> None:
    """Major 1: removing an image while the next one uploads left the mask view 600 px wide."""
    write_photo(tmp_path / "wide.png", 600, 400, seed=1)
    write_photo(tmp_path / "other.png", 451, 300, seed=2)
    write_photo(tmp_path / "tall.png", 300, 451, seed=3)
    ctx = browser.new_context(**PHONE)
    try:
        page = open_editor(ctx, web_server)
        page.set_input_files("#file-input", [str(tmp_path / "wide.png"), str(tmp_path / "other.png")])
        page.click("#tray li.first button[data-action='remove']")  # while both still upload
        wait_ready(page, 1)
        mask_in_frame(page)
        page.click("#tray li.first button[data-action='remove']")
        page.set_input_files("#file-input", [str(tmp_path / "tall.png"), str(tmp_path / "wide.png")])
        wait_ready(page, 2)
        mask_in_frame(page)
        # The right edge can be painted: a stroke there is in the mask that is sent.
        paint(page, [(0.9, 0.5, 0.99, 0.5)])
        page.wait_for_selector("#mask-clear:enabled")
    finally:
        ctx.close()


def test_keyboard_reordering_never_deletes_and_removal_can_be_undone(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    """Major 2: Enter on "Move later" at the bottom moved focus to ✕; the next Enter deleted the image."""
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        write_photo(tmp_path / name, 64, 48, seed=i)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png")
    page.focus("#tray li.first button[data-action='down']")
    for _ in range(4):  # two moves take a.png to the bottom; the extra presses must do nothing harmful
        page.keyboard.press("Enter")
    names = page.locator("#tray li .name").all_inner_texts()
    assert names == ["b.png", "c.png", "a.png"]
    assert focused(page) == "BUTTON#[Move a.png later]"  # still there, and doing nothing
    # Removing is undoable, and focus stays in the list.
    page.focus("#tray li:nth-child(2) button[data-action='remove']")
    page.keyboard.press("Enter")
    assert page.locator("#tray li .name").all_inner_texts() == ["b.png", "a.png"]
    assert focused(page) != "BODY"
    page.click("#tray-undo")
    assert page.locator("#tray li .name").all_inner_texts() == ["b.png", "c.png", "a.png"]
    wait_ready(page, 3)
    assert page.locator("#tray li:nth-child(2) .role").inner_text().startswith("Reference 1")


def credits_in(text: str) -> int:
    m = re.search(r"([\d,]+) credits?", text)
    assert m, text
    return int(m[1].replace(",", ""))


def test_a_batch_shows_its_own_estimate_and_charges_it(context: Any, web_server: Server, tmp_path: Path) -> None:
    """Major 3: a batch showed the single edit's estimate (19 credits) and then charged 40."""
    for i, (name, w, h) in enumerate((("a.png", 320, 240), ("b.png", 400, 300), ("c.png", 200, 200))):
        write_photo(tmp_path / name, w, h, seed=i)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png")
    page.fill("#prompt", "convert to grayscale")
    page.wait_for_selector("#batch-estimate:has-text('credits')")
    page.wait_for_selector("#estimate:has-text('credits')")
    batch_shown = credits_in(page.inner_text("#batch-estimate"))
    edit_shown = credits_in(page.inner_text("#estimate"))
    assert batch_shown != edit_shown  # three images edited, not one with two references
    assert "3 images" in page.inner_text("#batch-estimate")
    job = run_and_capture(page, "#run-batch")
    assert job["mode"] == "batch"
    page.wait_for_selector("#batch-zip:not([hidden])")
    jobs = context.request.get(web_server.base_url + "/v1/jobs?limit=1").json()["data"]
    assert jobs[0]["mode"] == "batch" and jobs[0]["charged_credits"] == batch_shown


#: Instructions the builtin planner refuses with CLI wording (--mask, model=auto): with and
#: without a painted mask.
REFUSED = [
    "remove the car",
    "brighten the car",
    "make everything except the sky darker",
    "remove it",
    "brighten the selection",
    "add a dragon",
]


def planner_messages(context: Any, server: Server) -> list[tuple[str, bool, str]]:
    """(prompt, has_mask, message) of each refusal, as the server sends them to the page."""
    out = []
    for prompt in REFUSED:
        for has_mask in (False, True):
            r = context.request.post(f"{server.base_url}/ui/api/plan", data={"prompt": prompt, "has_mask": has_mask})
            if "error" in r.json():
                out.append((prompt, has_mask, r.json()["error"]["message"]))
    return out


def test_editor_errors_never_mention_cli_flags(context: Any, web_server: Server, tmp_path: Path) -> None:
    """Major 4: a removal hint said `--mask` while a mask was painted."""
    write_photo(tmp_path / "car.png", 160, 120, seed=4)
    page = open_editor(context, web_server)
    # The one function every message shown in the editor goes through.
    messages = planner_messages(context, web_server)
    assert len(messages) >= 8
    shown = page.evaluate(
        """async (cases) => { const m = await import('/ui/static/js/errors.js');
             return cases.map(([p, hasMask, message]) =>
               m.plainWords({code: 'unsupported_instruction', message}, {hasMask})); }""",
        messages,
    )
    for (prompt, has_mask, _), text in zip(messages, shown, strict=True):
        assert not re.search(r"--\w|model=|\(\s*\)", text), (prompt, has_mask, text)
        if has_mask:  # a mask is painted: advice that uses it, not a request for one
            assert not re.search(r"with a mask|needs a mask|upload a mask", text), (prompt, text)
    # In the page: a mask is painted, and the refusal says how to use it, not a flag.
    add_images(page, tmp_path / "car.png")
    paint(page, [(0.3, 0.5, 0.7, 0.5)])
    page.fill("#prompt", "make everything except the sky darker.")  # a finished sentence: flagged at once
    page.wait_for_selector("#prompt-error:has-text('Cannot do')")
    text = page.inner_text("#prompt-error")
    assert "--" not in text and "model=" not in text
    assert "painted area" in text, text


# ---------------------------------------------------------------- minor defects


def test_a_used_login_link_explains_itself_on_the_sign_in_page(context: Any, web_server: Server) -> None:
    """A used or expired login link showed a raw JSON page."""
    page = context.new_page()
    page.goto(web_server.base_url + "/login?token=used-or-expired-token")
    page.wait_for_selector("#signin:not([hidden])")
    assert "already used or has expired" in page.inner_text("#signin-error")
    assert not page.inner_text("body").lstrip().startswith("{")
    assert "token" not in page.url  # the dead link is not left in the address bar


def test_compare_before_any_edit_says_there_is_nothing_yet(context: Any, web_server: Server, tmp_path: Path) -> None:
    """Compare before any edit showed a broken image with overlapping text."""
    write_photo(tmp_path / "photo.png", 160, 120, seed=1)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    page.click("#tab-compare")
    page.wait_for_selector("#compare-empty:visible")
    assert "No result yet" in page.inner_text("#compare-empty")
    assert page.locator("#compare").is_hidden()
    assert page.get_attribute("#download", "aria-disabled") == "true"
    broken = page.evaluate(
        "() => [...document.querySelectorAll('#panel-compare img')]"
        ".filter(i => i.offsetParent && !i.naturalWidth).length"
    )
    assert broken == 0


def test_compare_is_cleared_when_the_first_image_changes(context: Any, web_server: Server, tmp_path: Path) -> None:
    """Compare went stale when the first image changed (old before/after, Download still enabled)."""
    write_photo(tmp_path / "first.png", 160, 120, seed=1)
    write_photo(tmp_path / "second.png", 120, 160, seed=2)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "first.png")
    run_edit(page, "make it black and white", 1)
    assert page.get_attribute("#download", "aria-disabled") == "false"
    add_images(page, tmp_path / "second.png", count=2)
    page.click("#tray li:nth-child(2) button[data-action='up']")
    page.wait_for_selector("#tray li.first .name:has-text('second.png')")
    page.click("#tab-compare")
    page.wait_for_selector("#compare-empty:visible")
    assert page.get_attribute("#download", "aria-disabled") == "true"
    assert page.inner_text("#compare-caption") == ""
    assert page.get_attribute("#after-img", "src") in (None, "")


def test_a_long_paste_is_kept_whole_and_refused_with_its_length(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    """A 55,200-character paste was cut to 32,000 silently; the error quoted a fragment never typed."""
    write_photo(tmp_path / "photo.png", 160, 120, seed=1)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    page.focus("#prompt")
    page.keyboard.insert_text("brighten " * 6133 + "it")  # 55,199 characters
    assert len(page.input_value("#prompt")) == 55_199
    page.wait_for_selector("#prompt-error:has-text('55,199 characters')")
    text = page.inner_text("#prompt-error")
    assert "32,000" in text and "“" not in text and '"' not in text
    assert page.is_disabled("#run")


def test_a_long_refused_prompt_is_quoted_short(context: Any, web_server: Server) -> None:
    """A 32,000-character unknown prompt was quoted in full (the page grew 17,000 px tall)."""
    page = open_editor(context, web_server)
    page.focus("#prompt")
    page.keyboard.insert_text("zorblax " * 3999 + "zorblax.")
    page.wait_for_selector("#prompt-error:has-text('not understand')", timeout=60_000)
    box = page.locator("#prompt-error").bounding_box()
    assert box and box["height"] < 200, box  # it was 15,700 px
    assert len(page.inner_text("#prompt-error")) < 400
    assert page.evaluate("document.documentElement.scrollHeight") < 4000


def test_half_typed_words_are_not_flagged_and_log_no_console_errors(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    """Half-typed words were flagged red within a second, with a console error each time."""
    write_photo(tmp_path / "photo.png", 160, 120, seed=1)
    page = open_editor(context, web_server)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    add_images(page, tmp_path / "photo.png")
    page.focus("#prompt")
    page.keyboard.type("make it bri", delay=40)
    page.wait_for_timeout(1200)
    assert page.inner_text("#prompt-error") == ""
    assert page.get_attribute("#prompt", "aria-invalid") is None
    page.keyboard.type("ghter", delay=40)
    page.wait_for_selector("#plan-steps li:has-text('Brightness')")
    # A finished instruction the engine cannot do is still flagged (and still no console error).
    page.fill("#prompt", "add a dragon to the sky.")
    page.wait_for_selector("#prompt-error:has-text('Cannot do')")
    assert console == [], console


def test_edit_is_disabled_when_the_page_knows_it_cannot_run(context: Any, web_server: Server, tmp_path: Path) -> None:
    """Edit stayed enabled when the page already knew it could not run. (Not enough credits:
    see test_errors_are_shown_where_they_belong_and_nothing_is_lost.)"""
    write_photo(tmp_path / "photo.png", 160, 120, seed=1)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    page.fill("#prompt", "make it sepia")
    page.wait_for_selector("#plan-steps li:has-text('Sepia')")
    page.wait_for_selector("#run:enabled")
    # An instruction the engine cannot do.
    page.fill("#prompt", "add a dragon to the sky.")
    page.wait_for_selector("#prompt-error:has-text('Cannot do')")
    page.wait_for_selector("#run:disabled")
    assert "instruction" in page.inner_text("#run-hint")
    page.fill("#prompt", "make it sepia")
    page.wait_for_selector("#run:enabled")
    # An option conflict the server would refuse.
    page.select_option("#opt-format", "jpeg")
    page.select_option("#opt-background", "transparent")
    page.wait_for_selector("#run:disabled")
    assert "PNG or WebP" in page.inner_text("#run-hint")
    page.select_option("#opt-background", "auto")
    page.wait_for_selector("#run:enabled")
    # And an empty instruction: Ctrl+Enter says what is missing instead of sending anything.
    page.fill("#prompt", "")
    page.wait_for_selector("#run:disabled")
    page.focus("#prompt")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#prompt-error:has-text('Type an instruction first')")


def test_an_out_of_range_custom_size_is_explained_once(context: Any, web_server: Server, tmp_path: Path) -> None:
    """An out-of-range custom size showed the raw server message twice."""
    write_photo(tmp_path / "photo.png", 160, 120, seed=1)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    page.fill("#prompt", "make it sepia")
    page.wait_for_selector("#estimate:has-text('credits')")
    page.select_option("#opt-size", "custom")
    page.fill("#opt-width", "20000")
    page.press("#opt-width", "Tab")
    page.wait_for_selector("#size-error:has-text('8,192')")
    body = page.inner_text("body")
    assert body.count("8,192") == 1, page.inner_text("#estimate")
    assert "Invalid value" not in body and "'size'" not in body
    assert page.is_disabled("#run")
    page.fill("#opt-width", "800")
    page.press("#opt-width", "Tab")
    page.wait_for_selector("#estimate:has-text('800×1024')")
    assert page.inner_text("#size-error") == ""


def test_the_estimate_shows_the_new_balance_after_a_run(context: Any, web_server: Server, tmp_path: Path) -> None:
    """The estimate kept the old balance after a run."""
    write_photo(tmp_path / "photo.png", 160, 120, seed=1)
    page = open_editor(context, web_server, web_server.new_key(credits=5000, tier="standard")["key"])
    add_images(page, tmp_path / "photo.png")
    page.fill("#prompt", "make it sepia")
    page.wait_for_selector("#estimate:has-text('5,000 available')")
    run_and_capture(page)
    page.wait_for_selector("#compare-caption:has-text('Version 1')")
    page.wait_for_function(
        """() => { const a = document.querySelector('#stat-available')?.textContent;
                   const est = document.querySelector('#estimate').textContent;
                   return a && a !== '5,000' && est.includes(a + ' available'); }"""
    )


def test_a_fresh_upload_is_labelled_as_the_image_to_edit(context: Any, web_server: Server, tmp_path: Path) -> None:
    """A fresh upload was labelled "Edited"."""
    write_photo(tmp_path / "photo.png", 160, 120, seed=1)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    role = page.inner_text("#tray li.first .role")
    assert role == "To edit · 160×120", role


def test_focus_stays_put_after_removing_an_image_or_picking_a_version(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    """Focus dropped to the body after removing a tray image or picking a version with Enter."""
    write_photo(tmp_path / "a.png", 160, 120, seed=1)
    write_photo(tmp_path / "b.png", 160, 120, seed=2)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "a.png", tmp_path / "b.png")
    page.focus("#tray li:nth-child(2) button[data-action='remove']")
    page.keyboard.press("Enter")
    wait_ready(page, 1)
    assert focused(page) != "BODY"
    run_edit(page, "make it black and white", 1)
    page.focus("button.node[data-number='0']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#base-line:has-text('original')")
    assert focused(page).startswith("BUTTON#[Original")
    page.keyboard.press("Tab")  # and Tab goes on from there: to version 1
    assert focused(page).startswith("BUTTON#[Version 1")


def test_picking_a_version_or_an_image_brings_the_picture_into_view(
    browser: Any, web_server: Server, tmp_path: Path
) -> None:
    """At 1440 px picking a version or an image from "Your images" updated the picture off-screen."""
    write_photo(tmp_path / "a.png", 320, 240, seed=1)
    ctx = browser.new_context(**DESKTOP)
    try:
        page = open_editor(ctx, web_server)
        add_images(page, tmp_path / "a.png")
        run_edit(page, "make it black and white", 1)
        page.locator("#tree button.node[data-number='0']").scroll_into_view_if_needed()
        page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
        assert not in_view(page, ".stage")
        page.click("#tree button.node[data-number='0']")
        page.wait_for_function(
            "() => { const r = document.querySelector('#mask-wrap').getBoundingClientRect();"
            " return r.top >= 0 && r.top < innerHeight / 2; }"
        )
        page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
        page.click("#trees li:first-child button")
        page.wait_for_function(
            "() => { const r = document.querySelector('.stage').getBoundingClientRect();"
            " return r.top >= 0 && r.top < innerHeight / 2; }"
        )
    finally:
        ctx.close()


def test_opening_from_your_images_replaces_the_image_to_edit(context: Any, web_server: Server, tmp_path: Path) -> None:
    """Opening from "Your images" silently turned the current image into a reference that was charged."""
    write_photo(tmp_path / "kept.png", 160, 120, seed=1)
    write_photo(tmp_path / "current.png", 120, 90, seed=2)
    key = web_server.new_key(tier="standard")["key"]
    sign_in(context, web_server, key)
    make_tree(context, web_server, tmp_path / "kept.png")
    page = open_editor(context, web_server, key)
    add_images(page, tmp_path / "current.png")
    page.click("#trees button:has-text('kept.png')")
    page.wait_for_selector("#tray li.first .name:has-text('kept.png')")
    assert page.locator("#tray li").count() == 1
    assert "current.png" in page.inner_text("#tray-notice")
    job = run_edit(page, "invert the colors", 1)
    assert len(job["images"]) == 1
    # Undo brings back the tray as it was.
    page.click("#tray-undo")
    wait_ready(page, 1)
    assert page.locator("#tray li .name").all_inner_texts() == ["current.png"]


def test_your_images_cards_tell_same_named_images_apart(context: Any, web_server: Server, tmp_path: Path) -> None:
    """Identical "coffee.png" cards in "Your images"."""
    write_photo(tmp_path / "coffee.png", 160, 120, seed=1)
    key = web_server.new_key(tier="standard")["key"]
    sign_in(context, web_server, key)
    make_tree(context, web_server, tmp_path / "coffee.png")
    make_tree(context, web_server, tmp_path / "coffee.png")
    page = open_editor(context, web_server, key)
    page.wait_for_function("() => document.querySelectorAll('#trees li button').length === 2")
    cards = page.locator("#trees li button").all_inner_texts()
    assert all("coffee.png" in c for c in cards) and cards[0] != cards[1], cards
    labels = page.locator("#trees li button").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert labels[0] != labels[1], labels


def test_rejected_files_are_not_labelled_as_references(context: Any, web_server: Server, tmp_path: Path) -> None:
    """Rejected files stayed in the tray labelled as references."""
    write_photo(tmp_path / "a.png", 160, 120, seed=1)
    write_photo(tmp_path / "c.png", 160, 120, seed=2)
    (tmp_path / "notes.png").write_bytes(b"not an image")
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "a.png", tmp_path / "notes.png", tmp_path / "c.png")
    page.wait_for_selector("#tray li .error:has-text('Not an image')")
    roles = page.locator("#tray li .role").all_inner_texts()
    names = page.locator("#tray li .name").all_inner_texts()
    assert names == ["a.png", "c.png", "notes.png"], names
    assert roles[1].startswith("Reference 1") and roles[2].startswith("Not added"), roles
    assert "Reference" not in roles[2]
    page.fill("#prompt", "make it sepia")
    page.wait_for_selector("#run:enabled")
    job = run_and_capture(page)
    assert len(job["images"]) == 2


def test_on_a_phone_options_start_closed_and_the_instruction_is_near(
    browser: Any, web_server: Server, tmp_path: Path
) -> None:
    """On a phone Options was open by default and the instruction box three screens down."""
    write_photo(tmp_path / "photo.png", 600, 400, seed=1)
    ctx = browser.new_context(**PHONE)
    try:
        page = open_editor(ctx, web_server)
        assert page.get_attribute("#options", "open") is None
        add_images(page, tmp_path / "photo.png")
        top = page.evaluate("document.querySelector('#prompt').getBoundingClientRect().top + scrollY")
        assert top < 1.5 * 844, top
    finally:
        ctx.close()


@pytest.mark.parametrize("size", [(1440, 900), (1280, 800)])
def test_the_mask_toolbar_is_one_row(browser: Any, web_server: Server, tmp_path: Path, size: tuple[int, int]) -> None:
    """At 1440 px (and still at 1280 px) the mask toolbar wrapped to a second row."""
    write_photo(tmp_path / "photo.png", 600, 400, seed=1)
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = open_editor(ctx, web_server)
        add_images(page, tmp_path / "photo.png")
        tops = page.evaluate(
            """() => [...document.querySelectorAll('#panel-edit .toolbar > *')]
                 .filter(e => e.offsetParent)
                 .map(e => [Math.round(e.getBoundingClientRect().top + e.offsetHeight / 2), e.offsetWidth])"""
        )
        bar = page.evaluate("document.querySelector('#panel-edit .toolbar').clientWidth")
        assert max(t for t, _ in tops) - min(t for t, _ in tops) <= 4, (bar, tops)
    finally:
        ctx.close()
