"""Shared helpers for the service tests: a real `retouch serve` process, images, HTTP."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png(width: int = 64, height: int = 48, *, seed: int = 0, mode: str = "RGB", fmt: str = "PNG") -> bytes:
    """A small photo-like image: a gradient with a brighter blob and some noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / max(width - 1, 1), y / max(height - 1, 1), 0.5 + 0 * x], axis=-1)
    blob = np.exp(-(((x - width / 2) / (width / 5)) ** 2 + ((y - height / 2) / (height / 5)) ** 2))
    arr = np.clip(0.15 + 0.6 * base + 0.3 * blob[..., None] + rng.normal(0, 0.02, base.shape), 0, 1)
    im = Image.fromarray((arr * 255).astype(np.uint8), "RGB")
    if mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def rgba_mask(width: int, height: int, box: tuple[int, int, int, int]) -> bytes:
    """OpenAI's mask convention: alpha 0 inside `box` (x0, y0, x1, y1) marks the area to edit."""
    arr = np.zeros((height, width, 4), np.uint8)
    arr[..., 3] = 255
    x0, y0, x1, y1 = box
    arr[y0:y1, x0:x1, 3] = 0
    buf = io.BytesIO()
    Image.fromarray(arr, "RGBA").save(buf, "PNG")
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def data_url(data: bytes, mime: str = "image/png") -> str:
    import base64

    return f"data:{mime};base64," + base64.b64encode(data).decode()


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return str(v)


def write_config(path: Path, config: dict[str, Any]) -> None:
    lines: list[str] = []
    tables: list[str] = []
    for k, v in config.items():
        if isinstance(v, dict) and v and all(isinstance(x, dict) for x in v.values()):
            for name, sub in v.items():
                tables.append(f"[{k}.{name}]")
                tables += [f"{sk} = {toml_value(sv)}" for sk, sv in sub.items()]
                tables.append("")
        elif isinstance(v, dict):
            tables.append(f"[{k}]")
            tables += [f"{sk} = {toml_value(sv)}" for sk, sv in v.items() if sv is not None]
            tables.append("")
        else:
            lines.append(f"{k} = {toml_value(v)}")
    path.write_text("\n".join([*lines, "", *tables]))


class PgDatabases:
    """A fresh PostgreSQL database per server when RETOUCH_TEST_PG_URL is set."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.created: list[str] = []

    def _admin(self):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def create(self) -> str:
        name = "retouch_test_" + uuid.uuid4().hex[:10]
        with self._admin() as c:
            c.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        base = self.url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def drop_all(self) -> None:
        for name in self.created:
            try:
                with self._admin() as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception:  # best effort cleanup
                pass


class Server:
    """`retouch serve` (or, with `command="worker"`, `retouch worker`: no HTTP) as a real process
    on loopback, with its own data dir and config."""

    def __init__(
        self,
        data_dir: Path,
        config: dict[str, Any] | None = None,
        *,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        command: str = "serve",
    ) -> None:
        self.command = command
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.config_path = data_dir / "config.toml"
        data_dir.mkdir(parents=True, exist_ok=True)
        write_config(self.config_path, {"workers": 2, **(config or {})})
        self.database_url = database_url
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin_key: str | None = None
        self.login_url: str | None = None
        self.log_path = data_dir / "server.log"

    def start(self, timeout: float = 60.0) -> Server:
        env = {**os.environ, "RETOUCH_CONFIG": str(self.config_path), **self.env}
        env.pop("RETOUCH_DATA_DIR", None)
        if self.database_url:
            env["RETOUCH_DATABASE_URL"] = self.database_url
        cmd = [sys.executable, "-m", "retouch.service.cli", self.command, "--data-dir", str(self.data_dir)]
        if self.command == "serve":
            cmd += ["--port", str(self.port), "--host", "127.0.0.1"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process owns it
        started_at = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.command} exited with {self.proc.returncode}:\n{self.log()}")
            if self.command == "worker":
                if "retouch worker " in self.log()[started_at:]:
                    break
            else:
                try:
                    if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"server did not start:\n{self.log()}")
        text = self.log()
        keys = re.findall(r"^\s+(rt_live_\S+)$", text, re.M)
        if keys:
            self.admin_key = keys[0]
        links = re.findall(r"^\s+(http\S+/login\?token=\S+)$", text, re.M)
        if links:
            self.login_url = links[-1]
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    # ---- conveniences

    def client(self, key: str | None = None, **kw: Any) -> httpx.Client:
        headers = {"authorization": f"Bearer {key or self.admin_key}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=kw.pop("timeout", 60), **kw)

    def openai(self, key: str | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        from openai import OpenAI

        return OpenAI(
            base_url=self.base_url + "/v1",
            api_key=key or self.admin_key,
            max_retries=0,
            timeout=kw.pop("timeout", 120),
            **kw,
        )

    def new_key(
        self,
        *,
        credits: int = 1_000_000,
        tier: str | None = "unlimited",
        scopes: list[str] | None = None,
        name: str = "test",
    ) -> dict[str, Any]:
        with self.client() as c:
            r = c.post(
                "/v1/admin/keys",
                json={"name": name, "credits": credits, "tier": tier, "scopes": scopes or ["edit"]},
            )
            r.raise_for_status()
            return r.json()


class MotoS3:
    """A real S3-compatible server on loopback: moto's standalone server, as a subprocess."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> MotoS3:
        exe = Path(sys.executable).with_name("moto_server")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "moto.server"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen(
            [*cmd, "-H", "127.0.0.1", "-p", str(self.port)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.log_path.read_text(errors='replace')}")
            try:
                httpx.get(self.endpoint + "/moto-api/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not start")

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )

    def bucket(self) -> str:
        """A new bucket."""
        name = "retouch-" + uuid.uuid4().hex[:12]
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, prefix: str = "") -> dict[str, Any]:
        """The `[s3]` table for a retouch config."""
        return {
            "bucket": bucket, "endpoint_url": self.endpoint, "region": "us-east-1",
            "access_key_id": "test", "secret_access_key": "test", "prefix": prefix, "addressing_style": "path",
        }

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
