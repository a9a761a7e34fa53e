"""`retouch serve` and `retouch keys ...`: argparse registration for the main CLI.

Importing this module is cheap and imports nothing of the server stack; it raises
ImportError when the `server` extra is missing, which the main CLI turns into a hint.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .settings import ServiceSettings

_EXTRA = (
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "pydantic_settings",
    "python_multipart",
    "httpx",
    "prometheus_client",
)
_missing = [m for m in _EXTRA if importlib.util.find_spec(m) is None]
if _missing:
    raise ImportError(f"the server extra is not installed (missing: {', '.join(_missing)})")

SERVE_EXAMPLES = """examples:
  retouch serve                                  # http://127.0.0.1:8000, data in ./.retouch
  retouch serve --host 0.0.0.0 --port 9000 --data-dir /var/lib/retouch
  RETOUCH_DATABASE_URL=postgresql://user:pw@db/retouch retouch serve --workers 8
  retouch serve --workers 0 --config cluster.toml      # an API-only node: edits run on `retouch worker`s
"""
WORKER_EXAMPLES = """examples:
  retouch worker --config cluster.toml                 # workers for every engine installed here
  retouch worker --config cluster.toml --engines builtin --workers 2      # a CPU node
  retouch worker --config gpu.toml --engines diffusers --workers 1 --node-name gpu-07

A worker needs the cluster's database (PostgreSQL), blob store (S3) and secret_key; see
docs/deployment.md#a-cluster. On SIGTERM/SIGINT it stops claiming, gives running jobs a few
seconds, and leaves the rest to their lease: another worker takes them over.
"""
KEYS_EXAMPLES = """examples:
  retouch keys create --name ci --credits 100000           # a new account with 100000 credits
  retouch keys create --name ops --scopes edit,admin
  retouch keys list
  retouch keys revoke key_0123abcd...                      # or the displayed prefix rt_live_AbC123
  retouch keys grant acct_0123... 5000
