"""Fixtures: real `retouch serve` processes on loopback, each with a temporary data dir.

With RETOUCH_TEST_PG_URL set (e.g. postgresql://postgres@127.0.0.1/postgres), every
server gets a fresh PostgreSQL database instead of SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import MotoS3, PgDatabases, Server

PG_URL = os.environ.get("RETOUCH_TEST_PG_URL")
REDIS_URL = os.environ.get("RETOUCH_TEST_REDIS_URL")

#: Rate-limit tiers the tests use besides the defaults.
TEST_TIERS = {
    "unlimited": {"requests_per_minute": 0, "images_per_minute": 0, "concurrent_jobs": 0},
    "tiny": {"requests_per_minute": 3, "images_per_minute": 100, "concurrent_jobs": 5},
    "fewimages": {"requests_per_minute": 100, "images_per_minute": 4, "concurrent_jobs": 5},
    "onejob": {"requests_per_minute": 100, "images_per_minute": 100, "concurrent_jobs": 1},
    "standard": {"requests_per_minute": 600, "images_per_minute": 1200, "concurrent_jobs": 16},
}


@pytest.fixture(scope="session")
def pg() -> Iterator[PgDatabases | None]:
    if not PG_URL:
        yield None
        return
    dbs = PgDatabases(PG_URL)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def make_server(
    tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases | None
) -> Iterator[Callable[..., Server]]:
    """Start a server with extra config; stopped at the end of the session."""
    started: list[Server] = []

    def make(name: str, config: dict[str, Any] | None = None, *, start: bool = True) -> Server:
        cfg = {
            "tiers": TEST_TIERS,
            "default_tier": "standard",
            "webhook_retry_schedule_s": [0.3, 0.6, 1.0],
            **(config or {}),
        }
        server = Server(Path(tmp_path_factory.mktemp(name)), cfg, database_url=pg.create() if pg else None)
        started.append(server)
        return server.start() if start else server

    yield make
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def server(make_server: Callable[..., Server]) -> Server:
    """The main server: secure defaults (private URLs refused)."""
    return make_server("main")


@pytest.fixture(scope="session")
def open_server(make_server: Callable[..., Server]) -> Server:
    """A server that may fetch from and post webhooks to loopback (allow_private_urls), with small
    limits: 300 kB images, 2 s of silence in a request body."""
    return make_server("open", {"allow_private_urls": True, "max_image_bytes": 300_000, "body_timeout_s": 2.0})


@pytest.fixture(scope="session")
def solo_server(make_server: Callable[..., Server]) -> Server:
    """One worker thread: jobs queue up behind each other (cancel and recovery tests)."""
    return make_server("solo", {"workers": 1})


@pytest.fixture
def key(server: Server) -> str:
    """A fresh edit key with plenty of credits and no rate limits."""
    return server.new_key()["key"]


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    """A real S3-compatible server (moto's standalone server) on a free loopback port."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install -e '.[test]')")
    pytest.importorskip("boto3", reason="boto3 is not installed (the cluster extra)")
    server = MotoS3(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture
def redis_url() -> str:
    """RETOUCH_TEST_REDIS_URL (scripts/services sets it), or the test is skipped."""
    if not REDIS_URL:
        pytest.skip("RETOUCH_TEST_REDIS_URL not set (source scripts/services)")
    pytest.importorskip("redis", reason="redis is not installed (the cluster extra)")
    return REDIS_URL
