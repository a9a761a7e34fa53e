"""A bounded property-based run over the OpenAPI schema: no generated input may cause a 5xx.

Uses schemathesis to generate requests from /openapi.json (every operation, a few
examples each, positive and negative data) and hypothesis to drive them, within a
time budget so that the suite stays fast.
"""

from __future__ import annotations

import time

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402

from .helpers import Server  # noqa: E402

BUDGET_S = 50.0
EXAMPLES = 8


@pytest.fixture(scope="module")
def fuzz_server(make_server) -> Server:  # type: ignore[no-untyped-def]
    return make_server("fuzz", {"fetch_timeout_s": 2.0})


def test_no_server_errors(fuzz_server: Server) -> None:
    schema = schemathesis.openapi.from_url(fuzz_server.base_url + "/openapi.json")
    headers = {"Authorization": f"Bearer {fuzz_server.admin_key}"}
    failures: list[str] = []
    counts: dict[int, int] = {}
    started = time.monotonic()
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 20
    tried = 0
    for op in operations:
        if time.monotonic() - started > BUDGET_S:
            break
        tried += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(GenerationMode.POSITIVE) | op.as_strategy(GenerationMode.NEGATIVE))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(base_url=fuzz_server.base_url, headers=headers, timeout=30)
            counts[response.status_code // 100] = counts.get(response.status_code // 100, 0) + 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
                )

        run()
    assert not failures, "\n".join(failures)
    assert counts.get(2, 0) > 20 and counts.get(4, 0) > 20, counts  # it exercised both paths
    assert tried == len(operations), f"time budget spent after {tried} of {len(operations)} operations"