"""


def _store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="data directory (default: ./.retouch or $RETOUCH_DATA_DIR)")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data directory)")
    p.add_argument(
        "--config", metavar="PATH", help="TOML config file (default: $RETOUCH_CONFIG or DATA_DIR/config.toml)"
    )


def add_serve_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the HTTP API (OpenAI-compatible) and web UI",
        epilog=SERVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    _store_options(p)
    p.add_argument(
        "--workers", type=int, help="job worker threads (default: CPU count, at most 4; 0: an API-only node)"
    )
    _cluster_options(p)
    p.add_argument("--public-url", help="external base URL, for signed links and the login link")
    p.add_argument(
        "--allow-private-urls",
        action="store_true",
        default=None,
        help="let URL inputs and webhooks reach private/loopback addresses",
    )
    p.add_argument("--no-login-link", action="store_true", help="do not print a one-time login link")
    p.add_argument("--log-level", help="debug, info, warning, error (default info)")
    p.add_argument("--log-format", choices=["json", "text"],
                   help="default: text on a terminal, json otherwise (or $RETOUCH_LOG_JSON)")
    p.set_defaults(handler=serve_main)
    return p


def _cluster_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engines", help="comma-separated engines this process's workers run (default: every one installed)"
    )
    p.add_argument("--node-name", help="this process's name in the cluster (default: the host name)")


def add_worker_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "worker",
        help="run job workers without an HTTP server (a worker node of a cluster)",
        epilog=WORKER_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _store_options(p)
    p.add_argument("--workers", type=int, help="worker threads (default: CPU count, at most 4)")
    _cluster_options(p)
    p.add_argument("--log-level", help="debug, info, warning, error (default info)")
    p.add_argument("--log-format", choices=["json", "text"], help="default: text on a terminal, json otherwise")
    p.set_defaults(handler=worker_main)
    return p


def add_keys_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "keys",
        help="create, list and revoke API keys",
        epilog=KEYS_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=type(p))
    c = sub.add_parser("create", help="create a key (printed once)")
    c.add_argument("--name", default="", help="a label")
    c.add_argument("--scopes", default="edit", help="comma-separated: edit, admin (default edit)")
    c.add_argument("--account", help="add the key to this account id (default: a new account)")
    c.add_argument("--tier", help="rate-limit tier (free, standard, pro, unlimited, or configured ones)")
    c.add_argument("--credits", type=int, default=None, help="credits granted to a new account")
    c.add_argument("--json", action="store_true", help="print JSON")
    _store_options(c)
    ls = sub.add_parser("list", help="list keys (never the secrets)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    _store_options(ls)
    r = sub.add_parser("revoke", help="revoke a key by id or displayed prefix")
    r.add_argument("key", help="key id (key_...) or prefix (rt_live_...)")
    _store_options(r)
    g = sub.add_parser("grant", help="grant (or, negative, take back) credits of an account")
    g.add_argument("account", help="account id (acct_...)")
    g.add_argument("amount", type=int)
    g.add_argument("--memo", default="granted with retouch keys grant")
    _store_options(g)
    p.set_defaults(handler=keys_main)
    return p


def _settings(args: argparse.Namespace, **extra: Any) -> ServiceSettings:
    from .settings import load_settings

    return load_settings(
        getattr(args, "config", None),
        data_dir=getattr(args, "data_dir", None),
        database_url=getattr(args, "database_url", None),
        **extra,
    )


def serve_main(args: argparse.Namespace) -> int:
    """Run the server in the foreground until interrupted."""
    import uvicorn

    from ..api.app import create_app
    from .bootstrap import open_storage
    from .logs import configure
    from .memory import keep_freed_memory

    settings = _settings(
        args,
        host=args.host,
        port=args.port,
        workers=args.workers,
        public_url=args.public_url,
        allow_private_urls=args.allow_private_urls,
        log_level=args.log_level,
        log_json=_log_json(args),
        login_link=False if args.no_login_link else None,
        **_cluster_settings(args),
    )
    from .container import configure_engines

    configure_engines(settings)  # a wrong engine setting is one error line, before anything starts
    services = open_storage(settings)  # unusable storage: one error line, before anything else
    configure(settings.log_level, json_logs=settings.log_json)
    keep_freed_memory(settings.malloc_keep_mb)
    app = create_app(settings, services=services, banner=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


def _log_json(args: argparse.Namespace) -> bool | None:
    log_json = None if args.log_format is None else args.log_format == "json"
    if log_json is None and "RETOUCH_LOG_JSON" not in os.environ and sys.stderr.isatty():
        log_json = False  # a person is reading: plain lines; collectors get JSON
    return log_json


def _cluster_settings(args: argparse.Namespace) -> dict[str, Any]:
    engines = [e.strip() for e in args.engines.split(",") if e.strip()] if args.engines else None
    return {"worker_engines": engines, "node_name": args.node_name}


def worker_main(args: argparse.Namespace) -> int:
    """`retouch worker`: the job workers, webhooks and janitor of one process, no HTTP."""
    import signal
    import threading

    from ..errors import RetouchError
    from .bootstrap import open_storage
    from .container import configure_engines
    from .logs import configure
    from .memory import keep_freed_memory

    settings = _settings(args, workers=args.workers, log_level=args.log_level, log_json=_log_json(args),
                         **_cluster_settings(args))
    if settings.workers < 1:
        raise RetouchError("a worker needs --workers 1 or more")
    configure_engines(settings)
    services = open_storage(settings, role="worker")  # unusable storage: one error line
    configure(settings.log_level, json_logs=settings.log_json)
    keep_freed_memory(settings.malloc_keep_mb)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        services.start()
    except RuntimeError as e:  # e.g. a node name another live process holds
        services.stop()
        raise RetouchError(str(e)) from None
    except BaseException:
        services.stop()
        raise
    engines = ", ".join(settings.worker_engines)
    print(
        f"retouch worker {services.nodes.node_id}: {settings.workers} worker(s) for {engines}",
        file=sys.stderr,
        flush=True,
    )
    stop.wait()
    services.stop()
    return 0


def _announce_revocation(settings: Any, db: Any, key_id: str) -> None:
    """Tell running servers at once (Redis or PostgreSQL NOTIFY); else their key cache lapses."""
    from .container import build_broadcast

    broadcast, _ = build_broadcast(settings, db, origin="cli")
    try:
        broadcast.publish("revoke", {"key_id": key_id})
    finally:
        broadcast.stop()


def keys_main(args: argparse.Namespace) -> int:
    from ..errors import RetouchError
    from .bootstrap import migrated_database
    from .keys import KeyStore
    from .ledger import Ledger

    action = getattr(args, "keys_command", None)
    if action is None:
        print(
            "usage: retouch keys {create,list,revoke,grant} ... (see 'retouch keys --help')", file=sys.stderr
        )
        return 2
    settings = _settings(args)
    db = migrated_database(settings)
    try:
        keys = KeyStore(db, settings.resolved_secret())
        if action == "create":
            scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
            if args.tier is not None and args.tier not in settings.tiers:
                raise RetouchError(f"unknown tier {args.tier!r}; tiers: {', '.join(settings.tiers)}")
            credits = (
                args.credits
                if args.credits is not None
                else (settings.new_account_credits if args.account is None else 0)
            )
            try:
                created = keys.create(
                    name=args.name, scopes=scopes, account_id=args.account, tier=args.tier, credits=credits
                )
            except (ValueError, LookupError) as e:
                raise RetouchError(str(e).strip("'\"")) from None
            if args.json:
                print(
                    json.dumps(
                        {
                            "id": created.id,
                            "key": created.secret,
                            "account_id": created.account_id,
                            "scopes": created.scopes,
                            "name": created.name,
                        }
                    )
                )
            else:
                print(
                    f"{created.secret}\n\nid {created.id}, account {created.account_id}, scopes "
                    f"{','.join(created.scopes)}. The key is shown only now: store it."
                )
        elif action == "list":
            rows = keys.list()
            ledger = Ledger(db)
            if args.json:
                print(
                    json.dumps(
                        [
                            {
                                "id": k.id,
                                "name": k.name,
                                "prefix": k.prefix,
                                "scopes": k.scopes.split(","),
                                "account_id": k.account_id,
                                "revoked": k.revoked_at is not None,
                            }
                            for k in rows
                        ]
                    )
                )
            else:
                print(f"{'ID':<32} {'PREFIX':<16} {'SCOPES':<11} {'ACCOUNT':<30} {'BALANCE':>10}  NAME")
                for k in rows:
                    state = " (revoked)" if k.revoked_at else ""
                    print(
                        f"{k.id:<32} {k.prefix + '…':<16} {k.scopes:<11} {k.account_id:<30} "
                        f"{ledger.balance(k.account_id):>10}  {k.name}{state}"
                    )
        elif action == "revoke":
            try:
                key = keys.revoke(args.key)
            except LookupError as e:
                raise RetouchError(str(e).strip("'\"")) from None
            _announce_revocation(settings, db, key.id)
            print(f"revoked {key.id} ({key.prefix}…)")
        elif action == "grant":
            from .ledger import InsufficientCredits

            try:
                bal = Ledger(db).grant(
                    args.account, args.amount, memo=args.memo, kind="grant" if args.amount >= 0 else "adjust"
                )
            except (LookupError, InsufficientCredits) as e:
                raise RetouchError(str(e).strip("'\"")) from None
            print(f"account {args.account}: balance {bal}")
    finally:
        db.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (`python -m retouch.service.cli serve ...`), same options as `retouch`."""
    parser = argparse.ArgumentParser(prog="retouch")
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_parser(sub)
    add_worker_parser(sub)
    add_keys_parser(sub)
    args = parser.parse_args(argv)
    from ..errors import RetouchError

    try:
        return int(args.handler(args))
    except RetouchError as e:  # as the main CLI does: one line, no traceback
        print(f"error: {e.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
