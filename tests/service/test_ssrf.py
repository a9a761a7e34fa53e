"""Safe URL fetching: only http(s), no private/loopback/link-local targets (after DNS, on every
redirect) unless allowed, with size and time limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from retouch.service.errors import ApiError
from retouch.service.fetch import SafeFetcher

from .helpers import Server, data_url, png
from .loopback import Loopback, body, redirect, slow, streaming_without_length


@pytest.fixture(scope="module")
def host() -> Iterator[Loopback]:
    lb = Loopback()
    lb.routes["/img.png"] = body(png(), "image/png")
    lb.routes["/to-img"] = redirect("/img.png")
    yield lb
    lb.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/img.png",
        "http://localhost:{port}/img.png",
        "http://[::1]:{port}/img.png",
        "http://10.0.0.1/x.png",
        "http://192.168.1.10/x.png",
        "http://172.16.0.1/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/x.png",
        "http://0.0.0.0:{port}/img.png",
        "http://[::ffff:127.0.0.1]:{port}/img.png",
        "http://2130706433:{port}/img.png",
        "file:///etc/passwd",
        "ftp://example.com/x.png",
        "gopher://127.0.0.1/",
        "http:///nohost",
    ],
)
def test_api_refuses_private_and_odd_urls(server: Server, key: str, host: Loopback, url: str) -> None:
    url = url.format(port=host.port)
    before = len(host.requests)
    with server.client(key) as c:
        r = c.post("/v1/images/edits", json={"images": [{"image_url": url}], "prompt": "brighten slightly"})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["param"] == "images[0]" and err["code"] in (
        "url_not_allowed",
        "url_fetch_failed",
        "invalid_image_url",
    )
    assert len(host.requests) == before  # nothing reached the loopback host


def test_webhook_url_is_checked_at_submit(server: Server, key: str, host: Loopback) -> None:
    with server.client(key) as c:
        r = c.post(
            "/v1/jobs",
            json={
                "images": [data_url(png())],
                "prompt": "brighten slightly",
                "webhook_url": f"{host.base}/hook",
            },
        )
    assert r.status_code == 400 and r.json()["error"]["param"] == "webhook_url"


def test_allowed_private_fetch_works(open_server: Server, host: Loopback) -> None:
    with open_server.client() as c:
        r = c.post(
            "/v1/images/edits",
            json={"images": [{"image_url": f"{host.base}/to-img"}], "prompt": "brighten slightly"},
        )
    assert r.status_code == 200, r.text
    assert [q["path"] for q in host.requests[-2:]] == ["/to-img", "/img.png"]


def test_redirects_are_checked_at_every_hop(host: Loopback) -> None:
    f = SafeFetcher(allow_private=True, blocked_networks=["127.0.0.2/32"])
    data, _ = f.get(f"{host.base}/to-img")
    assert data == png()
    host.routes["/to-other-loopback"] = redirect(f"http://127.0.0.2:{host.port}/img.png")
    with pytest.raises(ApiError) as e:
        f.get(f"{host.base}/to-other-loopback", param="image")
    assert e.value.code == "url_not_allowed"
    strict = SafeFetcher(allow_private=False)
    with pytest.raises(ApiError):
        strict.get(f"{host.base}/img.png")


def test_dns_answers_are_checked(host: Loopback) -> None:
    # a public-looking name that resolves to loopback (DNS rebinding style) is refused
    f = SafeFetcher(resolver=lambda h, p: ["127.0.0.1"])
    with pytest.raises(ApiError) as e:
        f.get(f"http://images.example.com:{host.port}/img.png")
    assert e.value.code == "url_not_allowed"
    mixed = SafeFetcher(resolver=lambda h, p: ["93.184.216.34", "10.1.2.3"])
    with pytest.raises(ApiError):
        mixed.check("http://mixed.example.com/x.png")


def test_size_limit(host: Loopback) -> None:
    host.routes["/big"] = body(b"x" * 5000)
    host.routes["/big-unknown-length"] = streaming_without_length(b"y" * 1000, 10)
    f = SafeFetcher(allow_private=True, max_bytes=2000)
    for path in ("/big", "/big-unknown-length"):
        with pytest.raises(ApiError) as e:
            f.get(host.base + path)
        assert e.value.status == 413


def test_time_limit(host: Loopback) -> None:
    host.routes["/slow"] = slow(b"z" * 10, 0.3)
    f = SafeFetcher(allow_private=True, timeout_s=0.5)
    with pytest.raises(ApiError) as e:
        f.get(host.base + "/slow")
    assert e.value.code == "url_fetch_failed"


def test_too_many_redirects(host: Loopback) -> None:
    host.routes["/loop"] = redirect("/loop")
    with pytest.raises(ApiError) as e:
        SafeFetcher(allow_private=True, max_redirects=3).get(host.base + "/loop")
    assert "redirects" in e.value.message
