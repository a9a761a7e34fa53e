"""A bounded property-based run over the whole API: no generated input may cause a 5xx, and
every answer must be what the OpenAPI schema says (its status documented, its body valid).

Uses schemathesis to generate requests from /openapi.json (every operation, positive and
negative data, with the admin key and without a key) and hypothesis to drive them, within a
time budget so that the suite stays fast; then the hidden routes (login link, metrics, the
landing page) with random query strings.
"""

from __future__ import annotations

import time

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402

from .helpers import Server  # noqa: E402

BUDGET_S = 90.0
EXAMPLES = 10
#: Semantic checks beyond the schema (a prompt the planner cannot read, a tier that does not
#: exist) rightly refuse some schema-valid requests: that one check does not apply.
EXCLUDED = [positive_data_acceptance]


@pytest.fixture(scope="module")
def fuzz_server(make_server) -> Server:  # type: ignore[no-untyped-def]
    return make_server("fuzz", {"fetch_timeout_s": 2.0})


def test_no_server_errors_and_answers_as_documented(fuzz_server: Server) -> None:
    schema = schemathesis.openapi.from_url(fuzz_server.base_url + "/openapi.json")
    headers = {"Authorization": f"Bearer {fuzz_server.admin_key}"}
    failures: list[str] = []
    counts: dict[int, int] = {}
    started = time.monotonic()
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 30
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
            for auth in (headers, {}):
                response = case.call(base_url=fuzz_server.base_url, headers=auth, timeout=30)
                counts[response.status_code // 100] = counts.get(response.status_code // 100, 0) + 1
                where = f"{case.method} {case.formatted_path} ({'admin' if auth else 'no key'})"
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.status_code} {response.text[:300]}")
                    continue
                try:
                    case.validate_response(response, headers=auth, excluded_checks=EXCLUDED)
                except BaseException as e:  # (schemathesis raises a group of failures)
                    failures.append(f"{where}: {response.status_code} {str(e)[:600]}")

        run()
    print(f"schemathesis: {tried} operations, {sum(counts.values())} requests, by status class {counts}")
    assert not failures, "\n".join(failures[:20])
    assert counts.get(2, 0) > 30 and counts.get(4, 0) > 30, counts  # it exercised both paths
    assert tried == len(operations), f"time budget spent after {tried} of {len(operations)} operations"


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/", "/login", "/metrics", "/healthz", "/readyz", "/v1/nope", "/v1/jobs/x/y"]),
    query=st.dictionaries(st.text(max_size=8), st.text(max_size=300), max_size=3),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
)
def test_hidden_routes_never_fail(fuzz_server: Server, path: str, query: dict[str, str], method: str) -> None:
    r = httpx.request(method, fuzz_server.base_url + path, params=query, timeout=30)
    assert r.status_code < 500, r.text
