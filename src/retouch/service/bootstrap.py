"""Start-up: storage checked before anything serves, and an admin key on the first start.

Storage that cannot be used stops the start with one line (`StartupError`) saying what is
wrong and what to do; above all nothing is silently made anew in place of what was there (a
zero-byte database would otherwise become an empty one: every account, balance and job gone).

The first start creates an admin key so that a fresh install is usable at once, yet never
open. Like Jupyter's token: the admin key is printed once, and every start prints a one-time
login link (a token in the URL, exchanged for a session cookie on first use).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from .container import Services, build_services
from .db import Database
from .errors import StartupError
from .models import ApiKey
from .settings import ServiceSettings


def open_storage(settings: ServiceSettings, *, role: str | None = None) -> Services:
    """The services (of `role`, see `build_services`), on a migrated database and a writable blob
    store; StartupError otherwise."""
    check_database_file(settings.resolved_database_url)
    try:
        svc = build_services(settings, role=role)
    except OSError as e:
        raise StartupError(f"cannot use {e.filename or settings.data_dir}: {e.strerror or e}") from None
    try:
        _migrate(svc.db)
        ok, why = svc.files.writable()
        if not ok:
            raise StartupError(f"cannot write to the blob store {settings.resolved_blob_dir}: {why}")
    except BaseException:
        svc.db.dispose()
        raise
    return svc


def migrated_database(settings: ServiceSettings, *, pool_size: int = 2) -> Database:
    """A migrated database for the command line (`retouch keys ...`); StartupError otherwise."""
    check_database_file(settings.resolved_database_url)
    try:
        db = Database(settings.resolved_database_url, pool_size=pool_size)
    except (ArgumentError, OSError) as e:
        raise StartupError(f"cannot use the database {_shown(settings.resolved_database_url)}: {e}") from None
    try:
        _migrate(db)
    except BaseException:
        db.dispose()
        raise
    return db


def check_database_file(url: str) -> None:
    """Refuse a SQLite file that exists but cannot be a database: empty (with no write-ahead log
    to recover from) or not a file."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StartupError(f"the database URL {_shown(url)} is not a database URL") from None
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database.removeprefix("file:").split("?")[0])
    if not path.exists():
        return
    if not path.is_file():
        raise StartupError(f"the database {path} is not a file")
    wal = path.with_name(path.name + "-wal")
    if path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        raise StartupError(
            f"the database {path} is empty (0 bytes): refusing to start a new one in its place. "
            "Restore it from a backup, or delete it to start afresh (with no accounts, keys or jobs)"
        )


def _migrate(db: Database) -> None:
    from .migrate import upgrade

    try:
        upgrade(db)
        db.check_writable()  # (a database at head is only read by its migrations)
    except SQLAlchemyError as e:
        raise StartupError(f"cannot open the database {_shown(db.url)}: {_reason(e)}") from None


def _reason(e: SQLAlchemyError) -> str:
    """The driver's own words, first line only."""
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _shown(url: str) -> str:
    """A database URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(invalid URL)"


def ensure_admin(services: Services) -> tuple[str | None, str | None]:
    """(new admin key or None, key id of the first admin key or None)."""
    if services.db.is_sqlite:
        return _ensure_admin(services)
    # API nodes of a cluster start together: one makes the key, the others find it
    with services.db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(hashtext('retouch-bootstrap'))"))
        try:
            return _ensure_admin(services)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext('retouch-bootstrap'))"))
            conn.commit()


def _ensure_admin(services: Services) -> tuple[str | None, str | None]:
    with services.db.read() as s:
        admin = s.scalar(
            select(ApiKey)
            .where(ApiKey.scopes.like("%admin%"), ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at)
            .limit(1)
        )
    if admin is not None:
        return None, admin.id
    if not services.settings.bootstrap_admin:
        return None, None
    created = services.keys.create(
        name="admin", scopes=["admin", "edit"], account_name="admin", credits=services.settings.admin_credits
    )
    return created.secret, created.id


def startup_banner(services: Services) -> str:
    new_key, admin_id = ensure_admin(services)
    base = services.settings.base_url
    lines = [f"retouch serving on {base}  (API docs: {base}/docs)"]
    if new_key:
        lines += ["", "Created an admin API key. It is shown only this once; store it now:", f"    {new_key}"]
    if admin_id and services.settings.login_link:
        token = services.keys.create_login_token(admin_id)
        lines += ["", "Open the web UI with this one-time login link:", f"    {base}/login?token={token}"]
    return "\n".join(lines)
