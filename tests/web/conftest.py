"""Fixtures for the web UI tests: one real `retouch serve` on loopback and, when Debian's
Chromium is installed, a headless browser driven by Playwright (never a downloaded browser).

Screenshots go to artifacts/screenshots/ (gitignored). With RETOUCH_DOC_SCREENSHOTS=1 the
main screens are also written, palette-compressed, to docs/images/ui-*.png.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ..service.helpers import ROOT, PgDatabases, Server

CHROMIUM = Path(os.environ.get("RETOUCH_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "artifacts" / "screenshots"
DOC_IMAGES = ROOT / "docs" / "images"
TIERS = {"standard": {"requests_per_minute": 600, "images_per_minute": 1200, "concurrent_jobs": 8}}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the web UI tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install playwright (the browser itself comes from Debian)"
    return None


PG_URL = os.environ.get("RETOUCH_TEST_PG_URL")


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server of the web tests (on a fresh PostgreSQL database with RETOUCH_TEST_PG_URL)."""
    pg = PgDatabases(PG_URL) if PG_URL else None
    server = Server(
        Path(tmp_path_factory.mktemp("web")),
        {"tiers": TIERS, "default_tier": "standard", "workers": 2},
        database_url=pg.create() if pg else None,
    ).start()
    yield server
    server.stop()
    if pg:
        pg.drop_all()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    why = browser_missing()
    if why:
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser: Any, web_server: Server) -> Iterator[Any]:
    """A fresh browser context (its own cookies and storage), downloads allowed."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


def sign_in(context: Any, server: Server, key: str | None = None) -> None:
    """Sign a context in with a key, as the page's sign-in form does."""
    r = context.request.post(f"{server.base_url}/ui/api/session", data={"key": key or server.admin_key})
    assert r.ok, r.text()


def shot(page: Any, name: str, *, doc: bool = False, full_page: bool = False) -> Path:
    """Save a screenshot as an artifact (and for the docs when asked to)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if doc and os.environ.get("RETOUCH_DOC_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        im = Image.open(path).convert("RGB").quantize(colors=192, method=Image.Quantize.MEDIANCUT)
        buf = io.BytesIO()
        im.save(buf, "PNG", optimize=True)
        (DOC_IMAGES / f"ui-{name.split('-', 1)[-1]}.png").write_bytes(buf.getvalue())
    return path
