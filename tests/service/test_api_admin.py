"""Keys, accounts, pricing, estimates, usage, statements, health, metrics, request ids, login."""

from __future__ import annotations

import csv
import io
import json
import time

import httpx

from retouch.cli import main as cli_main

from .helpers import Server, png


def test_health_ready_metrics_and_request_id(server: Server) -> None:
    assert httpx.get(server.base_url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.base_url + "/readyz")
    checks = ready.json()["checks"]
    assert ready.status_code == 200 and checks == {
        "database": "ok",
        "storage": "ok",
        "workers": "ok",
        "engine": "ok",
        **({"listen": "ok"} if server.database_url else {}),  # PostgreSQL: the LISTEN connection
    }
    r = httpx.get(server.base_url + "/healthz", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert (
        httpx.get(server.base_url + "/healthz", headers={"x-request-id": "bad id!"})
        .headers["x-request-id"]
        .startswith("req_")
    )
    m = httpx.get(server.base_url + "/metrics").text
    for name in (
        "retouch_http_request_duration_seconds_bucket",
        "retouch_queue_depth",
        "retouch_http_requests_total",
        "retouch_job_duration_seconds",
    ):
        assert name in m
    assert httpx.get(server.base_url + "/docs").status_code == 200
    schema = httpx.get(server.base_url + "/openapi.json").json()
    assert "/v1/images/edits" in schema["paths"]


def test_openapi_makes_images_optional_for_a_follow_up(server: Server) -> None:
    """`images` (JSON) and `image` (multipart) are required unless `after` names the job followed up."""
    body = httpx.get(server.base_url + "/openapi.json").json()["paths"]["/v1/images/edits"]["post"]["requestBody"]
    for ctype, field in (("application/json", "images"), ("multipart/form-data", "image")):
        schema = body["content"][ctype]["schema"]
        assert schema["required"] == ["prompt"], ctype
        assert schema["anyOf"] == [{"required": [field]}, {"required": ["after"]}], ctype
        assert "after" in schema["properties"] and field in schema["properties"]


def test_json_logs_carry_request_id(server: Server) -> None:
    httpx.get(server.base_url + "/v1/pricing", headers={"x-request-id": "trace-me-42"})
    deadline = time.monotonic() + 5
    found = False
    while not found and time.monotonic() < deadline:  # the access line is written after the response
        lines = [json.loads(x) for x in server.log().splitlines() if x.startswith("{")]
        found = any(x.get("request_id") == "trace-me-42" and x.get("path") == "/v1/pricing" for x in lines)
        time.sleep(0.05)
    assert found


def test_admin_key_management(server: Server) -> None:
    with server.client() as c:
        created = c.post("/v1/admin/keys", json={"name": "ci", "scopes": ["edit"], "credits": 500}).json()
        assert created["key"].startswith("rt_live_") and created["prefix"] == created["key"][:14]
        listed = c.get("/v1/admin/keys").json()["data"]
        assert all("key" not in k for k in listed)  # never shown again
        assert created["id"] in [k["id"] for k in listed]
        same = c.post("/v1/admin/keys", json={"name": "ci-2", "account_id": created["account_id"]}).json()
        assert same["account_id"] == created["account_id"]
        bad = c.post("/v1/admin/keys", json={"scopes": ["root"]})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "scopes"
        grant = c.post(f"/v1/admin/accounts/{created['account_id']}/credits", json={"amount": 250}).json()
        assert grant["available"] == 750
        too_much = c.post(f"/v1/admin/accounts/{created['account_id']}/credits", json={"amount": -10_000})
        assert too_much.status_code == 400
        assert c.delete(f"/v1/admin/keys/{created['id']}").json()["revoked"] is True
        assert c.delete("/v1/admin/keys/key_nope").status_code == 404
        accounts = c.get("/v1/admin/accounts").json()["data"]
        assert any(a["id"] == created["account_id"] and a["balance"] == 750 for a in accounts)
    with server.client(same["key"]) as c:
        me = c.get("/v1/me").json()
        assert me["balance"]["available"] == 750 and me["key"]["scopes"] == ["edit"]


def test_pricing_and_estimate(server: Server, key: str) -> None:
    table = httpx.get(server.base_url + "/v1/pricing").json()
    assert {"size": "1024x1024", "low": 272, "medium": 1056, "high": 4160} in table["output_image_tokens"]
    assert {"size": "1024x1536", "low": 408, "medium": 1584, "high": 6240} in table["output_image_tokens"]
    with server.client(key) as c:
        est = c.post(
            "/v1/estimates",
            json={
                "prompt": "brighten slightly",
                "image_sizes": ["1024x1024"],
                "size": "1024x1536",
                "quality": "high",
                "n": 2,
            },
        ).json()
        assert est["usage"]["output_tokens"] == 2 * 6240 and est["output_size"] == "1024x1536"
        assert est["usage"]["input_tokens_details"]["image_tokens"] == 65 + 129 * 4
        assert est["credits"] > 0 and est["sufficient"] is True
        r = c.post("/v1/estimates", json={"prompt": "x"})
        assert r.status_code == 400
        # the estimate is what an edit then costs
        edit = c.post(
            "/v1/images/edits",
            files={"image": ("p.png", png(96, 64), "image/png")},
            data={"prompt": "brighten slightly", "quality": "low"},
        )
        est2 = c.post(
            "/v1/estimates", json={"prompt": "brighten slightly", "image_sizes": ["96x64"], "quality": "low"}
        ).json()
        assert edit.headers["x-retouch-credits-charged"] == str(est2["credits"])


def test_usage_and_statements(server: Server) -> None:
    k = server.new_key(credits=100_000)
    with server.client(k["key"]) as c:
        for q in ("low", "medium"):
            assert (
                c.post(
                    "/v1/images/edits",
                    files={"image": ("p.png", png(), "image/png")},
                    data={"prompt": "brighten slightly", "quality": q},
                ).status_code
                == 200
            )
        usage = c.get("/v1/usage", params={"group_by": "day,model,key"}).json()
        assert len(usage["data"]) == 1
        row = usage["data"][0]
        assert row["model"] == "retouch-builtin" and row["key"] == k["id"] and row["requests"] == 2
        assert row["images"] == 2 and row["credits"] == usage["totals"]["credits"] > 0
        st = c.get("/v1/statements").json()
        assert st["opening_balance"] == 0 and st["closing_balance"] == 100_000 - row["credits"]
        assert st["charged"] == row["credits"] and st["granted"] == 100_000
        text = c.get("/v1/statements", params={"format": "csv"})
        assert text.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text.text)))
        assert [r["kind"] for r in rows].count("capture") == 2
        assert sum(int(r["amount"]) for r in rows) == st["closing_balance"]
        assert c.get("/v1/usage", params={"group_by": "color"}).status_code == 400
        assert c.get("/v1/usage", params={"start": "yesterday"}).status_code == 400
        assert c.get("/v1/statements", params={"account_id": "acct_other"}).status_code == 403


