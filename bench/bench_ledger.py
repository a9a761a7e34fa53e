"""A minute of abuse, then the books: 16 concurrent clients against `retouch serve`, and the
ledger audit afterwards.

Each client (its own API key) mixes sync edits through the official SDK (plain, retried with
an Idempotency-Key, streamed, abandoned mid-edit or mid-stream), queued jobs and batches
(some canceled at once), estimates, bad requests, edits without credits and reads (see
tests/service/campaign.py). Once every job has ended, `GET /v1/admin/audit` checks every
ledger invariant and each key's balance must be its grant minus its charged usage with
nothing held. Prints a table; exits 1 on any 5xx, unexpected answer or audit problem.

    .venv/bin/python bench/bench_ledger.py                          # 16 clients, 60 s, SQLite
    .venv/bin/python bench/bench_ledger.py --clients 32 --seconds 120
    .venv/bin/python bench/bench_ledger.py --database-url postgresql://user:pw@127.0.0.1/db
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench_api import ServerProcess  # noqa: E402

from tests.service.campaign import run_campaign, table  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="server worker threads")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url", help="PostgreSQL instead of the default SQLite (an empty database)")
    args = ap.parse_args()
    server = ServerProcess(args.workers, args.database_url)
    try:
        result = run_campaign(server.base_url, server.admin_key, clients=args.clients, seconds=args.seconds,
                              seed=args.seed)
    finally:
        server.stop()
    print(f"\nretouch ledger campaign: {args.clients} clients, {args.seconds:.0f} s, {args.workers} server "
          f"workers, {os.cpu_count()} CPUs, {'PostgreSQL' if args.database_url else 'SQLite'}\n")
    print(table(result))
    print(f"\n{'PASS' if result.ok else 'FAIL'}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
