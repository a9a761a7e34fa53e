"""Helpers that drive the editor page in the browser tests: open it, add images, paint, run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..service.helpers import Server
from .conftest import sign_in

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


def open_editor(context: Any, server: Server, key: str | None = None) -> Any:
    """A signed-in page on the editor, every control wired; JS errors collect in page.errors."""
    sign_in(context, server, key)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(server.base_url + "/")
    page.wait_for_selector("body[data-ready]")
    return page


def add_images(page: Any, *paths: Path, count: int | None = None) -> None:
    """Add files with the picker and wait until the tray holds `count` settled images."""
    page.set_input_files("#file-input", [str(p) for p in paths])
    wait_ready(page, count if count is not None else len(paths))


def wait_ready(page: Any, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#tray li').length === n && "
        "![...document.querySelectorAll('#tray .role')].some(e => /Reading|Uploading/.test(e.textContent))",
        arg=count,
    )


def paint(page: Any, strokes: list[tuple[float, float, float, float]]) -> None:
    """Drag the pointer over the mask canvas; coordinates are fractions of its box."""
    page.locator("#mask-wrap").scroll_into_view_if_needed()
    box = page.locator("#mask-canvas").bounding_box()
    assert box and box["width"] > 50
    for x0, y0, x1, y1 in strokes:
        page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + x1 * box["width"], box["y"] + y1 * box["height"], steps=8)
        page.mouse.up()


def too_wide(page: Any) -> list[str]:
    """Elements that stick out of the viewport sideways (the page must not scroll sideways)."""
    return page.evaluate(
        """() => document.documentElement.scrollWidth <= innerWidth ? [] :
             [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-wrap'))
               .map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
               .concat([`scrollWidth ${document.documentElement.scrollWidth}`])"""
    )


def run_and_capture(page: Any, button: str = "#run") -> dict[str, Any]:
    """Click Run and return the JSON body of the job the page submitted."""
    with page.expect_request(lambda r: r.url.endswith("/v1/jobs") and r.method == "POST") as req:
        page.click(button)
    return json.loads(req.value.post_data or "{}")


def download(page: Any, selector: str) -> tuple[bytes, str]:
    with page.expect_download() as d:
        page.click(selector)
    path = d.value.path()
    return Path(path).read_bytes(), d.value.suggested_filename


def focused(page: Any) -> str:
    """What has keyboard focus: 'tag#id[aria-label]' ('BODY' when focus was dropped)."""
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return e === document.body || !e ? 'BODY'
                     : `${e.tagName}#${e.id}[${e.getAttribute('aria-label') || e.textContent.trim()}]`; }"""
    )


def run_edit(page: Any, prompt: str, version: int) -> dict[str, Any]:
    """Type an instruction, run it, and wait for its result (version `version`) in Compare."""
    page.fill("#prompt", prompt)
    page.wait_for_selector("#plan-steps li")
    job = run_and_capture(page)
    page.wait_for_selector(f"#compare-caption:has-text('Version {version}')")
    return job


def in_view(page: Any, selector: str) -> bool:
    """Whether the middle of an element is inside the viewport."""
    return page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect(); const y = r.top + r.height / 2;
                  return r.height > 0 && y > 0 && y < innerHeight; }""",
        selector,
    )


def make_tree(context: Any, server: Server, path: Path) -> dict[str, Any]:
    """Upload an image and start its version tree (the original only), as the page would."""
    upload = {"name": path.name, "mimeType": "image/png", "buffer": path.read_bytes()}
    f = context.request.post(f"{server.base_url}/v1/files", multipart={"purpose": "input", "file": upload})
    assert f.ok, f.text()
    tree = context.request.post(f"{server.base_url}/ui/api/trees", data={"file_id": f.json()["id"], "name": path.name})
    assert tree.ok, tree.text()
    return tree.json()
