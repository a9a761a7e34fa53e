"""Storage the server cannot start with is refused with one `error:` line (issue 11, defect 5):
a zero-byte database used to become a new, empty one (every account and balance gone), an
empty secret_key file was accepted, and a corrupt or read-only database ended in a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retouch.cli import main as retouch
from retouch.service.bootstrap import check_database_file

from .helpers import free_port


@pytest.fixture(autouse=True)
def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """These starts must fail before serving: a server that starts fails the test instead."""
    import uvicorn

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr(uvicorn, "run", started)
    for name in ("RETOUCH_CONFIG", "RETOUCH_DATA_DIR", "RETOUCH_DATABASE_URL", "RETOUCH_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


def _error_line(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one stderr line of a `retouch` command that must fail with exit status 1."""
    assert retouch(list(args)) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def _serve(data_dir: Path, *extra: str) -> list[str]:
    return ["serve", "--data-dir", str(data_dir), "--port", str(free_port()), "--no-login-link", *extra]


def test_a_zero_byte_database_is_refused_not_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "retouch.db"
    db.write_bytes(b"")
    for args in (_serve(tmp_path), ["keys", "list", "--data-dir", str(tmp_path)]):
        assert "is empty (0 bytes): refusing to start a new one in its place" in _error_line(capsys, *args)
    assert db.stat().st_size == 0 and not (tmp_path / "secret_key").exists()  # nothing made anew


def test_an_empty_main_file_with_a_write_ahead_log_is_left_to_sqlite(tmp_path: Path) -> None:
    # killed before its first checkpoint, a database can have an empty main file and all in its WAL
    db = tmp_path / "retouch.db"
    db.write_bytes(b"")
    (tmp_path / "retouch.db-wal").write_bytes(b"x" * 100)
    check_database_file(f"sqlite:///{db}")  # not refused: SQLite replays the log


def test_a_corrupt_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "retouch.db").write_bytes(os.urandom(3) + b"this is not a database" * 500)
    line = _error_line(capsys, *_serve(tmp_path))
    assert "cannot open the database sqlite:///" in line and "file is not a database" in line


def test_a_read_only_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert retouch(["keys", "list", "--data-dir", str(tmp_path)]) == 0  # a good database...
    capsys.readouterr()
    read_only = f"sqlite:///file:{tmp_path / 'retouch.db'}?mode=ro&uri=true"  # ...opened read-only
    assert "readonly database" in _error_line(capsys, *_serve(tmp_path, "--database-url", read_only))


def test_an_unreachable_database_is_one_line_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://retouch:hunter2@127.0.0.1:1/nothing"
    line = _error_line(capsys, "keys", "list", "--data-dir", str(tmp_path), "--database-url", url)
    assert "cannot open the database postgresql+psycopg://retouch:***@127.0.0.1:1/nothing" in line
    assert "hunter2" not in line


def test_an_empty_secret_key_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "secret_key").write_text("\n")
    for args in (_serve(tmp_path), ["keys", "list", "--data-dir", str(tmp_path)]):
        line = _error_line(capsys, *args)
        assert "secret_key is empty: restore it from a backup, or delete it" in line
    assert (tmp_path / "secret_key").read_text() == "\n"


@pytest.mark.parametrize("value", ["", "short"])
def test_a_short_configured_secret_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("RETOUCH_SECRET_KEY", value)
    assert "the secret_key setting has" in _error_line(capsys, "keys", "list", "--data-dir", str(tmp_path))


def test_the_real_command_prints_one_line(tmp_path: Path) -> None:
    (tmp_path / "retouch.db").write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETOUCH_")}
    p = subprocess.run(
        [sys.executable, "-m", "retouch.cli", *_serve(tmp_path)], capture_output=True, text=True, timeout=120, env=env
    )
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and p.stderr.startswith("error: the database ")
