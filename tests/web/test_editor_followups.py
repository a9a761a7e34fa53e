"""Follow-ups in context in the editor (issue 12): with a version selected, "a bit less" and "undo the
vignette" revise the edit that made it, run on the original; measured in pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import retouch

from ..service.helpers import Server
from .conftest import browser_missing, shot
from .editor import add_images, download, open_editor, run_and_capture, run_edit
from .pixels import rgb, write_photo

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")


def lum(arr: np.ndarray) -> np.ndarray:
    return arr.astype(np.float64) @ [0.299, 0.587, 0.114]


def corners(arr: np.ndarray, k: int = 12) -> float:
    y = lum(arr)
    return float(np.mean([y[:k, :k], y[:k, -k:], y[-k:, :k], y[-k:, -k:]]))


def local(photo: np.ndarray, prompt: str) -> np.ndarray:
    return rgb(retouch.edit(photo, prompt).images[0])


def select_version(page: Any, number: int) -> bytes:
    """Make version `number` the base of the next edit; its image as downloaded."""
    page.click(f"button.node[data-number='{number}']")
    page.wait_for_selector(f"#base-line:has-text('version {number}')")
    return download(page, "#download")[0]


def test_a_bit_less_after_more_contrast_is_a_smaller_step(context: Any, web_server: Server, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "photo.png", 240, 180, seed=21)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    first = run_edit(page, "increase the contrast by 40%", 1)
    assert "after" not in first  # the original has no edit to follow up
    v1 = rgb(select_version(page, 1))
    assert "revises its edit" in page.inner_text("#base-line")
    page.fill("#prompt", "a bit less")
    page.wait_for_selector("#plan-changes li:has-text('contrast +0.40 → +0.20')")
    assert "+20%" in page.inner_text("#plan-steps")
    shot(page, "09-follow-up", doc=True)
    job = run_and_capture(page)
    assert job["after"].startswith("job_") and "images" not in job  # the job's stored original
    page.wait_for_selector("#compare-caption:has-text('Version 2')")
    v2 = rgb(download(page, "#download")[0])
    s0, s1, s2 = lum(photo).std(), lum(v1).std(), lum(v2).std()
    assert s0 < s2 < s1, (s0, s1, s2)
    assert (s2 - s0) < 0.7 * (s1 - s0), (s0, s1, s2)  # about half the 40% step, not 40% more on top
    assert np.array_equal(v2, local(photo, "increase the contrast by 20%"))
    assert not page.errors  # type: ignore[attr-defined]


def test_undo_the_vignette_restores_the_corners(context: Any, web_server: Server, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "photo.png", 240, 180, seed=22)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    run_edit(page, "make it warmer and add a strong vignette", 1)
    v1 = rgb(select_version(page, 1))
    page.fill("#prompt", "undo the vignette")
    page.wait_for_selector("#plan-changes li:has-text('removed')")
    assert "Vignette" not in page.inner_text("#plan-steps") and "Temperature" in page.inner_text("#plan-steps")
    run_and_capture(page)
    page.wait_for_selector("#compare-caption:has-text('Version 2')")
    v2 = rgb(download(page, "#download")[0])
    warm = local(photo, "make it warmer")
    assert corners(v1) < corners(photo) - 15  # the vignette darkened the corners
    assert abs(corners(v2) - corners(warm)) < 0.5  # undone: the corners as the warm edit alone has them
    assert np.abs(v2 - warm).max() <= 1
    assert not page.errors  # type: ignore[attr-defined]


def test_a_follow_up_on_the_original_says_it_needs_an_edit(context: Any, web_server: Server, tmp_path: Path) -> None:
    write_photo(tmp_path / "photo.png", 120, 90, seed=23)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    page.fill("#prompt", "a bit less")
    page.wait_for_selector("#prompt-error:has-text('previous edit')")
    assert page.is_disabled("#run")
    assert page.locator("#plan-changes").is_hidden()


def test_a_follow_up_whose_stored_inputs_expired_sends_the_version_source(
    context: Any, web_server: Server, tmp_path: Path
) -> None:
    photo = write_photo(tmp_path / "photo.png", 240, 180, seed=22)
    page = open_editor(context, web_server)
    add_images(page, tmp_path / "photo.png")
    run_edit(page, "increase the contrast by 40%", 1)
    v1 = rgb(select_version(page, 1))
    # The stored inputs of the job go, as past their retention (the version tree keeps its copies).
    gone = page.evaluate(
        """async () => {
          const files = (await (await fetch('/v1/files?purpose=job_input')).json()).data;
          for (const f of files) await fetch('/v1/files/' + f.id, { method: 'DELETE' });
          return files.length;
        }"""
    )
    assert gone >= 1
    page.fill("#prompt", "a bit less")
    page.wait_for_selector("#plan-changes li:has-text('contrast +0.40 → +0.20')")
    page.wait_for_selector("#estimate:has-text('Costs about')")  # priced on the version's source
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: r.url.endswith("/v1/jobs") and r.method == "POST" and sent.append(r.post_data_json))
    page.click("#run")
    page.wait_for_selector("#compare-caption:has-text('Version 2')")
    # Refused for want of the stored inputs, then sent again with the original the edit ran on.
    assert [("images" in b, b["after"]) for b in sent] == [(False, sent[0]["after"]), (True, sent[0]["after"])]
    assert page.inner_text("#run-error") == ""
    v2 = rgb(download(page, "#download")[0])
    s0, s1, s2 = lum(photo).std(), lum(v1).std(), lum(v2).std()
    assert s0 < s2 < s1 and (s2 - s0) < 0.7 * (s1 - s0), (s0, s1, s2)  # +20% of the original, not of v1
    assert not page.errors  # type: ignore[attr-defined]
