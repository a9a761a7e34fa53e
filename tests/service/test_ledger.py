"""Credits: holds, captures and releases under concurrency; never overdrawn, never charged twice."""

from __future__ import annotations

import threading

import openai

from .helpers import Server, png


def _statement(server: Server, key: str) -> dict:
    with server.client(key) as c:
        return c.get("/v1/statements").json()


def test_parallel_requests_against_a_small_balance(server: Server) -> None:
    probe = server.new_key()
    with server.client(probe["key"]) as c:
        est = c.post("/v1/estimates", json={"prompt": "brighten slightly", "image_sizes": ["64x48"]}).json()
    cost = est["credits"]
    assert cost > 0
    affordable = 5
    k = server.new_key(credits=cost * affordable + cost // 2)
    client = server.openai(k["key"])
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        # every fourth request holds, then fails in the engine and must be released
        prompt = "brighten slightly" if i % 4 else "brighten slightly and add a dragon"
        try:
            client.images.edit(image=("p.png", png(64, 48, seed=i), "image/png"), prompt=prompt)
            result = "ok"
        except openai.APIStatusError as e:
            result = str(e.status_code)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = outcomes.count("ok")
    assert set(outcomes) <= {"ok", "402", "400"}
    assert 1 <= ok <= affordable and outcomes.count("402") >= 1

    with server.client(k["key"]) as c:
        bal = c.get("/v1/balance").json()
        usage = c.get("/v1/usage", params={"group_by": "key"}).json()
    st = _statement(server, k["key"])
    captures = [e for e in st["entries"] if e["kind"] == "capture"]
    holds = [e for e in st["entries"] if e["kind"] == "hold"]
    releases = [e for e in st["entries"] if e["kind"] == "release"]
    assert bal["held"] == 0 and bal["available"] >= 0
    assert len(captures) == ok and len(holds) == len(releases)  # every hold settled once
    assert len({e["job_id"] for e in holds}) == len(holds)
    assert sum(e["amount"] for e in st["entries"]) == bal["available"] == st["closing_balance"]
    assert all(e["balance_after"] >= 0 for e in st["entries"])  # never overdrawn
    assert bal["available"] == cost * affordable + cost // 2 - ok * cost
    assert usage["totals"]["credits"] == ok * cost == st["charged"] and usage["totals"]["requests"] == ok


def test_parallel_jobs_against_a_small_balance(server: Server) -> None:
    k = server.new_key(credits=0)
    with server.client(k["key"]) as c:
        cost = c.post("/v1/estimates", json={"prompt": "brighten slightly", "image_sizes": ["64x48"]}).json()[
            "credits"
        ]
    with server.client() as admin:
        admin.post(
            f"/v1/admin/accounts/{k['account_id']}/credits", json={"amount": cost * 3, "memo": "top-up"}
        )
    codes: list[int] = []

    def submit() -> None:
        from .helpers import data_url

        with server.client(k["key"]) as c:
            codes.append(
                c.post(
                    "/v1/jobs",
                    json={"images": [data_url(png())], "prompt": "brighten slightly"},
                    headers={"prefer": "wait=60"},
                ).status_code
            )

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(200) == 3 and codes.count(402) == 7
    with server.client(k["key"]) as c:
        assert c.get("/v1/balance").json() == {
            "object": "balance",
            "account_id": k["account_id"],
            "available": 0,
            "held": 0,
        }