def test_login_link_is_one_time(server: Server) -> None:
    assert server.login_url
    url = server.login_url.replace("http://127.0.0.1:8000", server.base_url)
    with httpx.Client() as browser:
        r = browser.get(url, follow_redirects=False)
        assert r.status_code == 303 and "retouch_session" in r.cookies
        assert browser.get(server.base_url + "/v1/me").json()["key"]["scopes"] == ["admin", "edit"]
    # used up: no session; a browser is sent to the web UI's sign-in page (installed here),
    # which says why; any other client gets the API's 401
    again = httpx.get(url, follow_redirects=False, headers={"accept": "text/html,*/*;q=0.8"})
    assert "retouch_session" not in again.cookies
    assert again.status_code == 303 and again.headers["location"] == "/?signin=link-used"
    api = httpx.get(url, follow_redirects=False)
    assert api.status_code == 401 and api.json()["error"]["code"] == "invalid_login_token"


def test_cli_keys(server: Server, capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["--data-dir", str(server.data_dir), "--config", str(server.config_path)]
    if server.database_url:
        args += ["--database-url", server.database_url]
    assert cli_main(["keys", "create", "--name", "from-cli", "--credits", "77", "--json", *args]) == 0
    created = json.loads(capsys.readouterr().out)
    with server.client(created["key"]) as c:  # the running server accepts it at once
        assert c.get("/v1/balance").json()["available"] == 77
    assert cli_main(["keys", "list", *args]) == 0
    listing = capsys.readouterr().out
    assert created["id"] in listing and created["key"] not in listing
    assert cli_main(["keys", "revoke", created["id"], *args]) == 0
    deadline = time.monotonic() + 10  # the server caches verified keys for key_cache_s (2 s)
    with server.client(created["key"]) as c:
        while c.get("/v1/balance").status_code != 401:
            assert time.monotonic() < deadline, "revoked key still accepted"
            time.sleep(0.2)
    assert cli_main(["keys", "revoke", "key_nope", *args]) == 1
    assert "error:" in capsys.readouterr().err
