"""A short campaign: 16 concurrent clients for a few seconds, then the ledger audit must be
clean and every balance exact (the long run is bench/bench_ledger.py)."""

from __future__ import annotations

from .campaign import ACTIONS, run_campaign, table
from .helpers import Server


def test_sixteen_concurrent_clients_leave_an_exact_ledger(server: Server) -> None:
    assert server.admin_key
    result = run_campaign(server.base_url, server.admin_key, clients=16, seconds=6, seed=11)
    print(table(result))
    assert result.ok, table(result)
    assert result.requests >= 32
    assert len({action for action, _ in result.counts}) >= len(ACTIONS) // 2  # a mix, not one kind
    assert result.audit["captured"] > 0 and result.audit["held"] == 0
