"""The hosted-style service behind `retouch serve`: settings, storage, billing, jobs, webhooks.

Nothing here is imported by the core or by the plain CLI commands; it needs the
`server` extra (FastAPI, SQLAlchemy, Alembic, ...). Each module holds one service
behind a small interface with one default implementation, wired in `container.py`.
"""
