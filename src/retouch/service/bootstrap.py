"""First start: an admin key so that a fresh install is usable at once, yet never open.

Like Jupyter's token: the admin key is printed once, and every start prints a one-time
login link (a token in the URL, exchanged for a session cookie on first use).
"""

from __future__ import annotations

from sqlalchemy import select, text

from .container import Services
from .models import ApiKey


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
